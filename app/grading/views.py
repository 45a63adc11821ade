"""Gradebook pages, grade editing (HTML/htmx and JSON with optimistic locking), exports, learner reports,
transcripts and the skill-level eligibility report."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.auth.forms import ConfirmForm
from app.auth.services import get_user, require
from app.core import fileserve, uploads
from app.core.exports import download_name, to_csv, to_xlsx
from app.courses import services as courses
from app.errors import ValidationError
from app.extensions import db
from app.grading import forms, permissions, services
from app.grading.sources import SOURCES

bp = Blueprint("grading", __name__)
uploads.install(bp)


def _managed_course(course_id: int):
    course = courses.get_course(course_id)
    require(permissions.can_manage_gradebook(current_user, course))
    return course


@bp.route("/courses/<int:course_id>/gradebook")
@login_required
def gradebook(course_id: int):
    """Learners x items with effective grades; constant SQL statements however many learners."""
    course = _managed_course(course_id)
    book = services.gradebook(course)
    return render_template("grading/gradebook.html", course=course, book=book, sources=SOURCES,
                           labels=services.status_labels(), confirm=ConfirmForm(), cell_texts=cell_texts)


def cell_texts() -> dict[str, str]:
    """Texts of a gradebook cell, translated once per page rather than once per cell."""
    return {"edit": _("编辑成绩"), "overridden": _("已覆盖，原始成绩"), "ovr": _("覆"), "below": _("未达最低要求")}


def _setup_forms(course, cats):
    cat_form, item_form = forms.CategoryForm(prefix="cat"), forms.ItemForm(prefix="item")
    cat_form.parent_id.choices = [(0, _("（课程总评）"))] + [(c.id, c.name) for c in cats]
    item_form.category_id.choices = [(0, _("（不分类）"))] + [(c.id, c.name) for c in cats]
    item_form.kind.choices = [(s.name, str(s.label)) for s in SOURCES.values()]
    item_form.target_id.set_groups(SOURCES, course)
    return cat_form, item_form


@bp.route("/courses/<int:course_id>/gradebook/setup", methods=["GET", "POST"])
@login_required
def setup(course_id: int):
    course = _managed_course(course_id)
    cats = services.categories(course)
    cat_form, item_form = _setup_forms(course, cats)
    if request.method == "POST":
        if request.form.get("what") == "category" and cat_form.validate_on_submit():
            editing = services.get_category(course, int(request.form["category_id"])) \
                if request.form.get("category_id") else None
            category = services.save_category(course, editing, name=cat_form.name.data, weight=cat_form.weight.data,
                                              drop_lowest=cat_form.drop_lowest.data or 0,
                                              parent_id=cat_form.parent_id.data or None)
            services.recompute_finals(course)
            db.session.commit()
            flash(_("成绩类别“%(name)s”已保存。", name=category.name), "success")
            return redirect(url_for("grading.setup", course_id=course.id))
        if request.form.get("what") == "item" and item_form.validate_on_submit():
            item = services.save_item(course, None, name=item_form.name.data, kind=item_form.kind.data,
                                      max_points=item_form.max_points.data, weight=item_form.weight.data,
                                      category_id=item_form.category_id.data or None,
                                      min_score=item_form.min_score.data, hidden=item_form.hidden.data,
                                      target_id=item_form.target_id.data)
            services.recompute_finals(course)
            db.session.commit()
            flash(_("成绩项“%(name)s”已添加。", name=item.name), "success")
            return redirect(url_for("grading.setup", course_id=course.id))
        flash(_("请检查填写的内容。"), "danger")
    return render_template("grading/setup.html", course=course, categories=cats, items=services.items(course),
                           cat_form=cat_form, item_form=item_form, sources=SOURCES, confirm=ConfirmForm())


@bp.route("/courses/<int:course_id>/gradebook/categories/<int:category_id>/parent", methods=["POST"])
@login_required
def move_category(course_id: int, category_id: int):
    """Put a category under another one (a cycle is refused with a clear message)."""
    course = _managed_course(course_id)
    category = services.get_category(course, category_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        parent_id = int(request.form.get("parent_id") or 0) or None
    except ValueError:
        raise ValidationError(_("上级类别不正确。")) from None
    services.save_category(course, category, name=category.name, weight=category.weight,
                           drop_lowest=category.drop_lowest, parent_id=parent_id)
    services.recompute_finals(course)
    db.session.commit()
    flash(_("类别“%(name)s”的位置已更新。", name=category.name), "success")
    return redirect(url_for("grading.setup", course_id=course.id))


@bp.route("/courses/<int:course_id>/gradebook/items/<int:item_id>/edit", methods=["GET", "POST"])
@login_required
def edit_item(course_id: int, item_id: int):
    course = _managed_course(course_id)
    item = services.get_item(course, item_id)
    _cat_form, form = _setup_forms(course, services.categories(course))
    if request.method == "GET":
        form.process(obj=item)
        form.category_id.data = item.category_id or 0
    if form.validate_on_submit():
        services.save_item(course, item, name=form.name.data, kind=form.kind.data, max_points=form.max_points.data,
                           weight=form.weight.data, category_id=form.category_id.data or None,
                           min_score=form.min_score.data, hidden=form.hidden.data, target_id=form.target_id.data)
        services.recompute_finals(course)
        db.session.commit()
        flash(_("成绩项“%(name)s”已保存。", name=item.name), "success")
        return redirect(url_for("grading.setup", course_id=course.id))
    return render_template("grading/edit_item.html", course=course, item=item, form=form)


@bp.route("/courses/<int:course_id>/gradebook/categories/<int:category_id>/edit", methods=["GET", "POST"])
@login_required
def edit_category(course_id: int, category_id: int):
    course = _managed_course(course_id)
    category = services.get_category(course, category_id)
    form, _item_form = _setup_forms(course, services.categories(course))
    if request.method == "GET":
        form.process(obj=category)
        form.parent_id.data = category.parent_id or 0
    if form.validate_on_submit():
        services.save_category(course, category, name=form.name.data, weight=form.weight.data,
                               drop_lowest=form.drop_lowest.data or 0, parent_id=form.parent_id.data or None)
        services.recompute_finals(course)
        db.session.commit()
        flash(_("成绩类别“%(name)s”已保存。", name=category.name), "success")
        return redirect(url_for("grading.setup", course_id=course.id))
    return render_template("grading/edit_item.html", course=course, item=None, form=form)


@bp.route("/courses/<int:course_id>/gradebook/items/<int:item_id>/visibility", methods=["POST"])
@login_required
def toggle_item(course_id: int, item_id: int):
    course = _managed_course(course_id)
    item = services.get_item(course, item_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.set_hidden(item, not item.hidden)
    services.recompute_finals(course)
    db.session.commit()
    flash(_("“%(name)s”已对学员隐藏。", name=item.name) if item.hidden else _("“%(name)s”已向学员公布。", name=item.name),
          "success")
    return redirect(url_for("grading.setup", course_id=course.id))


@bp.route("/courses/<int:course_id>/gradebook/recompute", methods=["POST"])
@login_required
def recompute(course_id: int):
    course = _managed_course(course_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    count = services.recompute_finals(course)
    db.session.commit()
    flash(_("已重新计算 %(n)s 名学员的总评。", n=count), "success")
    return redirect(url_for("grading.gradebook", course_id=course.id))


def _apply_edit(course, item, user_id: int, *, mode: str, value, reason: str, version):
    try:
        expected = int(version) if version not in (None, "") else None
    except (TypeError, ValueError):
        raise ValidationError(_("版本号不正确。")) from None
    if expected is None:
        raise ValidationError(_("缺少版本号：请刷新页面后再修改。"))
    if mode == "override":
        services.override_grade(course, item, user_id, value, reason=reason, by=current_user, expected_version=expected)
    elif mode == "value":
        services.set_manual_grade(course, item, user_id, value, by=current_user, expected_version=expected)
    else:
        raise ValidationError(_("未知的操作。"))


@bp.route("/courses/<int:course_id>/gradebook/grades/<int:item_id>/<int:user_id>", methods=["GET", "POST"])
@login_required
def grade_cell(course_id: int, item_id: int, user_id: int):
    """GET: the edit form of one cell (htmx swaps it in). POST: save a manual grade or an override."""
    course = _managed_course(course_id)
    item = services.get_item(course, item_id)
    require(permissions.can_view_learner_grades(current_user, course, user_id))  # a learner of this course only
    student = get_user(user_id)
    form = forms.GradeForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            raise ValidationError(_("请检查填写的内容。"))
        _apply_edit(course, item, student.id, mode=form.mode.data, value=(form.value.data or "").strip(),
                    reason=form.reason.data or "", version=form.version.data)
        db.session.commit()
        if request.headers.get("HX-Request"):  # the swapped-in cell (bold) is the confirmation
            grade = services.get_grade(item, student.id)
            return render_template("grading/_cell.html", course=course, item=item, student=student, grade=grade,
                                   saved=True, standalone=True, cell_texts=cell_texts)
        flash(_("%(name)s 的“%(item)s”成绩已保存。", name=student.display_name, item=item.name), "success")
        return redirect(url_for("grading.gradebook", course_id=course.id))
    grade = services.get_grade(item, student.id)
    if request.args.get("view"):
        return render_template("grading/_cell.html", course=course, item=item, student=student, grade=grade,
                               standalone=True, cell_texts=cell_texts, saved=False)
    history = services.override_history(grade) if grade else []
    template = "grading/_cell_form.html" if request.headers.get("HX-Request") else "grading/cell.html"
    return render_template(template, course=course, item=item, student=student, grade=grade, form=form,
                           history=history, entered_by_hand=SOURCES[item.kind].entered_by_hand,
                           files=services.grade_files(item, student.id), max_files=services.MAX_GRADE_FILES,
                           confirm=ConfirmForm())


@bp.route("/courses/<int:course_id>/gradebook/grades/<int:item_id>/<int:user_id>/files", methods=["POST"])
@uploads.upload_endpoint(services.GRADE_FILE_KINDS)
@login_required
def attach_files(course_id: int, item_id: int, user_id: int):
    """The teacher attaches feedback files (a marked-up photo, a PDF of comments) to a learner's grade."""
    course = _managed_course(course_id)
    item = services.get_item(course, item_id)
    require(permissions.can_view_learner_grades(current_user, course, user_id))
    if not ConfirmForm().validate_on_submit():
        abort(400)
    attached = services.attach_grade_files(course, item, user_id, request.files.getlist("files"), by=current_user)
    db.session.commit()
    flash(_("已附加 %(n)s 个反馈文件。", n=len(attached)), "success")
    return redirect(url_for("grading.grade_cell", course_id=course.id, item_id=item.id, user_id=user_id))


