"""Job board (public), enterprise post management, applications and demand lists."""
from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from app.auth.forms import ConfirmForm
from app.auth.services import require
from app.careers import forms, permissions, services
from app.careers.models import ApplicationStatus, DemandEntry, DemandKind, JobKind
from app.core.pagination import paginate
from app.errors import FORM_REFUSED_STATUS, DomainError, NotFound, form_refused
from app.extensions import db
from app.review import services as review

bp = Blueprint("careers", __name__)

STATUS_LABELS = {
    ApplicationStatus.submitted.value: _l("已投递"), ApplicationStatus.viewed.value: _l("已查看"),
    ApplicationStatus.interview.value: _l("面试"), ApplicationStatus.offered.value: _l("录用"),
    ApplicationStatus.declined.value: _l("未录用"), ApplicationStatus.withdrawn.value: _l("已撤回"),
}
DEMAND_LABELS = {DemandKind.talent.value: _l("人才需求清单"), DemandKind.technology.value: _l("技术需求清单"),
                 DemandKind.product.value: _l("核心产品清单")}


@bp.app_context_processor
def _labels():
    return {"JOB_KIND_LABELS": forms.KIND_LABELS, "APPLICATION_STATUS_LABELS": STATUS_LABELS,
            "DEMAND_LABELS": DEMAND_LABELS}


def _professions():
    from app.catalog.models import Profession

    return list(db.session.scalars(select(Profession).order_by(Profession.name)))


def _levels():
    from app.catalog.models import SkillLevel

    return list(db.session.scalars(select(SkillLevel).order_by(SkillLevel.grade.desc())))


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and len(value) < 10 else None


def _board_filters() -> dict:
    return dict(q=request.args.get("q", ""), profession_id=_int_arg("profession"), city=request.args.get("city", ""),
                kind=request.args.get("kind", ""), pay_from=_int_arg("pay"), sort=request.args.get("sort", "date"))


# ---------------------------------------------------------------- public board


@bp.route("/jobs")
def board():
    """招聘岗位: every approved, unexpired post; no login needed."""
    filters = _board_filters()
    can_match = current_user.is_authenticated and permissions.can_apply(current_user)
    if filters["sort"] == "match" and can_match:
        filters["match_profession_ids"] = services.student_profession_ids(current_user)
    page = paginate(services.public_posts(**filters))
    return render_template("careers/board.html", page=page, professions=_professions(),
                           cities=services.board_cities(), kinds=list(JobKind), can_match=can_match)


@bp.route("/api/v1/job-posts")
def api_posts():
    """Public JSON of the board for integrations: ``?profession=<id>&city=…&kind=…&pay=…&q=…&page=…``."""
    per_page = min(max(_int_arg("per_page") or 20, 1), 100)
    page = paginate(services.public_posts(**_board_filters()), per_page=per_page)
    return jsonify({"items": [services.post_as_json(p) for p in page.items], "total": page.total,
                    "page": page.page, "per_page": page.per_page})


@bp.route("/jobs/<int:post_id>")
def post(post_id: int):
    post = services.get_post(post_id)
    public = services.is_public(post)
    if not public and not permissions.can_see_unpublished(current_user, post):
        raise NotFound(_("岗位不存在或已下线。"))
    mine = (services.application_of(post, current_user)
            if current_user.is_authenticated and permissions.can_apply(current_user) else None)
    return render_template("careers/post.html", post=post, public=public, mine=mine,
                           can_manage=permissions.can_manage_post(current_user, post),
                           can_apply=public and permissions.can_apply(current_user), confirm=ConfirmForm(),
                           state_label=review.state_label(post.review_state), form=forms.ApplyForm(),
                           resume=services.build_resume(current_user) if permissions.can_apply(current_user) else None)


# ---------------------------------------------------------------- enterprise posts


def _hr_enterprise_id() -> int:
    require(permissions.is_hr(current_user))
    return current_user.enterprise_id


def _post_form(enterprise_id: int, post=None) -> forms.JobPostForm:
    form = forms.JobPostForm(obj=post)
    form.professions.choices = [(p.id, p.name) for p in _professions()]
    form.skill_level_id.choices = [(0, _("不限"))] + [(lv.id, lv.name) for lv in _levels()]
    form.mentor_id.choices = [(0, _("暂不指定"))] + [(m.id, m.display_name)
                                                  for m in services.enterprise_mentors(enterprise_id)]
    if post is not None and request.method == "GET":
        form.professions.data = [p.id for p in post.professions]
        form.pay_negotiable.data = post.pay_negotiable
        form.skill_level_id.data = post.skill_level_id or 0
        form.mentor_id.data = post.mentor_id or 0
    return form


