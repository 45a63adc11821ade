"""Course, cohort, enrollment, pairing and activity pages (and the JSON progress of one learner)."""
from __future__ import annotations

import re

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.auth.forms import ConfirmForm
from app.auth.services import require
from app.catalog import services as catalog
from app.core.pagination import paginate
from app.courses import forms, permissions, services
from app.courses.activities import KINDS, get_kind
from app.courses.models import CourseKind
from app.errors import DomainError, ValidationError, form_refused
from app.extensions import db, limiter
from app.orgs import services as orgs

bp = Blueprint("courses", __name__)

_SPLIT = re.compile(r"[\s,，;；、]+")


def _catalog_choices(form) -> None:
    form.profession_id.choices = [(0, _("（不指定）"))] + catalog.profession_choices()
    form.training_level_id.choices = [(0, _("（不指定）"))] + [(lv.id, lv.name) for lv in catalog.training_levels()]
    if hasattr(form, "integrated_course_id"):
        form.integrated_course_id.choices = [(0, _("（不指定）"))] + services.integrated_course_choices()


def _or_none(value):
    return value or None


def _course(course_id: int, *, manage: bool = False):
    course = services.get_course(course_id)
    require(permissions.can_manage_course(current_user, course) if manage
            else permissions.can_view_course(current_user, course))
    return course


# --- courses --------------------------------------------------------------------------------------------------

@bp.route("/courses")
@login_required
def index():
    mine = services.courses_of_user(current_user)
    managed = None
    if permissions.is_platform_admin(current_user):
        managed = paginate(services.all_courses())
    elif current_user.has_role("school_admin") and current_user.school_id:
        managed = paginate(services.courses_of_school(current_user.school_id))
    progress = services.progress_of_user(current_user, [c.id for c, e in mine if e.role == "learner"])
    return render_template("courses/index.html", mine=mine, managed=managed, progress=progress,
                           can_create=permissions.can_create_course(current_user))


@bp.route("/courses/new", methods=["GET", "POST"])
@login_required
def new_course():
    require(permissions.can_create_course(current_user))
    form = forms.CourseForm()
    _catalog_choices(form)
    if form.validate_on_submit():
        try:
            course = _create_course(form)
        except DomainError as exc:
            return form_refused(exc, "courses/course_form.html", form=form, course=None)
        db.session.commit()
        flash(_("课程“%(title)s”已创建。下一步：添加学员和学习活动。", title=course.title), "success")
        return redirect(url_for("courses.course", course_id=course.id))
    return render_template("courses/course_form.html", form=form, course=None)


def _create_course(form):
    school = current_user.school
    if form.kind.data == CourseKind.class_course.value and school is None:
        raise ValidationError(_("班级课程必须属于一所学校；平台管理员请用命令行 flask courses create --school 创建。"),
                              details={"field": "kind"})
    profession = catalog.get_profession(form.profession_id.data) if form.profession_id.data else None
    level = next((lv for lv in catalog.training_levels() if lv.id == form.training_level_id.data), None)
    teachers = [current_user] if current_user.has_role("teacher") else []
    return services.create_course(
        title=form.title.data, kind=form.kind.data, school=school, profession=profession, training_level=level,
        term=form.term.data or "", teachers=teachers, integrated_course_id=_or_none(form.integrated_course_id.data),
        is_shared=form.is_shared.data, enrol_key=form.enrol_key.data, pass_mark=form.pass_mark.data,
        description=form.description.data or "")


def _version(value) -> int | None:
    """The version the editing page was loaded with (a tampered value is a 400, not a 500)."""
    if not value:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationError(_("版本号不正确，请刷新页面后再保存。")) from None


