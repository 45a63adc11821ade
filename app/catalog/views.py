"""Catalogue pages: professions by industry field."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.auth.services import require
from app.catalog import forms, permissions, services
from app.core.pagination import paginate
from app.errors import DomainError, form_refused
from app.extensions import db

bp = Blueprint("catalog", __name__)

#: Later domains add sections to the profession page (it is the profession's resource package) without catalog
#: importing them: ``fn(profession) -> (template name, context dict)`` or None.
PROFESSION_PANELS: list = []


@bp.route("/professions")
@login_required
def professions():
    stmt = services.search_professions(q=request.args.get("q", ""), field_id=request.args.get("field", type=int),
                                       integrated=request.args.get("integrated", ""))
    return render_template("catalog/professions.html", page=paginate(stmt, per_page=50), fields=services.fields(),
                           can_edit=permissions.can_edit_catalog(current_user))


@bp.route("/professions/<int:profession_id>")
@login_required
def profession(profession_id: int):
    profession = services.get_profession(profession_id)
    panels = [panel for panel in (fn(profession) for fn in PROFESSION_PANELS) if panel]
    return render_template("catalog/profession.html", profession=profession, panels=panels,
                           can_edit=permissions.can_edit_catalog(current_user))


def _form(obj=None) -> forms.ProfessionForm:
    form = forms.ProfessionForm(obj=obj)
    form.field_id.choices = [(0, _("（无）"))] + [(f.id, f.name) for f in services.fields()]
    form.levels.choices = [(lv.id, lv.name) for lv in services.training_levels()]
    if obj is not None and request.method == "GET":
        form.field_id.data = obj.field_id or 0
        form.levels.data = [lv.id for lv in obj.levels]
    return form


def _save(profession, form):
    return services.save_profession(
        profession, key=form.key.data, name=form.name.data, code=form.code.data, field_id=form.field_id.data,
        level_ids=form.levels.data or [], is_integrated=form.is_integrated.data,
        integrated_since=form.integrated_since.data, description=form.description.data or "")


@bp.route("/professions/new", methods=["GET", "POST"])
@login_required
def new_profession():
    require(permissions.can_edit_catalog(current_user))
    form = _form()
    if form.validate_on_submit():
        try:
            profession = _save(None, form)
        except DomainError as exc:
            return form_refused(exc, "catalog/profession_form.html", form=form, profession=None)
        db.session.commit()
        flash(_("专业“%(name)s”已创建。", name=profession.name), "success")
        return redirect(url_for("catalog.profession", profession_id=profession.id))
    return render_template("catalog/profession_form.html", form=form, profession=None)


@bp.route("/professions/<int:profession_id>/edit", methods=["GET", "POST"])
@login_required
def edit_profession(profession_id: int):
    profession = services.get_profession(profession_id)
    require(permissions.can_edit_catalog(current_user))
    form = _form(profession)
    if form.validate_on_submit():
        try:
            _save(profession, form)
        except DomainError as exc:
            return form_refused(exc, "catalog/profession_form.html", form=form, profession=profession)
        db.session.commit()
        flash(_("专业“%(name)s”已保存。", name=profession.name), "success")
        return redirect(url_for("catalog.profession", profession_id=profession.id))
    return render_template("catalog/profession_form.html", form=form, profession=profession)