def _refused(exc: DomainError, template: str, **context):
    return form_refused(exc, template, **context)


@bp.route("/careers/posts")
@login_required
def my_posts():
    enterprise_id = _hr_enterprise_id()
    return render_template("careers/my_posts.html", page=paginate(services.enterprise_posts(enterprise_id)),
                           confirm=ConfirmForm())


@bp.route("/careers/posts/new", methods=["GET", "POST"])
@login_required
def new_post():
    enterprise_id = _hr_enterprise_id()
    form = _post_form(enterprise_id)
    if request.method == "GET":
        form.province.data, form.city.data = current_user.enterprise.province, current_user.enterprise.city
    if form.validate_on_submit():
        try:
            post = services.create_post(enterprise_id, current_user, professions=form.professions.data,
                                        **form.fields_for_service())
        except DomainError as exc:
            return _refused(exc, "careers/post_form.html", form=form, post=None)
        db.session.commit()
        flash(_("岗位“%(title)s”已保存为草稿，提交审核后才会公开。", title=post.title), "success")
        return redirect(url_for("careers.post", post_id=post.id))
    return render_template("careers/post_form.html", form=form, post=None)


@bp.route("/careers/posts/<int:post_id>/edit", methods=["GET", "POST"])
@login_required
def edit_post(post_id: int):
    post = services.get_post(post_id)
    if not permissions.can_manage_post(current_user, post):
        raise NotFound(_("岗位不存在或已下线。"))
    form = _post_form(post.enterprise_id, post)
    if form.validate_on_submit():
        try:
            services.update_post(post, professions=form.professions.data, **form.fields_for_service())
        except DomainError as exc:
            return _refused(exc, "careers/post_form.html", form=form, post=post)
        db.session.commit()
        flash(_("岗位已保存。"), "success")
        return redirect(url_for("careers.post", post_id=post.id))
    return render_template("careers/post_form.html", form=form, post=post)


@bp.route("/careers/posts/<int:post_id>/submit", methods=["POST"])
@login_required
def submit_post(post_id: int):
    post = services.get_post(post_id)
    if not permissions.can_manage_post(current_user, post):
        raise NotFound(_("岗位不存在或已下线。"))
    if not ConfirmForm().validate_on_submit():
        abort(400)
    review.submit(post, current_user)
    db.session.commit()
    flash(_("已提交审核，审核通过后岗位将公开。"), "success")
    return redirect(url_for("careers.post", post_id=post.id))


# ---------------------------------------------------------------- applications


@bp.route("/jobs/<int:post_id>/apply", methods=["POST"])
@login_required
def apply(post_id: int):
    post = services.get_post(post_id)
    require(permissions.can_apply(current_user))
    form = forms.ApplyForm()
    if form.validate_on_submit():
        try:
            application = services.apply(post, current_user, form.statement.data or "")
        except DomainError as exc:
            return form_refused(exc, "careers/post.html", form=form, post=post, public=services.is_public(post),
                                mine=services.application_of(post, current_user), can_manage=False,
                                can_apply=services.is_public(post), confirm=ConfirmForm(),
                                state_label=review.state_label(post.review_state),
                                resume=services.build_resume(current_user))
        db.session.commit()
        flash(_("投递成功。"), "success")
        return redirect(url_for("careers.application", application_id=application.id))
    flash(_("自我介绍不能超过 %(n)s 个字。", n=services.STATEMENT_MAX), "danger")
    return redirect(url_for("careers.post", post_id=post.id))


@bp.route("/careers/applications")
@login_required
def applications():
    stmt = services.applications_for(current_user)
    status = request.args.get("status", "")
    if status in STATUS_LABELS:
        from app.careers.models import JobApplication

        stmt = stmt.where(JobApplication.status == status)
    return render_template("careers/applications.html", page=paginate(stmt))


def _visible_application(application_id: int):
    application = services.get_application(application_id)
    if not permissions.can_view_application(current_user, application):
        raise NotFound(_("投递记录不存在。"))
    return application


@bp.route("/careers/applications/<int:application_id>")
@login_required
def application(application_id: int):
    application = _visible_application(application_id)
    can_move = permissions.can_move_application(current_user, application)
    if can_move and application.status == ApplicationStatus.submitted.value:
        services.mark_viewed(application)
        db.session.commit()
    return _application_page(application)