@bp.route("/courses/<int:course_id>/grade-files/<int:file_id>")
@login_required
def grade_file(course_id: int, file_id: int):
    course = courses.get_course(course_id)
    grade_file_ = services.get_grade_file(course, file_id)
    require(permissions.can_view_grade_file(current_user, course, grade_file_))
    media = grade_file_.media_file
    if request.args.get("thumb") and media.preview_key:
        return fileserve.send_stored(media.preview_key, mimetype="image/jpeg")
    return fileserve.send_stored(media.storage_key, mimetype=media.mime, etag=media.sha256[:32],
                                 filename=media.original_name, attachment=media.kind != "image")


@bp.route("/api/courses/<int:course_id>/grades/<int:item_id>/<int:user_id>", methods=["GET", "PUT"])
@login_required
def grade_api(course_id: int, item_id: int, user_id: int):
    """JSON: GET the grade with its version; PUT {"value", "version", "override": bool, "reason"}.
    A stale version answers 409 Conflict."""
    course = _managed_course(course_id)
    item = services.get_item(course, item_id)
    require(permissions.can_view_learner_grades(current_user, course, user_id))  # a learner of this course only
    if request.method == "PUT":
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise ValidationError(_("请求内容必须是 JSON 对象。"))
        _apply_edit(course, item, user_id, mode="override" if data.get("override") else "value",
                    value=data.get("value"), reason=data.get("reason") or "", version=data.get("version"))
        db.session.commit()
    grade = services.get_grade(item, user_id)
    return jsonify({"item": item.id, "user": user_id, "value": grade.value if grade else None,
                    "overridden": bool(grade and grade.overridden), "effective": grade.effective if grade else None,
                    "version": grade.version if grade else 0})


