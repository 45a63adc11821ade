"""Administration pages of teacher training: program management (platform admins), offline training sessions
(platform and school admins), and the teacher's own 学时 page. Routes live on the certification blueprint."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.auth.services import require
from app.certification import forms, permissions, services
from app.certification import programs as admin
from app.certification.sources import SOURCES
from app.core import uploads
from app.core.pagination import paginate
from app.core.security import safe_next_url
from app.errors import FORM_REFUSED_STATUS, DomainError, ValidationError, form_error_text, form_refused
from app.extensions import db


def register_routes(bp) -> None:
    """Add this module's pages to the certification blueprint ``bp``."""
    for rule, endpoint, view, methods in ROUTES:
        bp.add_url_rule(rule, endpoint, view, methods=methods)
    uploads.install(bp)  # the attendance upload's size limit is checked before the body is read


# ---- program management ---------------------------------------------------------------------------------------
def _program_form(program=None) -> forms.ProgramForm:
    """The program form with its choices; on GET for an existing program, filled from it."""
    from app.exams.models import Exam

    form = forms.ProgramForm(obj=program if request.method == "GET" else None)
    levels = admin.levels()
    form.level_id.choices = [(lv.id, lv.name) for lv in levels]
    form.prerequisite_level_id.choices = [(0, _("（无）"))] + [(lv.id, lv.name) for lv in levels]
    exams = select(Exam.id, Exam.title).where(Exam.school_id.is_(None))
    if program is not None and program.exam_id:
        exams = exams.union(select(Exam.id, Exam.title).where(Exam.id == program.exam_id))
    form.exam_id.choices = [(0, _("（不要求）"))] + [(r.id, r.title) for r in db.session.execute(exams)]
    if request.method == "GET" and program is not None:
        form.prerequisite_level_id.data = program.prerequisite_level_id or 0
        form.exam_id.data = program.exam_id or 0
        credits = admin.course_credits(pc.course_id for pc in program.courses)
        while form.courses.entries:
            form.courses.pop_entry()
        for pc in program.courses:
            form.courses.append_entry({"course_id": pc.course_id, "min_hours": pc.min_hours,
                                       "credit_hours": credits.get(pc.course_id)})
        for _spare in range(forms.SPARE_COURSE_ROWS):
            form.courses.append_entry()
    course_choices = [(0, _("（不选）"))] + [(c.id, c.title) for c in admin.training_courses()]
    for row in form.courses:
        row.form.course_id.choices = course_choices
    return form


def _requirements(form) -> list[admin.CourseRequirement]:
    return [admin.CourseRequirement(course_id=row.form.course_id.data, min_hours=row.form.min_hours.data or 0.0,
                                    credit_hours=row.form.credit_hours.data)
            for row in form.courses if row.form.course_id.data]


def _save_program(form, program):
    return admin.save_program(
        program=program, key=form.key.data, title=form.title.data, level_id=form.level_id.data,
        requirements=_requirements(form), prerequisite_level_id=form.prerequisite_level_id.data or None,
        min_total_hours=form.min_total_hours.data, exam_id=form.exam_id.data or None,
        exam_pass_percent=form.exam_pass_percent.data, practical_title=form.practical_title.data or "",
        practical_pass_score=form.practical_pass_score.data, validity_years=form.validity_years.data,
        description=form.description.data or "", is_open=form.is_open.data)


@login_required
def admin_programs():
    """Platform admins: every program, searchable by title/code, level and published state."""
    require(permissions.can_manage_programs(current_user))
    q = request.args.get("q", "")[:100]
    level_id = request.args.get("level", type=int)
    state = request.args.get("state", "")
    page = paginate(admin.search_programs(q, level_id, state))
    counts = admin.enrollment_counts([p.id for p in page.items])
    return render_template("certification/admin_programs.html", page=page, q=q, level_id=level_id, state=state,
                           levels=admin.levels(), counts=counts, action_form=forms.ActionForm())


