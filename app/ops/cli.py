"""``flask ops backup -o FILE`` and ``flask ops restore FILE`` (see app/ops/backup.py)."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from flask_babel import gettext as _

from app.core.cli import CliError
from app.ops import backup as backups

ops = AppGroup("ops", help="Operations: backup and restore.")


@ops.command("backup")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="Archive to write (a tar file).")
def backup_command(output: str) -> None:
    """Back up the database and every stored file into one archive with a manifest and checksums."""
    try:
        manifest = backups.backup(output)
    except backups.BackupError as exc:
        raise CliError(str(exc)) from None
    click.echo(_("备份完成：%(path)s（%(tables)d 个表，共 %(rows)d 行；%(files)d 个文件）。", path=output,
                 tables=len(manifest["tables"]), rows=sum(manifest["tables"].values()),
                 files=len(manifest["files"])))


@ops.command("restore")
@click.argument("archive", type=click.Path(dir_okay=False))
def restore_command(archive: str) -> None:
    """Restore an archive made by ``flask ops backup`` into an empty instance, then verify it."""
    try:
        summary = backups.restore(archive)
    except backups.BackupError as exc:
        raise CliError(str(exc)) from None
    click.echo(_("恢复完成并已核对：%(tables)d 个表，共 %(rows)d 行；%(files)d 个文件。", **{
        k: summary[k] for k in ("tables", "rows", "files")}))
    click.echo(_("如果程序版本比备份新，请接着运行 flask db upgrade。"))


def register(app: Flask) -> None:
    app.cli.add_command(ops)
