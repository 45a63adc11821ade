"""``flask exams ...``: create exams from a bank's questions and close overdue attempts."""
from __future__ import annotations

from datetime import datetime, timezone

import click
from flask import Flask
from flask.cli import AppGroup
from flask_babel import gettext as _
from sqlalchemy import select

from app.core.cli import CliError
from app.errors import DomainError
from app.exams import services
from app.extensions import db

exams = AppGroup("exams", help="Create exams and close overdue attempts.")


def _iso(value: str | None):
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(_("不是 ISO 格式的日期时间：%(value)s", value=value)) from None
    if moment.tzinfo is None:
        raise click.BadParameter(_("请写明时区偏移，例如 %(example)s", example=f"{value}+08:00"))
    return moment.astimezone(timezone.utc)


@exams.command("create")
@click.option("--title", required=True)
@click.option("--bank", "bank_key", required=True, help="Key of the question bank to draw from.")
@click.option("--draw", required=True, help="TYPE:N[,TYPE:N...], e.g. single_choice:10,true_false:5")
@click.option("--points", type=float, default=1.0, show_default=True, help="Points per question.")
@click.option("--time-limit", type=int, required=True, help="Minutes per attempt.")
@click.option("--attempts", type=int, default=1, show_default=True)
@click.option("--open", "opens", help="ISO date-time with offset, e.g. 2026-12-01T09:00+08:00")
@click.option("--close", "closes", help="ISO date-time with offset")
@click.option("--user", "usernames", multiple=True, help="Grant access to this user (repeatable).")
def create(title, bank_key, draw, points, time_limit, attempts, opens, closes, usernames):
    """Create an exam whose paper draws questions by type from a bank; prints the exam id."""
    from app.auth.services import find_user
    from app.questions.models import QuestionBank

    try:
        bank = db.session.scalar(select(QuestionBank).where(QuestionBank.key == bank_key))
        if bank is None:
            raise CliError(_("没有这个题库：%(key)s", key=bank_key))
        users = []
        for name in usernames:
            user = find_user(name)
            if user is None:
                raise CliError(_("没有这个用户：%(name)s", name=name))
            users.append(user)
        paper = services.create_paper(title=title)
        for qtype, count in services.parse_draw(draw):
            services.add_paper_rule(paper, bank=bank, qtype=qtype, count=count, points=points)
        exam = services.create_exam(paper=paper, title=title, time_limit_minutes=time_limit,
                                    max_attempts=attempts, opens_at=_iso(opens), closes_at=_iso(closes))
        for user in users:
            services.grant_access(exam, user)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        raise CliError(exc.message) from None
    click.echo(exam.id)


@exams.command("close-overdue")
def close_overdue():
    """Close and grade every attempt past its deadline (with its autosaved answers)."""
    total = 0
    while True:
        closed = services.close_overdue()
        db.session.commit()
        total += closed
        if closed == 0:
            break
    click.echo(_("已关闭 %(n)s 份超时的答卷", n=total))


def register(app: Flask) -> None:
    app.cli.add_command(exams)