def _application_page(application, placement_form=None):
    from app.careers.models import Placement

    form = forms.StatusForm(status=application.status)
    form.status.choices = [(s, STATUS_LABELS[s]) for s in services.HR_STATUSES]
    can_move = permissions.can_move_application(current_user, application)
    placement = db.session.scalar(select(Placement).where(Placement.application_id == application.id))
    if placement_form is None and can_move and placement is None \
            and application.status == ApplicationStatus.offered.value:
        placement_form = _placement_form(application)
    return render_template("careers/application.html", application=application, can_move=can_move, form=form,
                           is_student=application.student_id == current_user.id, confirm=ConfirmForm(),
                           placement=placement, placement_form=placement_form)


@bp.route("/careers/applications/<int:application_id>/status", methods=["POST"])
@login_required
def set_status(application_id: int):
    application = _visible_application(application_id)
    require(permissions.can_move_application(current_user, application))
    form = forms.StatusForm()
    form.status.choices = [(s, STATUS_LABELS[s]) for s in services.HR_STATUSES]
    if not form.validate_on_submit():
        flash(_("请选择有效的投递状态。"), "danger")
        return redirect(url_for("careers.application", application_id=application.id))
    try:
        services.set_status(application, form.status.data)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for("careers.application", application_id=application_id))
    db.session.commit()
    flash(_("投递状态已更新为“%(status)s”。", status=STATUS_LABELS[form.status.data]), "success")
    return redirect(url_for("careers.application", application_id=application.id))


@bp.route("/careers/applications/<int:application_id>/withdraw", methods=["POST"])
@login_required
def withdraw(application_id: int):
    application = _visible_application(application_id)
    if application.student_id != current_user.id:
        raise NotFound(_("投递记录不存在。"))
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.withdraw(application)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for("careers.application", application_id=application_id))
    db.session.commit()
    flash(_("投递已撤回。"), "success")
    return redirect(url_for("careers.application", application_id=application.id))


# ---------------------------------------------------------------- demand lists


def _talent_form() -> forms.TalentEntryForm:
    form = forms.TalentEntryForm(prefix="talent")
    form.profession_id.choices = [(p.id, p.name) for p in _professions()]
    form.skill_level_id.choices = [(0, _("不限"))] + [(lv.id, lv.name) for lv in _levels()]
    return form


def _demand_page(status: int = 200, **forms_):
    enterprise_id = current_user.enterprise_id
    context = {"talent": _talent_form(), "technology": forms.ItemEntryForm(prefix="technology"),
               "product": forms.ItemEntryForm(prefix="product")}
    context.update(forms_)
    return render_template("careers/demand.html", lists=services.demand_lists(enterprise_id), forms=context,
                           confirm=ConfirmForm()), status


@bp.route("/careers/demand")
@login_required
def demand():
    """The enterprise's three lists (三张清单), edited by its HR users."""
    _hr_enterprise_id()
    return _demand_page()


@bp.route("/careers/demand/<kind>", methods=["POST"])
@login_required
def add_demand(kind: str):
    enterprise_id = _hr_enterprise_id()
    if kind not in DEMAND_LABELS:
        raise NotFound(_("清单不存在。"))
    form = _talent_form() if kind == DemandKind.talent.value else forms.ItemEntryForm(prefix=kind)
    if not form.validate_on_submit():
        return _demand_page(FORM_REFUSED_STATUS, **{kind: form})
    try:
        if kind == DemandKind.talent.value:
            services.add_demand_entry(enterprise_id, kind, profession_id=form.profession_id.data,
                                      skill_level_id=form.skill_level_id.data or None, headcount=form.headcount.data,
                                      needed_by=form.needed_by.data)
        else:
            services.add_demand_entry(enterprise_id, kind, title=form.title.data,
                                      description=form.description.data or "")
    except DomainError as exc:
        return form_refused(exc, lambda: _demand_page(**{kind: form}), form=form)
    db.session.commit()
    flash(_("已添加到“%(name)s”。", name=DEMAND_LABELS[kind]), "success")
    return redirect(url_for("careers.demand"))


@bp.route("/careers/demand/entries/<int:entry_id>/delete", methods=["POST"])
@login_required
def remove_demand(entry_id: int):
    enterprise_id = _hr_enterprise_id()
    entry = db.session.get(DemandEntry, entry_id)
    if entry is None or entry.demand_list.enterprise_id != enterprise_id:
        raise NotFound(_("清单条目不存在。"))
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.remove_demand_entry(entry)
    db.session.commit()
    flash(_("已删除。"), "success")
    return redirect(url_for("careers.demand"))


