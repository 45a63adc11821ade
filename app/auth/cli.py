"""``flask users ...``: thin wrappers over the account services."""
from __future__ import annotations

import os
import sys

import click
from flask import Flask
from flask.cli import AppGroup
from flask_babel import gettext as _

from app.core.cli import CliError
from app.auth import imports, services
from app.errors import DomainError
from app.extensions import db

users = AppGroup("users", help="Create, import and manage user accounts.")


def _fail(message: str) -> None:
    db.session.rollback()
    raise CliError(message)


@users.command("create")
@click.option("--username", required=True)
@click.option("--role", "roles", multiple=True, required=True, help="Repeat for several roles.")
@click.option("--school", "school_key", help="Key of the user's school.")
@click.option("--enterprise", "enterprise_key", help="Key of the user's enterprise.")
@click.option("--full-name", default="")
@click.option("--email", default=None)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create(username, roles, school_key, enterprise_key, full_name, email, password_stdin):
    """Create a user; without --password-stdin an activation code is printed."""
    from app.orgs import services as orgs

    try:
        school = orgs.school_by_key(school_key) if school_key else None
        enterprise = orgs.enterprise_by_key(enterprise_key) if enterprise_key else None
        password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
        user = services.create_user(username=username, roles=roles, full_name=full_name, email=email,
                                    school=school, enterprise=enterprise, password=password)
        code = None if password is not None else services.issue_activation_code(user)
        db.session.commit()
    except DomainError as exc:
        _fail(exc.message)
    click.echo(_("已创建用户 %(username)s（编号 %(id)s）", username=user.username, id=user.id))
    if code:
        click.echo(_("激活码：%(code)s", code=code))


@users.command("token")
@click.argument("username")
@click.option("--name", default="cli", help="A label to recognise the token by.")
def token(username, name):
    """Print a new personal API token for USERNAME (send it as 'Authorization: Bearer ...')."""
    user = services.find_user(username)
    if user is None:
        _fail(_("没有这个用户：%(name)s", name=username))
    try:
        _record, plain = services.issue_api_token(user, name)
        db.session.commit()
    except DomainError as exc:
        _fail(exc.message)
    click.echo(plain)


@users.command("revoke-token")
@click.argument("username")
@click.argument("token_id", type=int)
def revoke_token(username, token_id):
    """Revoke one of USERNAME's API tokens by its id."""
    user = services.find_user(username)
    if user is None:
        _fail(_("没有这个用户：%(name)s", name=username))
    try:
        services.revoke_api_token(user, token_id)
        db.session.commit()
    except DomainError as exc:
        _fail(exc.message)
    click.echo(_("已吊销令牌 %(id)s", id=token_id))


@users.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Validate only; write nothing.")
@click.option("--codes-out", type=click.Path(dir_okay=False),
              help="Where to write the activation-code sheet (default: <file>-activation-codes.xlsx).")
def import_(path, dry_run, codes_out):
    """Import users from a CSV or XLSX file: all rows or none."""
    with open(path, "rb") as fh:
        data = fh.read()
    with click.progressbar(length=100, label=_("正在校验"), file=sys.stderr) as bar:
        last = [0]

        def progress(done, total):
            pct = int(done * 100 / max(total, 1))
            bar.update(pct - last[0])
            last[0] = pct

        try:
            report = imports.import_users(None, os.path.basename(path), data, dry_run=dry_run, progress=progress)
        except DomainError as exc:
            _fail(exc.message)
        bar.update(100 - last[0])
    for error in report.errors:
        click.echo(_("第 %(n)s 行：%(message)s", n=error.row, message=error.message), err=True)
    if report.errors:
        db.session.rollback()
        raise CliError(_("%(n)s 行有错误，未导入任何用户。", n=len(report.errors)))
    if dry_run:
        db.session.rollback()
        click.echo(_("试运行：将新建 %(created)s 个，%(unchanged)s 个未变。", created=report.created,
                     unchanged=report.unchanged))
        return
    db.session.commit()
    click.echo(_("已导入：新建 %(created)s 个，%(unchanged)s 个未变。", created=report.created,
                 unchanged=report.unchanged))
    if report.codes:
        from app.auth.models import UserImport
        from app.core import storage

        out = codes_out or os.path.splitext(path)[0] + "-activation-codes.xlsx"
        record = db.session.get(UserImport, report.import_id)
        with storage.get_storage().open(record.sheet_key) as src, open(out, "wb") as dst:
            dst.write(src.read())  # the sheet the import already built and stored; building it twice cost ~40%
        click.echo(_("激活码已写入 %(path)s", path=out))


def register(app: Flask) -> None:
    app.cli.add_command(users)
