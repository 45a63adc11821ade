"""Course standard pages (list, standard, version, print, edit forms) and the resource package pages of a
profession (panel on the profession page, coverage, search)."""
from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from app.auth.forms import ConfirmForm
from app.auth.services import require
from app.catalog import services as catalog
from app.catalog.views import PROFESSION_PANELS
from app.core.exports import download_name
from app.core.pagination import paginate
from app.core.templating import NAVIGATION
from app.errors import FORM_REFUSED_STATUS, DomainError, NotFound, ValidationError
from app.extensions import db
from app.review import permissions as review_permissions
from app.review import services as review
from app.standards import browse, forms, permissions, resources, services
from app.standards.sections import DEFAULT_STAGES, SECTIONS
from app.standards import yamlio
from app.standards.yamlio import StandardImportError, dump_version

bp = Blueprint("standards", __name__)


def _service_ok(form, call) -> bool:
    """Run a service for a submitted form; its ValidationError is shown with the form instead of
    an error page, so the user keeps what they typed."""
    try:
        call()
    except ValidationError as exc:
        db.session.rollback()
        form.form_errors.append(exc.message)
        return False
    return True


def _form_page(template: str, form, **context):
    return render_template(template, form=form, **context), FORM_REFUSED_STATUS


def _visible_version(version):
    """Unapproved versions do not exist for learners (404, so drafts are not even confirmed)."""
    if not permissions.can_view_version(current_user, version):
        raise NotFound(_("课程标准版本不存在。"))
    return version


# --- standards and versions ----------------------------------------------------------------------------------

@bp.route("/standards")
@login_required
def index():
    stmt = services.list_standards(request.args.get("profession", type=int))
    if not permissions.can_edit_standards(current_user):
        stmt = stmt.where(services.CourseStandard.current_version_id.is_not(None))
    return render_template("standards/index.html", page=paginate(stmt),
                           can_edit=permissions.can_edit_standards(current_user))


@bp.route("/standards/new", methods=["GET", "POST"])
@login_required
def new():
    require(permissions.can_edit_standards(current_user))
    form = forms.NewStandardForm()
    form.profession_id.choices = catalog.profession_choices()
    form.level_id.choices = [(lv.id, lv.name) for lv in catalog.training_levels()]
    if request.method == "GET" and request.args.get("profession", type=int):
        form.profession_id.data = request.args.get("profession", type=int)
    if form.validate_on_submit():
        profession = catalog.get_profession(form.profession_id.data)
        level = next(lv for lv in catalog.training_levels() if lv.id == form.level_id.data)
        created = []
        if _service_ok(form, lambda: created.append(
                services.create_standard(profession, level, current_user, title=form.title.data or ""))):
            db.session.commit()
            flash(_("课程标准已创建，请编写第 1 版草稿。"), "success")
            return redirect(url_for("standards.version", version_id=created[0].id))
    return _form_page("standards/new.html", form)


@bp.route("/standards/import", methods=["GET", "POST"])
@login_required
def upload_yaml():
    """Upload a YAML standard file and preview what importing it would create; nothing is written yet."""
    require(permissions.can_edit_standards(current_user))
    form = forms.StandardUploadForm()
    errors, plans, confirm = [], [], None
    if form.validate_on_submit():
        upload = form.file.data
        raw = upload.read(yamlio.MAX_UPLOAD_BYTES + 1)
        try:
            plans = yamlio.plan_upload(yamlio.read_upload(raw, upload.filename),
                                       lenient_hours=form.lenient_hours.data)
        except StandardImportError as exc:
            errors = exc.errors
        else:
            confirm = forms.StandardImportConfirmForm(
                formdata=None, content=raw.decode("utf-8-sig"), filename=upload.filename,
                lenient_hours="1" if form.lenient_hours.data else "")
    status = FORM_REFUSED_STATUS
    return render_template("standards/import.html", form=form, errors=errors, plans=plans,
                           confirm=confirm), status


