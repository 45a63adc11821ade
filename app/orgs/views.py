"""School and enterprise pages."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.auth.forms import ConfirmForm
from app.auth.services import count_users_by_role, require
from app.core.pagination import paginate
from app.core.templating import partnership_kind_label, school_kind_label
from app.errors import DomainError, ValidationError, form_refused
from app.extensions import db
from app.orgs import forms, permissions, services
from app.orgs.models import Partnership, PartnershipKind, SchoolKind

bp = Blueprint("orgs", __name__)


def _version(form) -> int | None:
    """The version the form was rendered with; a garbled value counts as stale (409: refresh and retry)."""
    value = (form.version.data or "").strip()
    if not value:
        return None
    return int(value) if value.isdigit() else -1


@bp.route("/schools")
@login_required
def schools():
    stmt = services.search_schools(q=request.args.get("q", ""), province=request.args.get("province", ""),
                                   kind=request.args.get("kind", ""), active=request.args.get("active", "1"))
    return render_template("orgs/schools.html", page=paginate(stmt), provinces=services.provinces(),
                           kinds=list(SchoolKind), can_manage=permissions.can_manage_orgs(current_user),
                           confirm=ConfirmForm())


@bp.route("/schools/<int:school_id>")
@login_required
def school(school_id: int):
    school = services.get_school(school_id)
    form = forms.PartnershipForm()
    form.enterprise_id.choices = [(e.id, e.name) for e in services.all_enterprises()]
    form.kind.choices = [(k.value, partnership_kind_label(k.value)) for k in PartnershipKind]
    return render_template("orgs/school.html", school=school, partnerships=services.partnerships_of_school(school),
                           counts=count_users_by_role(school.id), form=form,
                           can_edit=permissions.can_edit_school(current_user, school), confirm=ConfirmForm())


def _school_form(obj=None) -> forms.SchoolForm:
    form = forms.SchoolForm(obj=obj)
    form.kind.choices = [(k.value, school_kind_label(k.value)) for k in SchoolKind]
    if obj is not None and request.method == "GET":
        form.version.data = obj.version
    return form


def _school_fields(form) -> dict:
    return dict(key=form.key.data, name=form.name.data, kind=form.kind.data, province=form.province.data,
                city=form.city.data or "", integrated_since=form.integrated_since.data)


@bp.route("/schools/new", methods=["GET", "POST"])
@login_required
def new_school():
    require(permissions.can_manage_orgs(current_user))
    form = _school_form()
    if form.validate_on_submit():
        try:
            school = services.save_school(None, **_school_fields(form))
        except DomainError as exc:
            return form_refused(exc, "orgs/school_form.html", form=form, school=None)
        db.session.commit()
        flash(_("学校“%(name)s”已创建。", name=school.name), "success")
        return redirect(url_for("orgs.school", school_id=school.id))
    return render_template("orgs/school_form.html", form=form, school=None)


@bp.route("/schools/<int:school_id>/edit", methods=["GET", "POST"])
@login_required
def edit_school(school_id: int):
    school = services.get_school(school_id)
    require(permissions.can_edit_school(current_user, school))
    form = _school_form(school)
    fields_of = _school_fields
    if not permissions.can_manage_orgs(current_user):
        # The key is the platform's identifier of the school (content files, every import sheet, the CLI): a
        # school admin edits their school's details, not the name other files know it by.
        form.key.render_kw = {"readonly": True}
        form.key.data = school.key
        fields_of = lambda form: dict(_school_fields(form), key=school.key)  # noqa: E731
    if form.validate_on_submit():
        try:
            services.save_school(school, expected_version=_version(form), **fields_of(form))
        except DomainError as exc:
            return form_refused(exc, "orgs/school_form.html", form=form, school=school)
        db.session.commit()
        flash(_("学校“%(name)s”已保存。", name=school.name), "success")
        return redirect(url_for("orgs.school", school_id=school.id))
    return render_template("orgs/school_form.html", form=form, school=school)


@bp.route("/schools/<int:school_id>/active", methods=["POST"])
@login_required
def toggle_school(school_id: int):
    school = services.get_school(school_id)
    require(permissions.can_manage_orgs(current_user))
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.set_school_active(school, not school.is_active)
    db.session.commit()
    flash(_("学校“%(name)s”已启用。", name=school.name) if school.is_active
          else _("学校“%(name)s”已停用。", name=school.name), "success")
    return redirect(url_for("orgs.school", school_id=school.id))


@bp.route("/schools/<int:school_id>/partnerships", methods=["POST"])
@login_required
def add_partnership(school_id: int):
    partner_of = services.get_school(school_id)
    require(permissions.can_edit_school(current_user, partner_of))
    form = forms.PartnershipForm()
    form.enterprise_id.choices = [(e.id, e.name) for e in services.all_enterprises()]
    form.kind.choices = [(k.value, k.value) for k in PartnershipKind]
    try:
        if not form.validate_on_submit():
            raise ValidationError(_("请选择合作企业和合作形式。"))
        services.add_partnership(partner_of, services.get_enterprise(form.enterprise_id.data), form.kind.data,
                                 form.since.data)
    except DomainError as exc:  # the school page again, with the partnership form as it was filled in
        return form_refused(exc, school, school_id=partner_of.id)
    db.session.commit()
    flash(_("校企合作已添加。"), "success")
    return redirect(url_for("orgs.school", school_id=partner_of.id))


@bp.route("/partnerships/<int:partnership_id>/delete", methods=["POST"])
@login_required
def remove_partnership(partnership_id: int):
    partnership = db.session.get(Partnership, partnership_id)
    if partnership is None:
        abort(404)
    require(permissions.can_edit_school(current_user, partnership.school))
    if not ConfirmForm().validate_on_submit():
        abort(400)
    school_id = partnership.school_id
    services.remove_partnership(partnership)
    db.session.commit()
    flash(_("校企合作已删除。"), "success")
    return redirect(url_for("orgs.school", school_id=school_id))


@bp.route("/enterprises")
@login_required
def enterprises():
    stmt = services.search_enterprises(q=request.args.get("q", ""), province=request.args.get("province", ""),
                                       active=request.args.get("active", "1"))
    return render_template("orgs/enterprises.html", page=paginate(stmt), provinces=services.provinces(),
                           can_manage=permissions.can_manage_orgs(current_user))


@bp.route("/enterprises/<int:enterprise_id>")
@login_required
def enterprise(enterprise_id: int):
    enterprise = services.get_enterprise(enterprise_id)
    return render_template("orgs/enterprise.html", enterprise=enterprise,
                           partnerships=services.partnerships_of_enterprise(enterprise),
                           can_manage=permissions.can_manage_orgs(current_user), confirm=ConfirmForm())


def _enterprise_fields(form) -> dict:
    return dict(key=form.key.data, name=form.name.data, industry=form.industry.data or "",
                province=form.province.data, city=form.city.data or "")


@bp.route("/enterprises/new", methods=["GET", "POST"])
@login_required
def new_enterprise():
    require(permissions.can_manage_orgs(current_user))
    form = forms.EnterpriseForm()
    if form.validate_on_submit():
        try:
            enterprise = services.save_enterprise(None, **_enterprise_fields(form))
        except DomainError as exc:
            return form_refused(exc, "orgs/enterprise_form.html", form=form, enterprise=None)
        db.session.commit()
        flash(_("企业“%(name)s”已创建。", name=enterprise.name), "success")
        return redirect(url_for("orgs.enterprise", enterprise_id=enterprise.id))
    return render_template("orgs/enterprise_form.html", form=form, enterprise=None)


@bp.route("/enterprises/<int:enterprise_id>/edit", methods=["GET", "POST"])
@login_required
def edit_enterprise(enterprise_id: int):
    enterprise = services.get_enterprise(enterprise_id)
    require(permissions.can_manage_orgs(current_user))
    form = forms.EnterpriseForm(obj=enterprise)
    if request.method == "GET":
        form.version.data = enterprise.version
    if form.validate_on_submit():
        try:
            services.save_enterprise(enterprise, expected_version=_version(form), **_enterprise_fields(form))
        except DomainError as exc:
            return form_refused(exc, "orgs/enterprise_form.html", form=form, enterprise=enterprise)
        db.session.commit()
        flash(_("企业“%(name)s”已保存。", name=enterprise.name), "success")
        return redirect(url_for("orgs.enterprise", enterprise_id=enterprise.id))
    return render_template("orgs/enterprise_form.html", form=form, enterprise=enterprise)


@bp.route("/enterprises/<int:enterprise_id>/active", methods=["POST"])
@login_required
def toggle_enterprise(enterprise_id: int):
    enterprise = services.get_enterprise(enterprise_id)
    require(permissions.can_manage_orgs(current_user))
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.set_enterprise_active(enterprise, not enterprise.is_active)
    db.session.commit()
    flash(_("企业“%(name)s”已启用。", name=enterprise.name) if enterprise.is_active
          else _("企业“%(name)s”已停用。", name=enterprise.name), "success")
    return redirect(url_for("orgs.enterprise", enterprise_id=enterprise.id))
