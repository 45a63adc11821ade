"""Workbook pages: lists per profession, the reader, the editor, history and diffs, print view and PDF."""
from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from app.auth.services import require
from app.catalog import services as catalog
from app.core import clock
from app.core.exports import download_name
from app.core.templating import NAVIGATION
from app.errors import ValidationError
from app.extensions import db
from app.workbooks import forms, links, permissions, printing, services
from app.workbooks.fields import FIELD_TYPES
from app.workbooks.labels import stage_choices, stage_label
from app.workbooks.markup import split_slots

bp = Blueprint("workbooks", __name__)


@bp.app_template_filter("stage_label")
def _stage_label(key: str, task=None) -> str:
    return stage_label(key, task)


@bp.app_context_processor
def _field_helpers():
    return {"worksheet_parts": split_slots, "WORKSHEET_FIELD_TYPES": FIELD_TYPES}


@bp.route("/workbooks")
@login_required
def index():
    return render_template("workbooks/index.html", rows=services.professions_with_workbooks(
        include_unpublished=permissions.can_create_workbook(current_user)),
        can_create=permissions.can_create_workbook(current_user))


@bp.route("/professions/<int:profession_id>/workbooks")
@login_required
def profession_workbooks(profession_id: int):
    profession = catalog.get_profession(profession_id)
    include = permissions.can_create_workbook(current_user)
    return render_template("workbooks/profession.html", profession=profession,
                           rows=services.workbooks_of_profession(profession.id, include_unpublished=include),
                           can_create=include)


@bp.route("/professions/<int:profession_id>/workbooks/new", methods=["GET", "POST"])
@login_required
def new_workbook(profession_id: int):
    profession = catalog.get_profession(profession_id)
    require(permissions.can_create_workbook(current_user))
    form = forms.WorkbookForm()
    form.set_choices(links.course_choices(profession.id))
    workbook = None
    if form.validate_on_submit():
        workbook = _attempt(form.learning_task_id, lambda: services.create_workbook(
            profession=profession, title=form.title.data, description=form.description.data, author=current_user,
            integrated_course=links.get_course(form.integrated_course_id.data),
            learning_task=links.get_task(form.learning_task_id.data)))
    if workbook is not None:
        db.session.commit()
        flash(_("活页教材“%(title)s”已创建，现在可以添加活页。", title=workbook.title), "success")
        return redirect(url_for("workbooks.workbook", workbook_id=workbook.id))
    return render_template("workbooks/workbook_form.html", form=form, profession=profession, workbook=None)


@bp.route("/workbooks/<int:workbook_id>")
@login_required
def workbook(workbook_id: int):
    workbook = services.get_workbook(workbook_id)
    require(permissions.can_view_workbook(current_user, workbook))
    include = permissions.can_see_unpublished(current_user, workbook)
    return render_template("workbooks/workbook.html", workbook=workbook,
                           rows=services.pages_of_workbook(workbook, include_unpublished=include),
                           include_unpublished=include,
                           can_edit=permissions.can_edit_workbook(current_user, workbook))


@bp.route("/workbooks/<int:workbook_id>/edit", methods=["GET", "POST"])
@login_required
def edit_workbook(workbook_id: int):
    workbook = services.get_workbook(workbook_id)
    require(permissions.can_edit_workbook(current_user, workbook))
    form = forms.WorkbookForm(obj=workbook)
    form.set_choices(links.course_choices(workbook.profession_id))
    if form.validate_on_submit():
        saved = _attempt(form.learning_task_id, lambda: services.update_workbook(
            workbook, title=form.title.data, description=form.description.data,
            integrated_course=links.get_course(form.integrated_course_id.data),
            learning_task=links.get_task(form.learning_task_id.data)))
        if saved is not None:
            db.session.commit()
            flash(_("活页教材“%(title)s”已保存。", title=saved.title), "success")
            return redirect(url_for("workbooks.workbook", workbook_id=saved.id))
    return render_template("workbooks/workbook_form.html", form=form, profession=workbook.profession,
                           workbook=workbook)


def _page_form(workbook, page=None, **kwargs) -> forms.PageForm:
    form = forms.PageForm(**kwargs)
    form.stage.choices = stage_choices(page.task if page is not None else workbook.learning_task)
    choices = links.course_choices(workbook.profession_id)
    if workbook.integrated_course_id:
        choices = [c for c in choices if c.course.id == workbook.integrated_course_id]
    form.learning_task_id.choices = forms.task_choices(choices)
    if request.method == "GET" and form.effective_date.data is None:
        form.effective_date.data = clock.today()
    return form


def _attempt(field, save):
    """Run a save service; a content error (a bad worksheet block, a task of another profession) goes back to
    the form, shown at ``field``."""
    try:
        return save()
    except ValidationError as exc:
        db.session.rollback()
        field.errors = list(field.errors) + [exc.message]
        return None