@bp.route("/standards/import/confirm", methods=["POST"])
@login_required
def confirm_upload():
    """Import the previewed file, all or nothing; the file is validated again (it may have been edited since)."""
    require(permissions.can_edit_standards(current_user))
    form = forms.StandardImportConfirmForm()
    if not form.validate_on_submit():
        raise ValidationError(_("导入请求无效，请重新上传文件。"))
    try:
        results = yamlio.import_upload(form.content.data.encode("utf-8"), form.filename.data, current_user,
                                       lenient_hours=form.lenient_hours.data == "1")
    except (StandardImportError, DomainError) as exc:
        db.session.rollback()
        errors = exc.errors if isinstance(exc, StandardImportError) else [exc.message]
        return render_template("standards/import.html", form=forms.StandardUploadForm(), errors=errors, plans=[],
                               confirm=None), FORM_REFUSED_STATUS
    db.session.commit()
    changed = [v for v, was_changed in results if was_changed]
    flash(_("已导入 %(n)s 个课程标准版本（草稿），未改动 %(u)s 个。", n=len(changed), u=len(results) - len(changed)),
          "success")
    if len(results) == 1:
        return redirect(url_for("standards.version", version_id=results[0][0].id))
    return redirect(url_for("standards.index"))


@bp.route("/standards/<int:standard_id>")
@login_required
def standard(standard_id: int):
    standard = services.get_standard(standard_id)
    can_edit = permissions.can_edit_standards(current_user)
    if standard.current_version_id is None and not can_edit:
        raise NotFound(_("课程标准不存在。"))
    version = services.load_tree(standard.current_version) if standard.current_version_id else None
    return render_template("standards/standard.html", standard=standard, version=version, can_edit=can_edit,
                           versions=services.versions_of(standard) if can_edit else [],
                           open_version=services.open_version(standard) if can_edit else None,
                           warnings=services.hours_warnings(version) if version else [], confirm=ConfirmForm(),
                           sections=SECTIONS)


@bp.route("/standards/<int:standard_id>/versions", methods=["POST"])
@login_required
def new_version(standard_id: int):
    standard = services.get_standard(standard_id)
    require(permissions.can_edit_standards(current_user))
    if not ConfirmForm().validate_on_submit():
        raise NotFound()
    version = services.new_draft(standard, current_user)
    db.session.commit()
    flash(_("已基于当前版本创建第 %(n)s 版草稿。", n=version.number), "success")
    return redirect(url_for("standards.version", version_id=version.id))


@bp.route("/standards/versions/<int:version_id>")
@login_required
def version(version_id: int):
    version = services.load_tree(_visible_version(services.get_version(version_id)))
    return render_template("standards/version.html", version=version, standard=version.standard,
                           warnings=services.hours_warnings(version), total=services.total_hours(version),
                           can_edit=permissions.can_edit_version(current_user, version),
                           can_submit=permissions.can_submit_version(current_user, version),
                           can_unpublish=review_permissions.can_review(current_user),
                           confirm=ConfirmForm(), sections=SECTIONS)


@bp.route("/standards/versions/<int:version_id>/print")
@login_required
def print_version(version_id: int):
    version = services.load_tree(_visible_version(services.get_version(version_id)))
    return render_template("standards/print.html", version=version, standard=version.standard,
                           total=services.total_hours(version), warnings=services.hours_warnings(version),
                           sections=SECTIONS)


@bp.route("/standards/versions/<int:version_id>/export.yaml")
@login_required
def export_version(version_id: int):
    """The version as YAML, importable with ``flask standards import`` (same format as content/)."""
    version = services.load_tree(_visible_version(services.get_version(version_id)))
    name = f"{version.standard.profession.key}-{version.standard.training_level.key}-v{version.number}.yaml"
    return Response(dump_version(version), mimetype="application/x-yaml", headers=download_name(name))


