"""``flask standards import FILE`` and ``flask standards export --profession KEY --level KEY -o FILE``."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from flask_babel import gettext as _

from app.core.cli import CliError
from app.core.content import ContentError, parse_file
from app.errors import DomainError
from app.extensions import db

standards_cli = AppGroup("standards", help="Course standards (课程标准): YAML import and export.")


@standards_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--lenient-hours", is_flag=True, help="Import even when tasks' hours do not add up to the course's.")
def import_command(path, lenient_hours):
    """Import the course standards of a YAML file (all or nothing)."""
    from app.review.labels import STATE_LABELS
    from app.standards.yamlio import StandardImportError, import_items, located, no_standards_message, refuse_aliases

    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            refuse_aliases(fh.read(), path)
        sections = parse_file(path)
        if "course_standards" not in sections:
            raise CliError(located(path, None, no_standards_message()))
        results = import_items(sections["course_standards"], lenient_hours=lenient_hours)
    except (ContentError, StandardImportError, DomainError) as exc:
        db.session.rollback()
        message = str(exc) if not isinstance(exc, DomainError) else exc.message
        raise CliError(_("未导入任何内容：") + f"\n{message}")
    db.session.commit()
    for version, changed in results:
        where = f"{version.standard.profession.key}/{version.standard.training_level.key}"
        state = STATE_LABELS.get(version.review_state, version.review_state)
        click.echo(_("%(where)s：已导入为第 %(n)s 版（%(state)s）", where=where, n=version.number, state=state) if changed
                   else _("%(where)s：没有变化，仍为第 %(n)s 版（%(state)s）", where=where, n=version.number, state=state))


@standards_cli.command("export")
@click.option("--profession", "profession_key", required=True, help="Profession key, e.g. auto-repair.")
@click.option("--level", "level_key", required=True, help="Training level key, e.g. intermediate.")
@click.option("--version", "number", type=int, help="Version number (default: the latest).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="File (default: stdout).")
def export_command(profession_key, level_key, number, output):
    """Export a course standard as YAML (re-importable with `flask standards import`)."""
    from app.standards.yamlio import export_standard

    try:
        text = export_standard(profession_key, level_key, number=number)
    except DomainError as exc:
        raise CliError(exc.message)
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text)
        click.echo(_("已写入 %(path)s", path=output))
    else:
        click.echo(text, nl=False)


def register(app: Flask) -> None:
    app.cli.add_command(standards_cli)