@bp.route("/workbooks/<int:workbook_id>/pages/new", methods=["GET", "POST"])
@login_required
def new_page(workbook_id: int):
    workbook = services.get_workbook(workbook_id)
    require(permissions.can_edit_workbook(current_user, workbook))
    form = _page_form(workbook)
    if form.validate_on_submit():
        version = _attempt(form.source, lambda: services.add_page(
            workbook, author=current_user, title=form.title.data, source=form.source.data or "",
            change_note=form.change_note.data, effective_date=form.effective_date.data, stage=form.stage.data,
            learning_task=links.get_task(form.learning_task_id.data), position=form.position.data))
        if version is not None:
            db.session.commit()
            flash(_("第 %(n)s 页已保存为草稿；提交审核并通过后学员才能看到。", n=version.page.position), "success")
            return redirect(url_for("workbooks.page", page_id=version.page_id))
    return render_template("workbooks/page_form.html", form=form, workbook=workbook, page=None, latest=None)


@bp.route("/workbook-pages/<int:page_id>/edit", methods=["GET", "POST"])
@login_required
def edit_page(page_id: int):
    page = services.get_page(page_id)
    require(permissions.can_edit_workbook(current_user, page.workbook))
    latest = services.latest_version(page)
    form = _page_form(page.workbook, page, obj=latest)
    if request.method == "GET" and latest is not None:
        form.stage.data, form.learning_task_id.data = page.stage, page.learning_task_id
        if latest.review_state != "draft":
            # A new version starts from the newest text but needs its own note and date.
            form.change_note.data, form.effective_date.data = "", clock.today()
    if form.validate_on_submit():
        version = _attempt(form.source, lambda: services.save_version(
            page, author=current_user, title=form.title.data, source=form.source.data or "",
            change_note=form.change_note.data, effective_date=form.effective_date.data, stage=form.stage.data,
            learning_task=links.get_task(form.learning_task_id.data)))
        if version is not None:
            db.session.commit()
            flash(_("第 %(n)s 版已保存为草稿。", n=version.number), "success")
            return redirect(url_for("workbooks.version", page_id=page.id, number=version.number))
    return render_template("workbooks/page_form.html", form=form, workbook=page.workbook, page=page, latest=latest)


def _show(page, version, include: bool):
    return render_template("workbooks/page.html", page=page, workbook=page.workbook, version=version,
                           include_unpublished=include,
                           can_edit=permissions.can_edit_workbook(current_user, page.workbook),
                           neighbours=services.neighbours(page, include_unpublished=include))


@bp.route("/workbook-pages/<int:page_id>")
@login_required
def page(page_id: int):
    page = services.get_page(page_id)
    require(permissions.can_view_workbook(current_user, page.workbook))
    include = permissions.can_see_unpublished(current_user, page.workbook)
    return _show(page, services.reading_version(page, include_unpublished=include), include)


@bp.route("/workbook-pages/<int:page_id>/v<int:number>")
@login_required
def version(page_id: int, number: int):
    page = services.get_page(page_id)
    require(permissions.can_view_workbook(current_user, page.workbook))
    include = permissions.can_see_unpublished(current_user, page.workbook)
    return _show(page, services.get_version(page, number, include_unpublished=include), include)


@bp.route("/workbook-pages/<int:page_id>/history")
@login_required
def history(page_id: int):
    page = services.get_page(page_id)
    require(permissions.can_view_workbook(current_user, page.workbook))
    include = permissions.can_see_unpublished(current_user, page.workbook)
    versions = services.versions_of(page, include_unpublished=include)
    return render_template("workbooks/history.html", page=page, workbook=page.workbook, versions=versions,
                           include_unpublished=include)


@bp.route("/workbook-pages/<int:page_id>/diff")
@login_required
def diff(page_id: int):
    page = services.get_page(page_id)
    require(permissions.can_view_workbook(current_user, page.workbook))
    include = permissions.can_see_unpublished(current_user, page.workbook)
    old_n, new_n = request.args.get("old", type=int), request.args.get("new", type=int)
    if not old_n or not new_n:
        raise ValidationError(_("请选择要比较的两个版本。"))
    if old_n > new_n:
        old_n, new_n = new_n, old_n
    old = services.get_version(page, old_n, include_unpublished=include)
    new = services.get_version(page, new_n, include_unpublished=include)
    return render_template("workbooks/diff.html", page=page, workbook=page.workbook, old=old, new=new,
                           diff=services.diff(old, new), mode=request.args.get("mode", "unified"))


@bp.route("/workbooks/<int:workbook_id>/print")
@login_required
def print_view(workbook_id: int):
    workbook = services.get_workbook(workbook_id)
    require(permissions.can_view_workbook(current_user, workbook))
    return render_template("workbooks/print.html", workbook=workbook,
                           sheets=printing.sheets(workbook, include_unpublished=_print_drafts(workbook)))


def _print_drafts(workbook) -> bool:
    # Editors may proof-print their drafts with ?drafts=1; everyone else prints what is published.
    return request.args.get("drafts") == "1" and permissions.can_see_unpublished(current_user, workbook)


@bp.route("/workbooks/<int:workbook_id>/pdf")
@login_required
def pdf(workbook_id: int):
    workbook = services.get_workbook(workbook_id)
    require(permissions.can_view_workbook(current_user, workbook))
    data = printing.workbook_pdf(workbook, include_unpublished=_print_drafts(workbook))
    response = Response(data, mimetype="application/pdf")
    # Titles saved before they were kept to one line may still hold a line break: never put one in a header.
    response.headers.update(download_name(f"{services.one_line(workbook.title)}.pdf"))
    return response


NAVIGATION.append(("workbooks.index", _l("活页教材"), None, "resources"))
