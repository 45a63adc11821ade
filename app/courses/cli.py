"""``flask courses create`` and ``flask courses enroll`` for scripts."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.core.cli import CliError
from app.errors import DomainError
from app.extensions import db


def register(app: Flask) -> None:
    group = AppGroup("courses", help="Courses and enrollments.")

    @group.command("create")
    @click.option("--title", required=True)
    @click.option("--kind", type=click.Choice(["class_course", "training_course"]), required=True)
    @click.option("--school", "school_key", help="School key (required for class courses).")
    @click.option("--profession", "profession_key")
    @click.option("--level", "level_key", help="Training level key (intermediate, advanced, ...).")
    @click.option("--term", default="")
    @click.option("--teacher", "teachers", multiple=True, help="Username of an instructor (repeatable).")
    def create(title, kind, school_key, profession_key, level_key, term, teachers):
        """Create a course; prints its id."""
        from app.catalog import services as catalog
        from app.catalog.models import TrainingLevel
        from app.courses import services
        from app.orgs import services as orgs

        try:
            school = orgs.school_by_key(school_key) if school_key else None
            profession = catalog.profession_by_key(profession_key) if profession_key else None
            level = None
            if level_key:
                level = db.session.scalar(select(TrainingLevel).where(TrainingLevel.key == level_key))
                if level is None:
                    raise CliError(_("未知的培训层级：%(key)s", key=level_key))
            users = services.users_by_username(teachers) if teachers else []
            course = services.create_course(title=title, kind=kind, school=school, profession=profession,
                                            training_level=level, term=term, teachers=users)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            raise CliError(exc.message) from None
        click.echo(course.id)

    ROLE_LABELS = {"learner": _l("学员"), "instructor": _l("教师"), "mentor": _l("企业导师")}

    @group.command("enroll")
    @click.argument("course_id", type=int)
    @click.argument("usernames", nargs=-1, required=True)
    @click.option("--role", type=click.Choice(["learner", "instructor", "mentor"]), default="learner")
    def enroll(course_id, usernames, role):
        """Enrol users (all or nothing)."""
        from app.courses import services

        try:
            course = services.get_course(course_id)
            count = services.enrol_users(course, services.users_by_username(usernames), role=role, method="cli")
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            raise CliError(exc.message) from None
        click.echo(_("已将 %(n)s 人加入课程 %(course)s（%(role)s）", n=count, course=course.title,
                     role=ROLE_LABELS.get(role, role)))

    app.cli.add_command(group)