def _program_page(program):
    """The create/edit page: on a valid POST save and go back to the list; otherwise (re)show the form, with
    the field errors and the service's refusal kept next to what the admin typed."""
    form = _program_form(program)
    error = None
    if form.validate_on_submit():
        try:
            saved = _save_program(form, program)
        except DomainError as exc:
            return form_refused(exc, "certification/program_form.html", form=form, program=program, error=None)
        db.session.commit()
        flash(_("培训项目“%(t)s”已保存。", t=saved.title), "success")
        return redirect(url_for("certification.admin_programs"))
    elif request.method == "POST":
        error = form_error_text(form) or _("表单无效。")
    status = FORM_REFUSED_STATUS
    return render_template("certification/program_form.html", form=form, program=program, error=error), status


@login_required
def program_new():
    require(permissions.can_manage_programs(current_user))
    return _program_page(None)


@login_required
def program_edit(program_id: int):
    program = services.get_program(program_id)
    require(permissions.can_manage_programs(current_user))
    return _program_page(program)


def _set_open(program_id: int, is_open: bool):
    program = services.get_program(program_id)
    require(permissions.can_manage_programs(current_user))
    if not forms.ActionForm().validate_on_submit():
        raise ValidationError(_("请求无效，请刷新页面后重试。"))
    admin.set_program_open(program, is_open)
    db.session.commit()
    flash(_("“%(t)s”已发布。", t=program.title) if is_open else _("“%(t)s”已取消发布。", t=program.title), "success")
    return redirect(safe_next_url(request.args.get("next"), url_for("certification.admin_programs")))


@login_required
def program_publish(program_id: int):
    return _set_open(program_id, True)


@login_required
def program_unpublish(program_id: int):
    return _set_open(program_id, False)


# ---- the teacher's 学时 ----------------------------------------------------------------------------------------
@login_required
def my_hours():
    """The signed-in user's 学时 ledger: totals by source and every line with its course."""
    by_source = admin.hours_by_source(current_user.id)
    page = admin.ledger_page(current_user.id, request.args.get("page", 1, type=int) or 1,
                             current_app.config["PAGE_SIZE"])
    titles = admin.course_titles(e.course_id for e in page.items)
    return render_template("certification/hours.html", page=page, titles=titles, sources=SOURCES,
                           videos=admin.video_titles(e.video_id for e in page.items),
                           by_source=by_source, total=sum(by_source.values()),
                           enrollments=services.enrollments_of(current_user))


# ---- offline training -----------------------------------------------------------------------------------------
def _offline_form() -> forms.OfflineSessionForm:
    form = forms.OfflineSessionForm()
    form.course_id.choices = [(c.id, c.title) for c in admin.training_courses()]
    form.program_id.choices = [(0, _("（不指定）"))] + [(p.id, p.title) for p in admin.visible_programs(current_user)]
    form.attendance.render_kw = {"accept": ",".join(uploads.extensions_for(admin.ATTENDANCE_KINDS))}
    return form


@login_required
def offline_sessions():
    require(permissions.can_record_offline(current_user))
    page = paginate(admin.offline_sessions_for(current_user))
    counts = admin.attendee_counts([s.id for s in page.items])
    return render_template("certification/offline_sessions.html", page=page, counts=counts)


@login_required
def offline_new():
    require(permissions.can_record_offline(current_user))
    form = _offline_form()
    error = None
    if form.validate_on_submit():
        try:
            session = admin.create_offline_session(
                title=form.title.data, held_on=form.held_on.data, hours=form.hours.data,
                course_id=form.course_id.data, program_id=form.program_id.data or None,
                attendance_file=form.attendance.data, actor=current_user)
        except DomainError as exc:
            return form_refused(exc, "certification/offline_new.html", form=form, error=None)
        db.session.commit()
        flash(_("线下培训已登记。下一步：导入或勾选参训教师。"), "success")
        return redirect(url_for("certification.offline_session", session_id=session.id))
    elif request.method == "POST":
        error = form_error_text(form) or _("表单无效。")
    status = FORM_REFUSED_STATUS
    return render_template("certification/offline_new.html", form=form, error=error), status