@bp.route("/standards/versions/<int:version_id>/edit", methods=["GET", "POST"])
@login_required
def edit_version(version_id: int):
    version = services.get_version(version_id)
    require(permissions.can_edit_standards(current_user))
    review.require_editable(version)
    form = forms.VersionForm(obj=version)
    if request.method == "GET":
        for key in SECTIONS:
            section = version.section(key)
            getattr(form, f"section_{key}").data = section.source if section else ""
    if form.validate_on_submit():
        services.update_version(version, title=form.title.data, change_note=form.change_note.data,
                                sections={key: getattr(form, f"section_{key}").data for key in SECTIONS})
        db.session.commit()
        flash(_("已保存。"), "success")
        return redirect(url_for("standards.version", version_id=version.id))
    return render_template("standards/version_form.html", form=form, version=version, sections=SECTIONS)


# --- courses and tasks of a draft ----------------------------------------------------------------------------

@bp.route("/standards/versions/<int:version_id>/courses/new", methods=["GET", "POST"])
@login_required
def new_course(version_id: int):
    version = services.get_version(version_id)
    require(permissions.can_edit_standards(current_user))
    review.require_editable(version)
    form = forms.CourseForm()
    if form.validate_on_submit() and _service_ok(form, lambda: services.save_course(
            version, None, code=form.code.data, name=form.name.data, hours=form.hours.data,
            task_description=form.task_description.data)):
        db.session.commit()
        flash(_("一体化课程已添加。"), "success")
        return redirect(url_for("standards.version", version_id=version.id))
    return _form_page("standards/course_form.html", form, version=version, course=None)


@bp.route("/standards/courses/<int:course_id>/edit", methods=["GET", "POST"])
@login_required
def edit_course(course_id: int):
    course = services.get_course(course_id)
    require(permissions.can_edit_standards(current_user))
    review.require_editable(course.version)
    form = forms.CourseForm(obj=course)
    if form.validate_on_submit() and _service_ok(form, lambda: services.save_course(
            course.version, course, code=form.code.data, name=form.name.data, hours=form.hours.data,
            task_description=form.task_description.data)):
        db.session.commit()
        flash(_("一体化课程已保存。"), "success")
        return redirect(url_for("standards.version", version_id=course.version_id))
    return _form_page("standards/course_form.html", form, version=course.version, course=course,
                      confirm=ConfirmForm())


@bp.route("/standards/courses/<int:course_id>/delete", methods=["POST"])
@login_required
def delete_course(course_id: int):
    course = services.get_course(course_id)
    require(permissions.can_edit_standards(current_user))
    if not ConfirmForm().validate_on_submit():
        raise NotFound()
    version_id = course.version_id
    services.delete_course(course)
    db.session.commit()
    flash(_("一体化课程已删除。"), "success")
    return redirect(url_for("standards.version", version_id=version_id))


def _task_form(version, task=None) -> forms.TaskForm:
    form = forms.TaskForm(obj=task)
    codes = [t.code for c in services.load_tree(version).courses for t in c.tasks if task is None or t.id != task.id]
    form.prerequisite_codes.choices = [(c, c) for c in codes]
    if request.method == "GET":
        stages = task.stages if task is not None else None
        form.stage_lines.data = "\n".join(s.name for s in stages) if stages else "\n".join(DEFAULT_STAGES.values())
        form.prerequisite_codes.data = [p.code for p in task.prerequisites] if task is not None else []
    return form


@bp.route("/standards/courses/<int:course_id>/tasks/new", methods=["GET", "POST"])
@login_required
def new_task(course_id: int):
    course = services.get_course(course_id)
    require(permissions.can_edit_standards(current_user))
    review.require_editable(course.version)
    form = _task_form(course.version)
    if form.validate_on_submit() and _service_ok(form, lambda: services.save_task(
            course, None, code=form.code.data, name=form.name.data, hours=form.hours.data,
            objectives=form.objectives.data, stages=services.parse_stages(form.stage_lines.data),
            prerequisite_codes=form.prerequisite_codes.data)):
        db.session.commit()
        flash(_("学习任务已添加。"), "success")
        return redirect(url_for("standards.version", version_id=course.version_id))
    return _form_page("standards/task_form.html", form, course=course, task=None)