@bp.route("/courses/<int:course_id>/edit", methods=["GET", "POST"])
@login_required
def edit_course(course_id: int):
    course = _course(course_id, manage=True)
    form = forms.CourseForm(obj=course)
    _catalog_choices(form)
    del form.kind
    if request.method == "GET":
        form.version.data = course.version
        form.profession_id.data = course.profession_id or 0
        form.training_level_id.data = course.training_level_id or 0
        form.integrated_course_id.data = course.integrated_course_id or 0
    if form.validate_on_submit():
        try:
            services.update_course(
                course, expected_version=_version(form.version.data), title=form.title.data,
                term=form.term.data or "", profession_id=_or_none(form.profession_id.data),
                training_level_id=_or_none(form.training_level_id.data),
                integrated_course_id=_or_none(form.integrated_course_id.data), pass_mark=form.pass_mark.data,
                enrol_key=form.enrol_key.data, is_shared=form.is_shared.data,
                description=form.description.data or "")
        except DomainError as exc:
            return form_refused(exc, "courses/course_form.html", form=form, course=course)
        db.session.commit()
        flash(_("课程设置已保存。"), "success")
        return redirect(url_for("courses.course", course_id=course.id))
    return render_template("courses/course_form.html", form=form, course=course)


@bp.route("/courses/<int:course_id>")
@login_required
def course(course_id: int):
    course = services.get_course(course_id)
    if not permissions.can_view_course(current_user, course):
        if course.enrol_key:
            return redirect(url_for("courses.join", course_id=course.id))
        require(False)
    acts = services.activities(course)
    learner = permissions.is_learner(current_user, course)
    matrix = services.completion_matrix(acts, [current_user.id]) if learner else {}
    summary = services.progress_summary(acts, matrix, current_user.id) if learner else None
    return render_template("courses/course.html", course=course, activities=acts, matrix=matrix, summary=summary,
                           learner=learner, can_manage=permissions.can_manage_course(current_user, course),
                           is_mentor=permissions.is_mentor(current_user, course), kinds=KINDS,
                           learner_count=services.count_learners(course), confirm=ConfirmForm())


def _key_guess_failed(response) -> bool:
    """Only wrong keys count toward the limit."""
    return response.status_code != 302


def _user_key() -> str:
    return f"enrol-key:{current_user.id if current_user.is_authenticated else request.remote_addr}"


@bp.route("/courses/<int:course_id>/join", methods=["GET", "POST"])
@login_required
# Enrol keys are short and typed by hand: limit wrong guesses per account (whatever the course).
@limiter.limit("10 per 10 minutes", methods=["POST"], key_func=_user_key, deduct_when=_key_guess_failed)
def join(course_id: int):
    course = services.get_course(course_id)
    require(permissions.can_self_enrol(current_user, course))
    form = forms.SelfEnrolForm()
    if form.validate_on_submit():
        try:
            services.self_enrol(course, current_user, form.key.data)
        except DomainError as exc:  # a wrong key: type it again, on the same page
            return form_refused(exc, "courses/join.html", form=form, field="key", course=course)
        db.session.commit()
        flash(_("已加入课程“%(title)s”。", title=course.title), "success")
        return redirect(url_for("courses.course", course_id=course.id))
    return render_template("courses/join.html", course=course, form=form)


# --- participants -------------------------------------------------------------------------------------------------

def _cohort_choices(course) -> list[tuple[int, str]]:
    school_id = course.school_id if course.school_id else current_user.school_id
    rows = list(db.session.scalars(services.cohorts_of_school(school_id))) if school_id else []
    counts = services.member_counts([c.id for c in rows])
    return [(c.id, f"{c.name}（{counts.get(c.id, 0)}）") for c in rows]


@bp.route("/courses/<int:course_id>/participants")
@login_required
def participants(course_id: int):
    course = _course(course_id, manage=True)
    return render_template("courses/participants.html", **_participants_page(course))


