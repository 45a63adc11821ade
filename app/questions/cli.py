"""``flask questions ...``: import and export question banks (thin wrappers over app.questions.importing).

    flask questions import FILE --bank KEY [--profession KEY]
                                [--format auto|xlsx|docx|gift|aiken|moodlexml|qti|json] [--dry-run] [--json]
    flask questions export --bank KEY --format xlsx|gift|moodlexml|qti3|json -o FILE
    flask questions template -o FILE.xlsx|FILE.docx
    flask questions approve --bank KEY --reviewer USERNAME [--comment TEXT]
"""
from __future__ import annotations

import json
import os
import sys

import click
from flask import Flask
from flask.cli import AppGroup
from flask_babel import gettext as _

from app.core.cli import CliError
from app.errors import DomainError
from app.extensions import db
from app.questions import importing, services

questions = AppGroup("questions", help="Import and export question banks.")

IMPORT_FORMATS = ("auto", "xlsx", "docx", "gift", "aiken", "moodlexml", "qti", "json")
EXPORT_FORMATS = ("xlsx", "gift", "moodlexml", "qti3", "json")


class _Progress:
    """A click progress bar over the write stage (only when a person is watching, never with --json)."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bar = None
        self.done = 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled or stage != "write" or total <= 0:
            return
        if self.bar is None:
            self.bar = click.progressbar(length=total, label=_("正在写入试题"), file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.done)
        self.done = done

    def close(self):
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@questions.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--bank", "bank_key", required=True, help="Key of the bank; created when it does not exist.")
@click.option("--profession", "profession_key", default=None, help="Profession of a bank created by this import.")
@click.option("--format", "fmt", type=click.Choice(IMPORT_FORMATS), default="auto", show_default=True)
@click.option("--dry-run", is_flag=True, help="Read and check everything, write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object: format, imported, questions, errors.")
def import_command(file, bank_key, profession_key, fmt, dry_run, as_json):
    """Import questions from FILE into a bank: all or nothing; exit code 1 when there is any error."""
    with open(file, "rb") as fh:
        data = fh.read()
    progress = _Progress(not as_json)
    try:
        profession = None
        if profession_key:
            from app.catalog.services import profession_by_key

            profession = profession_by_key(profession_key)
        report = importing.import_file(os.path.basename(file), data, bank_key=bank_key, fmt=fmt,
                                       profession=profession, dry_run=dry_run, progress=progress)
    except DomainError as exc:
        db.session.rollback()
        progress.close()
        location = {"row": 1} if fmt == "xlsx" or file.lower().endswith((".xlsx", ".csv")) else {"line": 1}
        if as_json:
            click.echo(json.dumps({"format": fmt, "imported": 0, "questions": [],
                                   "errors": [{**location, "message": exc.message}]}, ensure_ascii=False))
        else:
            click.echo(_("错误：%(message)s", message=exc.message), err=True)
        raise SystemExit(1)
    progress.close()
    if report.ok and not dry_run:
        db.session.commit()
    else:
        db.session.rollback()
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        _print_report(report)
    raise SystemExit(0 if report.ok else 1)


def _print_report(report: importing.ImportReport) -> None:
    from app.questions.types import TYPES

    counts = _("、").join(f"{TYPES[name].label if name in TYPES else name} {n}"
                          for name, n in sorted(report.counts_by_type().items())) or _("无")
    click.echo(_("格式：%(format)s", format=report.format_label)
               + (_("（按 %(encoding)s 编码读取）", encoding=report.encoding) if report.encoding else ""))
    click.echo(_("读取试题：%(n)s 道（%(counts)s）", n=len(report.questions), counts=counts))
    for warning in report.warnings:
        click.echo(_("提示：%(message)s", message=warning))
    for error in report.errors:
        where = _("第 %(n)s 行", n=error["row"] if "row" in error else error["line"])
        click.echo(_("%(where)s：%(message)s", where=where, message=error["message"]), err=True)
    if report.errors:
        click.echo(_("%(n)s 处错误：未导入任何试题。", n=len(report.errors)), err=True)
    elif report.dry_run:
        click.echo(_("试运行：将在题库 %(bank)s 中新建 %(created)s 道、更新 %(updated)s 道，%(unchanged)s 道未变。",
                     bank=report.bank_key, created=report.created, updated=report.updated,
                     unchanged=report.unchanged))
    else:
        values = {"n": report.imported, "bank": report.bank_key, "created": report.created,
                  "updated": report.updated, "unchanged": report.unchanged}
        click.echo(_("已导入 %(n)s 道试题到新题库 %(bank)s：新建 %(created)s 道、更新 %(updated)s 道、未变 %(unchanged)s 道。",
                     **values) if report.bank_created else
                   _("已导入 %(n)s 道试题到题库 %(bank)s：新建 %(created)s 道、更新 %(updated)s 道、未变 %(unchanged)s 道。",
                     **values))


@questions.command("export")
@click.option("--bank", "bank_key", required=True)
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), required=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True))
def export_command(bank_key, fmt, output):
    """Export a bank's active questions to a file."""
    bank = services.bank_by_key(bank_key)
    if bank is None:
        raise CliError(_("没有这个题库：%(key)s", key=bank_key))
    try:
        data, _mimetype, _ext = importing.export_bank(bank, fmt)
    except DomainError as exc:
        raise CliError(exc.message) from None
    with open(output, "wb") as fh:
        fh.write(data)
    click.echo(_("已写入 %(path)s（%(n)s 字节）", path=output, n=len(data)))


@questions.command("approve")
@click.option("--bank", "bank_key", required=True)
@click.option("--reviewer", "username", required=True, help="The reviewer (审核专家) who approves.")
@click.option("--comment", default="", help="Review comment stored with every approval.")
def approve_command(bank_key, username, comment):
    """Approve every question version of a bank waiting for review (e.g. after an import), as REVIEWER.

    Versions the reviewer wrote or submitted are skipped (nobody approves their own). Exit code 1 when the
    user may not review.
    """
    from app.auth.services import find_user

    bank = services.bank_by_key(bank_key)
    if bank is None:
        raise CliError(_("没有这个题库：%(key)s", key=bank_key))
    reviewer = find_user(username)
    if reviewer is None:
        raise CliError(_("没有这个用户：%(name)s", name=username))
    try:
        approved, skipped = services.approve_pending(bank, reviewer, comment)
    except DomainError as exc:
        db.session.rollback()
        raise CliError(exc.message) from None
    db.session.commit()
    click.echo(_("已通过题库 %(bank)s 中 %(n)s 个试题版本的审核。", bank=bank.key, n=approved)
               + (_("跳过 %(n)s 个由 %(name)s 编写或提交的版本。", n=skipped, name=username) if skipped else ""))


@questions.command("template")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True))
def template_command(output):
    """Write the question template: Word (FILE.docx) or Excel (with examples and drop-downs)."""
    if output.lower().endswith(".docx"):
        from app.questions.formats.docx import template
    else:
        from app.questions.formats.xlsx import template

    with open(output, "wb") as fh:
        fh.write(template())
    click.echo(_("已写入 %(path)s", path=output))


def register(app: Flask) -> None:
    app.cli.add_command(questions)