@bp.route("/standards/tasks/<int:task_id>/edit", methods=["GET", "POST"])
@login_required
def edit_task(task_id: int):
    task = services.get_task(task_id)
    require(permissions.can_edit_standards(current_user))
    review.require_editable(task.course.version)
    form = _task_form(task.course.version, task)
    if form.validate_on_submit() and _service_ok(form, lambda: services.save_task(
            task.course, task, code=form.code.data, name=form.name.data, hours=form.hours.data,
            objectives=form.objectives.data, stages=services.parse_stages(form.stage_lines.data, task.stages),
            prerequisite_codes=form.prerequisite_codes.data)):
        db.session.commit()
        flash(_("学习任务已保存。"), "success")
        return redirect(url_for("standards.version", version_id=task.course.version_id))
    return _form_page("standards/task_form.html", form, course=task.course, task=task, confirm=ConfirmForm())


@bp.route("/standards/tasks/<int:task_id>/delete", methods=["POST"])
@login_required
def delete_task(task_id: int):
    task = services.get_task(task_id)
    require(permissions.can_edit_standards(current_user))
    if not ConfirmForm().validate_on_submit():
        raise NotFound()
    version_id = task.course.version_id
    services.delete_task(task)
    db.session.commit()
    flash(_("学习任务已删除。"), "success")
    return redirect(url_for("standards.version", version_id=version_id))


# --- the resource package of a profession --------------------------------------------------------------------

def _package_args() -> dict:
    kind = request.args.get("kind", "")
    return {"level_id": request.args.get("level", type=int), "kind": kind if kind in resources.PROVIDERS else ""}


def profession_panel(profession):
    """Panel of the profession page (catalog.profession): the approved standard tree with resources per task."""
    pkg = browse.package(profession, **_package_args())
    return "standards/_package.html", {"pkg": pkg, "providers": resources.providers(), "labels": _labels(),
                                       "can_edit": permissions.can_edit_standards(current_user)}


def _labels() -> dict:
    return {p.kind: p.label for p in resources.providers()}


PROFESSION_PANELS.append(profession_panel)


@bp.route("/professions/<int:profession_id>/coverage")
@login_required
def coverage(profession_id: int):
    profession = catalog.get_profession(profession_id)
    pkg = browse.package(profession, level_id=request.args.get("level", type=int))
    rows = browse.coverage_rows(pkg)
    kinds = [p for p in resources.providers() if p.coverage]
    missing_only = request.args.get("missing") == "1"
    if missing_only:
        rows = [r for r in rows if any(n == 0 for n in r[2].values())]
    lacking = {p.kind: sum(1 for r in browse.coverage_rows(pkg) if r[2][p.kind] == 0) for p in kinds}
    return render_template("standards/coverage.html", pkg=pkg, rows=rows, kinds=kinds, lacking=lacking,
                           missing_only=missing_only)


@bp.route("/resources/search")
@login_required
def search():
    q = request.args.get("q", "").strip()[:100]
    args = dict(profession_id=request.args.get("profession", type=int), field_id=request.args.get("field", type=int),
                level_id=request.args.get("level", type=int), kind=_package_args()["kind"])
    hits = browse.search(q, **args) if q else []
    return render_template("standards/search.html", q=q, hits=hits, fields=catalog.fields(),
                           levels=catalog.training_levels(), providers=resources.providers(), args=args,
                           labels=_labels(),
                           professions=list(db.session.scalars(catalog.search_professions())))


# The nav entry lives here so its label sits in this domain's catalogue.
NAVIGATION.append(("standards.index", _l("课程标准"), None, "resources"))