def _participants_page(course, **forms_sent) -> dict:
    """The participants page; ``forms_sent`` (names_form, cohort_form, upload_form) replace the empty forms
    after a refusal, so what was typed stays in its form."""
    cohort_form = forms.CohortEnrolForm()
    cohort_form.cohort_id.choices = _cohort_choices(course)
    page = dict(course=course, enrollments=services.participants(course), names_form=forms.UsernamesForm(),
                upload_form=forms.UploadForm(), cohort_form=cohort_form, confirm=ConfirmForm(), row_errors=[])
    page.update(forms_sent)
    return page


@bp.route("/courses/<int:course_id>/participants/add", methods=["POST"])
@login_required
def add_participants(course_id: int):
    course = _course(course_id, manage=True)
    form = forms.UsernamesForm()
    try:
        if not form.validate_on_submit():
            raise ValidationError(_("请填写用户名并选择课程角色。"))
        users = services.users_by_username(_SPLIT.split(form.usernames.data))
        count = services.enrol_users(course, users, role=form.role.data)
    except DomainError as exc:  # a typo in the list: the list comes back with the unknown names named
        return form_refused(exc, "courses/participants.html", field=form.usernames,
                            **_participants_page(course, names_form=form))
    db.session.commit()
    flash(_("已选入 %(n)s 人。", n=count), "success")
    return redirect(url_for("courses.participants", course_id=course.id))


@bp.route("/courses/<int:course_id>/participants/cohort", methods=["POST"])
@login_required
def add_cohort(course_id: int):
    course = _course(course_id, manage=True)
    form = forms.CohortEnrolForm()
    form.cohort_id.choices = _cohort_choices(course)
    if not form.validate_on_submit():
        return form_refused(ValidationError(_("请选择班级。")), "courses/participants.html",
                            **_participants_page(course, cohort_form=form))
    cohort = services.get_cohort(form.cohort_id.data)
    require(permissions.can_view_cohort(current_user, cohort) or permissions.can_manage_course(current_user, course)
            and cohort.school_id == course.school_id)
    count = services.enrol_cohort(course, cohort)
    db.session.commit()
    flash(_("班级“%(name)s”的 %(n)s 名学生已选入。", name=cohort.name, n=count), "success")
    return redirect(url_for("courses.participants", course_id=course.id))


@bp.route("/courses/<int:course_id>/participants/upload", methods=["POST"])
@login_required
def upload_participants(course_id: int):
    course = _course(course_id, manage=True)
    form = forms.UploadForm()
    try:
        if not form.validate_on_submit():
            raise ValidationError(_("请选择要上传的名单文件。"))
        upload = form.file.data
        count = services.enrol_from_table(course, upload.filename or "", upload.read())
    except DomainError as exc:
        return form_refused(exc, "courses/participants.html",
                            **_participants_page(course, upload_form=form, row_errors=exc.details or []))
    db.session.commit()
    flash(_("名单导入完成，已选入 %(n)s 人。", n=count), "success")
    return redirect(url_for("courses.participants", course_id=course.id))