@bp.route("/careers/demand/summary")
@login_required
def demand_summary():
    """人才需求 aggregated by profession and province, for platform and school admins."""
    require(permissions.can_see_demand_summary(current_user))
    return render_template("careers/demand_summary.html", rows=services.talent_demand_summary())




# ---------------------------------------------------------------- placements (岗位实习)


def _placement_form(application) -> forms.PlacementForm:
    from app.auth.models import User, UserRole

    form = forms.PlacementForm(prefix="placement")
    teachers = db.session.scalars(select(User).join(UserRole, UserRole.user_id == User.id).where(
        UserRole.role == "teacher", User.school_id == application.student.school_id, User.is_active.is_(True))
        .order_by(User.full_name)) if application.student.school_id else []
    form.supervisor_id.choices = [(0, _("暂不指定"))] + [(t.id, t.display_name) for t in teachers]
    if request.method == "GET" and application.post.period_start:
        form.start_on.data, form.end_on.data = application.post.period_start, application.post.period_end
    return form


@bp.route("/careers/applications/<int:application_id>/placement", methods=["POST"])
@login_required
def create_placement(application_id: int):
    from app.careers import placements

    application = _visible_application(application_id)
    require(permissions.can_move_application(current_user, application))
    form = _placement_form(application)
    if form.validate_on_submit():
        try:
            placement = placements.create_placement(
                application, start_on=form.start_on.data, end_on=form.end_on.data,
                supervisor_id=form.supervisor_id.data or None, hours_per_day=form.hours_per_day.data,
                hours_per_week=form.hours_per_week.data, night_shifts=form.night_shifts.data,
                insured_on=form.insured_on.data)
        except DomainError as exc:
            return form_refused(exc, lambda: _application_page(application, placement_form=form), form=form)
        db.session.commit()
        flash(_("岗位实习已安排。"), "success")
        return redirect(url_for("careers.placement", placement_id=placement.id))
    return _application_page(application, placement_form=form), FORM_REFUSED_STATUS


@bp.route("/careers/placements")
@login_required
def placements_list():
    from app.careers import placements

    return render_template("careers/placements.html", page=paginate(placements.placements_for(current_user)))


def _placement_page(placement, form=None, status: int = 200):
    from app.careers import placements

    return render_template("careers/placement.html", placement=placement, form=form or forms.WeeklyLogForm(),
                           is_student=placement.student_id == current_user.id, check_in_form=forms.CheckInForm(),
                           check_ins=placements.recent_check_ins(placement)), status


@bp.route("/careers/placements/<int:placement_id>")
@login_required
def placement(placement_id: int):
    from app.careers import placements

    placement = placements.get_placement(placement_id)
    if not placements.can_view(current_user, placement):
        raise NotFound(_("岗位实习不存在。"))
    return _placement_page(placement)


@bp.route("/careers/placements/<int:placement_id>/logs", methods=["POST"])
@login_required
def write_log(placement_id: int):
    from app.careers import placements

    placement = placements.get_placement(placement_id)
    if placement.student_id != current_user.id:
        raise NotFound(_("岗位实习不存在。"))
    form = forms.WeeklyLogForm()
    if not form.validate_on_submit():
        return _placement_page(placement, form, FORM_REFUSED_STATUS)
    try:
        placements.write_log(placement, form.week_start.data, form.body.data)
    except DomainError as exc:
        return form_refused(exc, lambda: _placement_page(placements.get_placement(placement_id), form), form=form)
    db.session.commit()
    flash(_("周记已保存。"), "success")
    return redirect(url_for("careers.placement", placement_id=placement_id))


@bp.route("/careers/placements/<int:placement_id>/check-ins", methods=["POST"])
@login_required
def check_in(placement_id: int):
    from app.careers import placements

    placement = placements.get_placement(placement_id)
    if placement.student_id != current_user.id:
        raise NotFound(_("岗位实习不存在。"))
    form = forms.CheckInForm()
    if not form.validate_on_submit():
        flash(_("位置信息无效。"), "danger")
        return redirect(url_for("careers.placement", placement_id=placement_id))
    entry = placements.check_in(placement, form.latitude.data, form.longitude.data)
    db.session.commit()
    flash(_("签到成功，但与上次签到的距离超出正常行程，已标记待核实。") if entry.flagged else _("签到成功。"),
          "warning" if entry.flagged else "success")
    return redirect(url_for("careers.placement", placement_id=placement_id))
