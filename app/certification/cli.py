"""``flask certification issue --program KEY`` (batch issue with a progress bar) and ``revoke``."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from flask_babel import gettext as _

from app.core.cli import CliError
from app.errors import DomainError
from app.extensions import db


def register(app: Flask) -> None:
    group = AppGroup("certification", help="Training programs and certificates.")

    @group.command("issue")
    @click.option("--program", "program_key", required=True, help="Training program key.")
    @click.option("--by", "by_username", default=None, help="Username recorded as the issuer.")
    @click.option("--pdf", "pdf_path", type=click.Path(dir_okay=False), default=None,
                  help="Also write the new certificates into this one print-ready PDF (a page each).")
    @click.option("--pdf-dir", type=click.Path(file_okay=False), default=None,
                  help="Also write each new certificate's own PDF into this folder (slower than --pdf: a font subset each).")
    def issue(program_key, by_username, pdf_path, pdf_dir):
        """Issue certificates to every enrolled teacher who meets all requirements; list who is refused and why."""
        import os

        from flask import url_for

        from app.auth import services as auth
        from app.certification import services
        try:
            program = services.program_by_key(program_key)
        except DomainError as exc:
            raise CliError(str(exc)) from None
        actor = auth.find_user(by_username) if by_username else None
        with click.progressbar(length=services.count_pending(program), label=_("正在发证")) as bar:
            # Committed chunk by chunk: the bar shows work that is done, and an interruption keeps it.
            issued, refused = services.issue_ready(program, actor=actor, progress=bar.update,
                                                   after_chunk=db.session.commit)
        db.session.commit()
        if pdf_path and issued:
            with app.test_request_context():
                items = [(cert, url_for("certification.verify", code=cert.code, _external=True)) for cert in issued]
                with open(pdf_path, "wb") as fh:
                    fh.write(services.certificates_pdf(items))
            click.echo(_("已写入 %(path)s（%(n)s 页）", path=pdf_path, n=len(issued)))
        if pdf_dir and issued:
            os.makedirs(pdf_dir, exist_ok=True)
            with app.test_request_context(), click.progressbar(issued, label=_("正在写入 PDF")) as bar:
                for cert in bar:
                    data = services.certificate_pdf(cert, url_for("certification.verify", code=cert.code,
                                                                  _external=True))
                    with open(os.path.join(pdf_dir, f"{cert.serial}.pdf"), "wb") as fh:
                        fh.write(data)
        click.echo(_("已发证 %(issued)s 张，未发 %(refused)s 人", issued=len(issued), refused=len(refused)))
        for user, reasons in list(refused.items())[:50]:
            click.echo(f"  {user.username}：{_('；').join(reasons)}")

    @group.command("create-program")
    @click.option("--key", required=True)
    @click.option("--title", required=True)
    @click.option("--level", "level_key", required=True, help="Teacher level key (content/teacher_levels.yaml).")
    @click.option("--total-hours", type=float, default=0.0)
    @click.option("--course", "course_specs", multiple=True, help="COURSE_ID:MIN_HOURS (repeatable).")
    @click.option("--exam", "exam_id", type=int, default=None)
    @click.option("--pass-percent", type=float, default=60.0)
    @click.option("--practical", "practical_title", default="", help="Practical task title, e.g. 学习任务分析与策划.")
    @click.option("--prerequisite", "prerequisite_key", default=None, help="Teacher level key required first.")
    @click.option("--validity-years", type=int, default=None)
    def create_program(key, title, level_key, total_hours, course_specs, exam_id, pass_percent, practical_title,
                       prerequisite_key, validity_years):
        """Create or update a training program; prints its id."""
        from sqlalchemy import select

        from app.certification import services
        from app.certification.models import TeacherLevel
        from app.courses.models import Course

        def level(k):
            found = db.session.scalar(select(TeacherLevel).where(TeacherLevel.key == k))
            if found is None:
                raise CliError(_("未知的教师等级：%(key)s", key=k))
            return found

        courses = []
        for spec in course_specs:
            course_id, _sep, hours = spec.partition(":")
            course = db.session.get(Course, int(course_id)) if course_id.isdigit() else None
            if course is None or course.kind != "training_course":
                raise CliError(_("%(spec)s：不是培训课程的编号", spec=spec))
            courses.append((course, float(hours or 0)))
        try:
            program = services.save_program(key=key, title=title, level=level(level_key), min_total_hours=total_hours,
                                            courses=courses, exam_id=exam_id, exam_pass_percent=pass_percent,
                                            practical_title=practical_title,
                                            prerequisite_level=level(prerequisite_key) if prerequisite_key else None,
                                            validity_years=validity_years)
        except DomainError as exc:
            raise CliError(str(exc)) from None
        db.session.commit()
        click.echo(program.id)

    @group.command("revoke")
    @click.argument("serial")
    @click.option("--reason", required=True)
    @click.option("--by", "by_username", required=True)
    def revoke(serial, reason, by_username):
        """Revoke the certificate with this serial number."""
        from sqlalchemy import select

        from app.auth import services as auth
        from app.certification import services
        from app.certification.models import Certificate

        cert = db.session.scalar(select(Certificate).where(Certificate.serial == serial))
        if cert is None:
            raise CliError(_("没有这张证书"))
        try:
            services.revoke_certificate(cert, reason, auth.find_user(by_username))
        except DomainError as exc:
            raise CliError(str(exc)) from None
        db.session.commit()
        click.echo(_("已撤销证书 %(serial)s", serial=serial))

    @group.command("import-offline")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    @click.option("--course", "course_id", type=int, required=True, help="Training course id the hours count for.")
    @click.option("--by", "by_username", required=True, help="Administrator recording the training.")
    def import_offline(path, course_id, by_username):
        """Record offline training 学时 from an attendance sheet (用户名, 学时, 备注); all rows or none."""
        import hashlib
        import os

        from app.auth import services as auth
        from app.core.storage import get_storage
        from app.courses.models import Course

        course = db.session.get(Course, course_id)
        actor = auth.find_user(by_username)
        if course is None or actor is None:
            raise CliError(_("课程或用户不存在"))
        with open(path, "rb") as fh:
            data = fh.read()
        from app.certification import services

        ext = os.path.splitext(path)[1].lstrip(".").lower()
        ext = ext if ext.isalnum() and len(ext) <= 8 else "bin"
        # Named by its content, so importing the same sheet again finds its lines and adds none.
        digest = hashlib.sha256(data).hexdigest()
        key = f"attendance/{digest[:2]}/{digest}.{ext}"
        try:
            added = services.import_offline_training(os.path.basename(path), data, course=course, actor=actor,
                                                     evidence=f"file:{key}")
        except DomainError as exc:
            raise CliError(str(exc)) from None
        if added:
            get_storage().put(key, data)  # the attendance sheet is the evidence the ledger lines point at
        db.session.commit()
        click.echo(_("已记录 %(n)s 条线下培训学时", n=added) if added else
                   _("这份签到表以前导入过：没有新记录"))

    @group.command("course-credit")
    @click.argument("course_id", type=int)
    @click.argument("hours", type=float)
    def course_credit(course_id, hours):
        """Set the 学时 a training course is worth on completion (0 = none)."""
        from app.certification import programs
        from app.courses.models import Course

        course = db.session.get(Course, course_id)
        if course is None or course.kind != programs.TRAINING_COURSE:
            raise CliError(_("不是培训课程的编号"))
        try:
            programs.set_course_credit(course.id, hours)
        except DomainError as exc:
            raise CliError(str(exc)) from None
        db.session.commit()
        click.echo(f"{course.title}: {hours:g}")

    @group.command("credit-completions")
    @click.option("--batch", type=int, default=200, show_default=True, help="Learners checked per transaction.")
    def credit_completions(batch):
        """Write the course-completion 学时 still due to learners of training courses worth 学时 (idempotent).

        Completions reported by the results_changed signal are credited at once; this catches the rest (e.g.
        courses completed by video coverage, or before the course was given a value)."""
        from sqlalchemy import select

        from app.certification import programs
        from app.certification.models import CourseCredit
        from app.courses.models import Enrollment

        user_ids = list(db.session.scalars(select(Enrollment.user_id).join(
            CourseCredit, CourseCredit.course_id == Enrollment.course_id).where(
            CourseCredit.hours > 0, Enrollment.status == "active", Enrollment.role == "learner").distinct()
            .order_by(Enrollment.user_id)))
        written = 0
        for start in range(0, len(user_ids), batch):
            written += programs.credit_completed_courses(user_ids[start:start + batch])
            db.session.commit()
        click.echo(_("已检查 %(n)s 名学员，写入 %(written)s 条学时", n=len(user_ids), written=written))

    app.cli.add_command(group)
