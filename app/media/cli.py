"""``flask media ...``: import files from disk (bench and content preparation), thin wrappers over services."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from app.errors import DomainError
from app.extensions import db

media_cli = AppGroup("media", help="Teaching videos and documents.")


def _user(username: str | None, what: str):
    from app.auth import services as auth

    if not username:
        return None
    user = auth.find_user(username)
    if user is None:
        raise click.ClickException(f"unknown {what} user '{username}'")
    return user


def _import(paths, profession_key, title, task, uploader, approve_as, kinds):
    from app.catalog import services as catalog
    from app.media import services
    from app.review import services as review

    try:
        profession = catalog.profession_by_key(profession_key)
    except DomainError as exc:
        raise click.ClickException(exc.message)
    actor = _user(uploader, "uploader")
    reviewer = _user(approve_as, "reviewer")
    failed = 0
    with click.progressbar(paths, label="importing", show_pos=True, item_show_func=lambda p: p or "") as bar:
        for path in bar:
            try:
                resource = services.import_path(actor, path, profession_id=profession.id,
                                                title=title if len(paths) == 1 else None,
                                                learning_task_id=task, kinds=kinds)
                if reviewer is not None:
                    review.submit(resource, actor)
                    review.approve(resource, reviewer, "imported from the command line")
                db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                failed += 1
                click.echo(f"\n{path}: {exc.message}", err=True)
                continue
            kind = services.kind_name(resource)
            click.echo(f"\n{kind} {resource.id} {resource.review_state}: /media/{kind}s/{resource.id}/file")
    if failed:
        raise click.ClickException(f"{failed} of {len(paths)} files refused")


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
