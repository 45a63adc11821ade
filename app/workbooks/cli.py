"""``flask workbooks pdf KEY_OR_ID -o FILE`` (print a workbook without a browser) and ``flask workbooks list``."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from flask_babel import gettext as _
from sqlalchemy import select

from app.core.cli import CliError
from app.extensions import db

workbooks_cli = AppGroup("workbooks", help="Loose-leaf workbooks (活页式教材).")


def _find(ref: str):
    from app.workbooks.models import Workbook

    workbook = db.session.scalar(select(Workbook).where(Workbook.key == ref))
    if workbook is None and ref.isdigit():
        workbook = db.session.get(Workbook, int(ref))
    if workbook is None:
        raise CliError(_("没有键名或编号为 %(ref)s 的活页式教材", ref=ref))
    return workbook


@workbooks_cli.command("list")
def list_command():
    """Workbooks with their page counts (published / all)."""
    from app.workbooks.models import Workbook
    from app.workbooks.services import workbooks_of_profession

    profession_ids = db.session.scalars(select(Workbook.profession_id).distinct()).all()
    for profession_id in sorted(profession_ids):
        for row in workbooks_of_profession(profession_id, include_unpublished=True):
            wb = row.workbook
            click.echo(f"{wb.id}\t{wb.key or '-'}\t{wb.profession.key}\t{row.published_pages}/{row.pages}\t{wb.title}")


@workbooks_cli.command("pdf")
@click.argument("ref")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True)
@click.option("--drafts", is_flag=True, help="Print the newest version of every page (a proof), not the published one.")
def pdf_command(ref, output, drafts):
    """Write a workbook (by key or id) as a PDF: its published pages, or a proof with --drafts."""
    from app.workbooks.printing import workbook_pdf

    workbook = _find(ref)
    data = workbook_pdf(workbook, include_unpublished=drafts)
    with open(output, "wb") as fh:
        fh.write(data)
    click.echo(_("%(path)s：%(kb)s KB，教材“%(title)s”", path=output, kb=f"{len(data) / 1024:.0f}", title=workbook.title))


def register(app: Flask) -> None:
    app.cli.add_command(workbooks_cli)