offline_new.upload_limits = (admin.ATTENDANCE_KINDS, None)


def _own_session(session_id: int):
    session = admin.get_offline_session(session_id)
    require(permissions.can_view_offline_session(current_user, session))
    return session


def _pick_form(session) -> forms.AttendeePickForm | None:
    """The tick list of the admin's own school teachers (platform admins, who have no school, import a sheet)."""
    if current_user.school_id is None:
        return None
    form = forms.AttendeePickForm()
    form.teacher_ids.choices = [(t.id, f"{t.display_name}（{t.username}）")
                                for t in admin.school_teachers(current_user.school_id)]
    return form


def _session_page(session, *, import_form=None, error=None, row_errors=(), status=200):
    return render_template("certification/offline_session.html", session=session,
                           attendees=admin.attendees(session), import_form=import_form or forms.AttendeeImportForm(),
                           pick_form=_pick_form(session), error=error, row_errors=list(row_errors)), status


@login_required
def offline_session(session_id: int):
    return _session_page(_own_session(session_id))


@login_required
def offline_attendance_file(session_id: int):
    from app.core.fileserve import send_stored

    session = _own_session(session_id)
    return send_stored(session.attendance_key, mimetype=session.attendance_mime, filename=session.attendance_name,
                       attachment=True)


@login_required
def offline_import(session_id: int):
    session = _own_session(session_id)
    form = forms.AttendeeImportForm()
    if not form.validate_on_submit():
        raise ValidationError(_("请选择名单文件。"))
    try:
        added, already = admin.import_attendees(session, form.file.data.filename or "", form.file.data.read(),
                                                actor=current_user)
    except ValidationError as exc:
        db.session.rollback()
        session = _own_session(session_id)
        return _session_page(session, import_form=form, error=exc.message, row_errors=exc.details or (),
                             status=FORM_REFUSED_STATUS)
    db.session.commit()
    flash(_("已登记 %(n)s 名教师，%(m)s 名此前已登记。", n=added, m=already), "success")
    return redirect(url_for("certification.offline_session", session_id=session.id))


@login_required
def offline_pick(session_id: int):
    session = _own_session(session_id)
    form = _pick_form(session)
    require(form is not None)
    if not form.validate_on_submit():
        raise ValidationError(_("请至少选择一名教师。"))
    chosen = [t for t in admin.school_teachers(current_user.school_id) if t.id in set(form.teacher_ids.data)]
    added = admin.record_attendance(session, chosen, actor=current_user)
    db.session.commit()
    flash(_("已登记 %(n)s 名教师，%(m)s 名此前已登记。", n=added, m=len(chosen) - added), "success")
    return redirect(url_for("certification.offline_session", session_id=session.id))


ROUTES = [
    ("/training/admin", "admin_programs", admin_programs, ["GET"]),
    ("/training/admin/new", "program_new", program_new, ["GET", "POST"]),
    ("/training/admin/<int:program_id>/edit", "program_edit", program_edit, ["GET", "POST"]),
    ("/training/admin/<int:program_id>/publish", "program_publish", program_publish, ["POST"]),
    ("/training/admin/<int:program_id>/unpublish", "program_unpublish", program_unpublish, ["POST"]),
    ("/training/hours", "my_hours", my_hours, ["GET"]),
    ("/training/offline", "offline_sessions", offline_sessions, ["GET"]),
    ("/training/offline/new", "offline_new", offline_new, ["GET", "POST"]),
    ("/training/offline/<int:session_id>", "offline_session", offline_session, ["GET"]),
    ("/training/offline/<int:session_id>/attendance", "offline_attendance_file", offline_attendance_file, ["GET"]),
    ("/training/offline/<int:session_id>/import", "offline_import", offline_import, ["POST"]),
    ("/training/offline/<int:session_id>/attendees", "offline_pick", offline_pick, ["POST"]),
]