@bp.route("/courses/<int:course_id>/gradebook/export.<fmt>")
@login_required
def export(course_id: int, fmt: str):
    course = _managed_course(course_id)
    if fmt not in ("xlsx", "csv"):
        abort(404)
    headers, rows = services.export_rows(services.gradebook(course))
    name = f"{course.title}-{_('成绩册')}.{fmt}"
    if fmt == "xlsx":
        return Response(to_xlsx(headers, rows, title=_("成绩册")), headers=download_name(name),
                        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return Response(to_csv(headers, rows), headers=download_name(name), mimetype="text/csv; charset=utf-8")


def _report(course, student_id: int, template: str):
    result, visible_items, grades = services.learner_report(course, student_id)
    return render_template(template, course=course, student=get_user(student_id), result=result,
                           items=visible_items, grades=grades, labels=services.status_labels(),
                           files=services.grade_files_of_learner(course, student_id))


@bp.route("/courses/<int:course_id>/grades")
@login_required
def my_grades(course_id: int):
    """A learner's own grades and how the final was computed."""
    course = courses.get_course(course_id)
    require(permissions.can_view_own_grades(current_user, course))
    return _report(course, current_user.id, "grading/report.html")


@bp.route("/courses/<int:course_id>/grades/<int:student_id>")
@login_required
def learner_grades(course_id: int, student_id: int):
    """The same report seen by a teacher, or by a mentor for an assigned learner only."""
    course = courses.get_course(course_id)
    require(permissions.can_view_learner_grades(current_user, course, student_id))
    return _report(course, student_id, "grading/report.html")


@bp.route("/transcript")
@bp.route("/transcript/<int:user_id>")
@login_required
def transcript(user_id: int | None = None):
    student = get_user(user_id) if user_id else current_user
    require(permissions.can_view_transcript(current_user, student))
    lines = services.transcript(student)
    # Each course's action: the learner's own grades, or (an admin looking) the learner's report where allowed.
    if student.id == current_user.id:
        links = {line.course.id: url_for("grading.my_grades", course_id=line.course.id) for line in lines}
    else:
        links = {line.course.id: url_for("grading.learner_grades", course_id=line.course.id, student_id=student.id)
                 for line in lines if permissions.can_view_learner_grades(current_user, line.course, student.id)}
    return render_template("grading/transcript.html", student=student, lines=lines, links=links,
                           labels=services.status_labels())


@bp.route("/cohorts/<int:cohort_id>/eligibility")
@login_required
def eligibility(cohort_id: int):
    cohort = courses.get_cohort(cohort_id)
    require(permissions.can_view_eligibility(current_user, cohort))
    return render_template("grading/eligibility.html", report=services.eligibility(cohort))


@bp.route("/cohorts/<int:cohort_id>/eligibility.xlsx")
@login_required
def eligibility_export(cohort_id: int):
    cohort = courses.get_cohort(cohort_id)
    require(permissions.can_view_eligibility(current_user, cohort))
    headers, rows = services.eligibility_export(services.eligibility(cohort))
    return Response(to_xlsx(headers, rows, title=_("认定条件")),
                    headers=download_name(f"{cohort.name}-{_('职业技能等级认定条件')}.xlsx"),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