@bp.route("/courses/<int:course_id>/participants/<int:enrollment_id>/unenrol", methods=["POST"])
@login_required
def unenrol(course_id: int, enrollment_id: int):
    course = _course(course_id, manage=True)
    enrollment = services.get_enrollment(course, enrollment_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.unenrol(enrollment)
    db.session.commit()
    flash(_("%(name)s 已退课（记录保留，可重新选入）。", name=enrollment.user.display_name), "success")
    return redirect(url_for("courses.participants", course_id=course.id))


# --- mentor pairing (拜师) ---------------------------------------------------------------------------------------------

def _mentor_form(course) -> forms.MentorForm:
    form = forms.MentorForm()
    form.student_id.choices = [(u.id, f"{u.display_name}（{u.username}）") for u in services.learners(course)]
    form.mentor_id.choices = [(u.id, f"{u.display_name}（{u.username}）") for u in services.available_mentors(course)]
    return form


@bp.route("/courses/<int:course_id>/mentors", methods=["GET", "POST"])
@login_required
def mentors(course_id: int):
    course = _course(course_id, manage=True)
    form = _mentor_form(course)
    if form.validate_on_submit():
        from app.auth.services import get_user

        try:
            services.assign_mentor(course, get_user(form.student_id.data), get_user(form.mentor_id.data))
        except DomainError as exc:
            return form_refused(exc, "courses/mentors.html", form=form, course=course,
                                assignments=services.mentor_assignments(course),
                                unpaired=services.students_without_mentor(course), confirm=ConfirmForm())
        db.session.commit()
        flash(_("拜师结对已保存。"), "success")
        return redirect(url_for("courses.mentors", course_id=course.id))
    return render_template("courses/mentors.html", course=course, form=form,
                           assignments=services.mentor_assignments(course),
                           unpaired=services.students_without_mentor(course), confirm=ConfirmForm())


@bp.route("/courses/<int:course_id>/mentors/<int:assignment_id>/delete", methods=["POST"])
@login_required
def remove_mentor(course_id: int, assignment_id: int):
    course = _course(course_id, manage=True)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.remove_mentor_assignment(course, assignment_id)
    db.session.commit()
    flash(_("结对已解除。"), "success")
    return redirect(url_for("courses.mentors", course_id=course.id))


@bp.route("/courses/<int:course_id>/mentees")
@login_required
def mentees(course_id: int):
    course = _course(course_id)
    require(permissions.is_mentor(current_user, course))
    students = services.mentees(course, current_user)
    acts = services.activities(course)
    matrix = services.completion_matrix(acts, [s.id for s in students])
    return render_template("courses/mentees.html", course=course, students=students, activities=acts,
                           summaries={s.id: services.progress_summary(acts, matrix, s.id) for s in students})


def _student_progress(course_id: int, student_id: int):
    course = services.get_course(course_id)
    require(permissions.can_view_student(current_user, course, student_id))
    from app.auth.services import get_user

    student = get_user(student_id)
    acts = services.activities(course)
    matrix = services.completion_matrix(acts, [student.id])
    return course, student, acts, matrix


@bp.route("/courses/<int:course_id>/students/<int:student_id>")
@login_required
def student(course_id: int, student_id: int):
    course, student, acts, matrix = _student_progress(course_id, student_id)
    return render_template("courses/student.html", course=course, student=student, activities=acts, matrix=matrix,
                           summary=services.progress_summary(acts, matrix, student.id))


@bp.route("/api/courses/<int:course_id>/students/<int:student_id>/progress")
@login_required
def student_progress_json(course_id: int, student_id: int):
    course, student, acts, matrix = _student_progress(course_id, student_id)
    done, total, percent = services.progress_summary(acts, matrix, student.id)
    return jsonify({"course": course.id, "student": {"id": student.id, "username": student.username},
                    "done": done, "total": total, "percent": percent,
                    "activities": [{"id": a.id, "kind": a.kind, "title": a.title,
                                    "state": matrix[a.id][student.id].state.value,
                                    "percent": matrix[a.id][student.id].percent} for a in acts]})


# --- activities -------------------------------------------------------------------------------------------------------

@bp.route("/courses/<int:course_id>/activities/new", methods=["GET", "POST"])
@login_required
def new_activity(course_id: int):
    course = _course(course_id, manage=True)
    form = forms.ActivityForm()
    form.kind.choices = [(k.name, str(k.label)) for k in KINDS.values()]
    form.target_id.set_groups(KINDS, course)
    if form.validate_on_submit():
        try:
            activity = services.add_activity(course, kind=form.kind.data, title=form.title.data,
                                             target_id=form.target_id.data, body=form.body.data or "",
                                             url=(form.url.data or "").strip() or None,
                                             rule={"require": form.require.data})
        except DomainError as exc:  # a javascript: link, a missing text: the form again, reason at the field
            return form_refused(exc, "courses/activity_form.html", form=form, course=course)
        db.session.commit()
        flash(_("活动“%(title)s”已添加。", title=activity.title), "success")
        return redirect(url_for("courses.course", course_id=course.id))
    # A refused form comes back with what was typed and the reason beside the field.
    return render_template("courses/activity_form.html", course=course, form=form)


@bp.route("/courses/<int:course_id>/activities/<int:activity_id>")
@login_required
def activity(course_id: int, activity_id: int):
    course = _course(course_id)
    act = services.get_activity(course, activity_id)
    learner = permissions.is_learner(current_user, course)
    completion = services.completion_matrix([act], [current_user.id])[act.id].get(current_user.id) if learner else None
    can_manage = permissions.can_manage_course(current_user, course)
    kind = get_kind(act.kind)
    students, marks = [], {}
    if can_manage and kind is not None and kind.manual_marking:  # the tick list of an offline activity
        students = services.learners(course)
        marks = services.completion_matrix([act], [s.id for s in students])[act.id]
    return render_template("courses/activity.html", course=course, activity=act, kind=kind, learner=learner,
                           completion=completion, confirm=ConfirmForm(), can_manage=can_manage, students=students,
                           marks=marks)


@bp.route("/courses/<int:course_id>/activities/<int:activity_id>/done", methods=["POST"])
@login_required
def mark_done(course_id: int, activity_id: int):
    """A learner marks a self-marked activity (a page) as read."""
    course = _course(course_id)
    act = services.get_activity(course, activity_id)
    kind = get_kind(act.kind)
    require(permissions.is_learner(current_user, course) and kind is not None and kind.self_marking)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.set_marks(act, [current_user.id], done=True, by=current_user)
    db.session.commit()
    flash(_("已标记为完成。"), "success")
    return redirect(url_for("courses.course", course_id=course.id))


@bp.route("/courses/<int:course_id>/activities/<int:activity_id>/marks", methods=["POST"])
@login_required
def set_marks(course_id: int, activity_id: int):
    """A teacher ticks (or unticks) learners on a manual activity."""
    course = _course(course_id, manage=True)
    act = services.get_activity(course, activity_id)
    kind = get_kind(act.kind)
    if kind is None or not kind.manual_marking:
        raise ValidationError(_("该活动的完成情况由系统判定，不能手工勾选。"))
    if not ConfirmForm().validate_on_submit():
        abort(400)
    learner_ids = {u.id for u in services.learners(course)}
    try:
        chosen = {int(v) for v in request.form.getlist("user_id")}
    except ValueError:
        raise ValidationError(_("学员编号不正确。")) from None
    if not chosen <= learner_ids:
        raise ValidationError(_("只能勾选本课程的学员。"))
    done = request.form.get("done", "1") == "1"
    count = services.set_marks(act, chosen, done=done, by=current_user)
    db.session.commit()
    flash(_("已更新 %(n)s 名学员的完成情况。", n=count), "success")
    return redirect(url_for("courses.activity", course_id=course.id, activity_id=act.id))


@bp.route("/courses/<int:course_id>/activities/<int:activity_id>/move", methods=["POST"])
@login_required
def move_activity(course_id: int, activity_id: int):
    course = _course(course_id, manage=True)
    act = services.get_activity(course, activity_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.move_activity(course, act, -1 if request.form.get("direction") == "up" else 1)
    db.session.commit()
    flash(_("活动顺序已调整。"), "success")
    return redirect(url_for("courses.course", course_id=course.id))


@bp.route("/courses/<int:course_id>/activities/<int:activity_id>/delete", methods=["POST"])
@login_required
def delete_activity(course_id: int, activity_id: int):
    course = _course(course_id, manage=True)
    act = services.get_activity(course, activity_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.delete_activity(course, act)
    db.session.commit()
    flash(_("活动“%(title)s”已删除。", title=act.title), "success")
    return redirect(url_for("courses.course", course_id=course.id))


@bp.route("/courses/<int:course_id>/progress")
@login_required
def progress(course_id: int):
    """Class progress table: one row per learner, one column per activity; constant SQL statements."""
    course = _course(course_id, manage=True)
    students = services.learners(course)
    acts = services.activities(course)
    matrix = services.completion_matrix(acts, [s.id for s in students])
    return render_template("courses/progress.html", course=course, students=students, activities=acts,
                           matrix=matrix, kinds=KINDS, confirm=ConfirmForm(),
                           summaries={s.id: services.progress_summary(acts, matrix, s.id) for s in students})


# --- cohorts (班级) ---------------------------------------------------------------------------------------------------

@bp.route("/cohorts")
@login_required
def cohorts():
    require(permissions.can_manage_cohorts(current_user))
    school_id = None if permissions.is_platform_admin(current_user) else current_user.school_id
    page = paginate(services.cohorts_of_school(school_id))
    return render_template("courses/cohorts.html", page=page, counts=services.member_counts([c.id for c in page.items]),
                           can_create=current_user.school_id is not None)


@bp.route("/cohorts/new", methods=["GET", "POST"])
@login_required
def new_cohort():
    require(permissions.can_manage_cohorts(current_user) and current_user.school_id is not None)
    form = forms.CohortForm()
    _catalog_choices(form)
    if form.validate_on_submit():
        level = next((lv for lv in catalog.training_levels() if lv.id == form.training_level_id.data), None)
        try:
            cohort = services.create_cohort(
                school=orgs.get_school(current_user.school_id), name=form.name.data, entry_year=form.entry_year.data,
                profession=catalog.get_profession(form.profession_id.data) if form.profession_id.data else None,
                training_level=level)
        except DomainError as exc:
            return form_refused(exc, "courses/cohort_form.html", form=form, field="name")
        db.session.commit()
        flash(_("班级“%(name)s”已创建。下一步：添加学生。", name=cohort.name), "success")
        return redirect(url_for("courses.cohort", cohort_id=cohort.id))
    return render_template("courses/cohort_form.html", form=form)


@bp.route("/cohorts/<int:cohort_id>")
@login_required
def cohort(cohort_id: int):
    cohort = services.get_cohort(cohort_id)
    require(permissions.can_view_cohort(current_user, cohort))
    return render_template("courses/cohort.html", **_cohort_page(cohort, forms.UsernamesForm()))


def _cohort_page(cohort, form) -> dict:
    return dict(cohort=cohort, members=services.cohort_members(cohort), courses=services.courses_of_cohort(cohort),
                form=form, confirm=ConfirmForm(), can_transcripts=permissions.is_platform_admin(current_user)
                or permissions.is_school_admin_of(current_user, cohort.school_id))


@bp.route("/cohorts/<int:cohort_id>/members", methods=["POST"])
@login_required
def add_members(cohort_id: int):
    cohort = services.get_cohort(cohort_id)
    require(permissions.can_view_cohort(current_user, cohort))
    form = forms.UsernamesForm()
    try:
        if not form.validate_on_submit():
            raise ValidationError(_("请填写学生用户名。"))
        count = services.add_cohort_members(cohort, services.users_by_username(_SPLIT.split(form.usernames.data)))
    except DomainError as exc:  # a typo in the list: the list comes back with the unknown names named
        return form_refused(exc, "courses/cohort.html", field=form.usernames, **_cohort_page(cohort, form))
    db.session.commit()
    flash(_("已加入 %(n)s 名学生。", n=count), "success")
    return redirect(url_for("courses.cohort", cohort_id=cohort.id))


@bp.route("/cohorts/<int:cohort_id>/members/<int:user_id>/delete", methods=["POST"])
@login_required
def remove_member(cohort_id: int, user_id: int):
    cohort = services.get_cohort(cohort_id)
    require(permissions.can_view_cohort(current_user, cohort))
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.remove_cohort_member(cohort, user_id)
    db.session.commit()
    flash(_("学生已移出班级。"), "success")
    return redirect(url_for("courses.cohort", cohort_id=cohort.id))
