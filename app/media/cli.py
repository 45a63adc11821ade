"""``flask media ...``: import files from disk (bench and content preparation), thin wrappers over services."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from flask_babel import gettext as _

from app.core.cli import CliError
from app.errors import DomainError
from app.extensions import db

media_cli = AppGroup("media", help="Teaching videos and documents.")


def _user(username: str | None, what: str):
    from app.auth import services as auth

    if not username:
        return None
    user = auth.find_user(username)
    if user is None:
        raise CliError(_("没有这个用户（%(what)s）：%(name)s", what=what, name=username))
    return user


def _import(paths, profession_key, title, task, uploader, approve_as, kinds):
    from app.catalog import services as catalog
    from app.media import services
    from app.review import services as review
    from app.review.labels import STATE_LABELS
    from app.review.registry import KINDS

    try:
        profession = catalog.profession_by_key(profession_key)
    except DomainError as exc:
        raise CliError(exc.message)
    actor = _user(uploader, _("上传者"))
    reviewer = _user(approve_as, _("审核人"))
    failed = 0
    with click.progressbar(paths, label=_("正在导入"), show_pos=True, item_show_func=lambda p: p or "") as bar:
        for path in bar:
            try:
                resource = services.import_path(actor, path, profession_id=profession.id,
                                                title=title if len(paths) == 1 else None,
                                                learning_task_id=task, kinds=kinds)
                if reviewer is not None:
                    review.submit(resource, actor)
                    review.approve(resource, reviewer, _("从命令行导入"))
                db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                failed += 1
                click.echo(f"\n{path}：{exc.message}", err=True)
                continue
            kind = services.kind_name(resource)
            click.echo("\n" + _("%(kind)s %(id)s（%(state)s）：%(url)s", kind=KINDS[kind].label, id=resource.id,
                                  state=STATE_LABELS.get(resource.review_state, resource.review_state),
                                  url=f"/media/{kind}s/{resource.id}/file"))
    if failed:
        raise CliError(_("%(total)s 个文件中有 %(n)s 个被拒绝", n=failed, total=len(paths)))


_options = [
    click.option("--profession", "profession_key", required=True, help="Profession key (see content/catalog.yaml)."),
    click.option("--title", help="Title (single file only; default: the file name)."),
    click.option("--task", type=int, help="Learning task id to link."),
    click.option("--uploader", help="Username recorded as the author (default: none, a system import)."),
    click.option("--approve-as", "approve_as", help="Reviewer username: submit and approve at once (publish)."),
]


def _with_options(fn):
    for option in reversed(_options):
        fn = option(fn)
    return fn


@media_cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@_with_options
def import_command(paths, profession_key, title, task, uploader, approve_as):
    """Import videos and documents from disk as drafts of a profession (or published, with --approve-as)."""
    _import(list(paths), profession_key, title, task, uploader, approve_as, None)


@media_cli.command("import-video")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@_with_options
def import_video_command(paths, profession_key, title, task, uploader, approve_as):
    """Import videos (MP4/WebM) only; prints each video's streaming URL."""
    _import(list(paths), profession_key, title, task, uploader, approve_as, ["video"])


def register(app: Flask) -> None:
    app.cli.add_command(media_cli)
