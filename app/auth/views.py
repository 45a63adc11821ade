"""Login, activation, password, tokens, and user administration pages."""
from __future__ import annotations

from flask import (Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request,
                   session, url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from wtforms.validators import Optional

from app.auth import forms, imports, permissions, services
from app.auth.models import Role, User, UserImport
from app.core import exports, storage
from app.core.i18n import LOCALE_SESSION_KEY
from app.core.pagination import paginate
from app.core.security import safe_next_url
from app.errors import FORM_REFUSED_STATUS, DomainError, form_refused
from app.extensions import db, limiter

bp = Blueprint("auth", __name__)


def _login_failed(response) -> bool:
    """Only failed attempts count toward the login limits."""
    return response.status_code != 302


def _account_key() -> str:
    return "login-account:" + services.normalize_username(request.form.get("username", ""))


def _per_account():
    return current_app.config["LOGIN_FAILURES_PER_ACCOUNT"]


def _per_ip():
    return current_app.config["LOGIN_FAILURES_PER_IP"]


def _restart_session() -> None:
    """Drop everything the old session held (no fixation, no leftovers) except the chosen language: a person
    who switched to English on the login page must not be put back into Chinese by logging in or out."""
    locale = session.get(LOCALE_SESSION_KEY)
    session.clear()
    if locale:
        session[LOCALE_SESSION_KEY] = locale


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_per_ip, methods=["POST"], deduct_when=_login_failed, scope="login-ip")
@limiter.limit(_per_account, methods=["POST"], key_func=_account_key, deduct_when=_login_failed,
               scope="login-account")
def login():
    form = forms.LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
        if current_user.is_authenticated:
            return redirect(url_for("workbench.home"))
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.username.data, form.password.data)
        except services.LoginFailed as exc:
            db.session.commit()  # a rehash or nothing; never leave a transaction open
            flash(exc.message, "danger")
            return render_template("auth/login.html", form=form), 200
        _restart_session()
        services.start_session(user)
        login_user(user)
        db.session.commit()
        flash(_("欢迎回来，%(name)s！", name=user.display_name), "success")
        return redirect(safe_next_url(form.next.data, url_for("workbench.home")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    token = current_user.get_id() if current_user.is_authenticated else None
    if token:
        services.end_session(token)
        db.session.commit()
    logout_user()
    _restart_session()
    flash(_("您已安全退出。"), "info")
    return redirect(url_for("auth.login"))


@bp.route("/activate", methods=["GET", "POST"])
@limiter.limit(_per_ip, methods=["POST"], deduct_when=_login_failed, scope="activate-ip")
@limiter.limit(_per_account, methods=["POST"], key_func=_account_key, deduct_when=_login_failed,
               scope="activate-account")
def activate():
    form = forms.ActivateForm()
    if form.validate_on_submit():
        try:
            user = services.activate_account(form.username.data, form.code.data, form.password.data)
        except DomainError as exc:
            return form_refused(exc, "auth/activate.html", form=form)
        _restart_session()
        services.start_session(user)
        login_user(user)
        db.session.commit()
        flash(_("账号已激活，欢迎使用！"), "success")
        return redirect(url_for("workbench.home"))
    return render_template("auth/activate.html", form=form)


@bp.route("/account", methods=["GET"])
@login_required
def account():
    return render_template("auth/account.html", password_form=forms.ChangePasswordForm(),
                           token_form=forms.TokenForm(), tokens=services.list_api_tokens(current_user),
                           new_token=None, confirm=forms.ConfirmForm())


def _password_change_key() -> str:
    return f"password-change:{current_user.id if current_user.is_authenticated else request.remote_addr}"


@bp.route("/account/password", methods=["POST"])
# Someone holding a stolen session cookie must not be able to guess the current password here at full speed.
@limiter.limit(_per_account, methods=["POST"], key_func=_password_change_key, deduct_when=_login_failed,
               scope="password-change")
@login_required
def change_password():
    form = forms.ChangePasswordForm()
    context = dict(password_form=form, token_form=forms.TokenForm(), new_token=None, confirm=forms.ConfirmForm())
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current.data, form.password.data,
                                     keep_session=g.get("user_session"))
        except DomainError as exc:
            # Back to the form with the reason (wrong current password, too weak), not a bare error page.
            return form_refused(exc, "auth/account.html", tokens=services.list_api_tokens(current_user), **context)
        db.session.commit()
        flash(_("密码已修改，其他设备上的登录已失效。"), "success")
        return redirect(url_for("auth.account"))
    for errors in form.errors.values():
        for error in errors:
            flash(error, "danger")
    return render_template("auth/account.html", tokens=services.list_api_tokens(current_user),
                           **context), FORM_REFUSED_STATUS


@bp.route("/account/tokens", methods=["POST"])
@login_required
def create_token():
    form = forms.TokenForm()
    if not form.validate_on_submit():
        abort(400)
    _token, plain = services.issue_api_token(current_user, form.name.data or "")
    db.session.commit()
    flash(_("令牌已创建。请立即复制保存，它只显示这一次。"), "success")
    return render_template("auth/account.html", password_form=forms.ChangePasswordForm(),
                           token_form=forms.TokenForm(), tokens=services.list_api_tokens(current_user),
                           new_token=plain, confirm=forms.ConfirmForm())


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int):
    services.revoke_api_token(current_user, token_id)
    db.session.commit()
    flash(_("令牌已撤销。"), "success")
    return redirect(url_for("auth.account"))


@bp.route("/locale/<code>", methods=["POST"])
def set_locale(code: str):
    if code in current_app.config["LANGUAGES"]:
        session[LOCALE_SESSION_KEY] = code
    return redirect(safe_next_url(request.form.get("next"), url_for("workbench.home")))


# -- user administration -------------------------------------------------------------------------------------

def _school_choices(actor):
    from app.orgs import services as orgs

    if permissions.is_platform_admin(actor):
        return [(0, _("（无）"))] + [(s.id, s.name) for s in orgs.all_schools()]
    return [(actor.school_id, actor.school.name)] if actor.school else [(0, _("（无）"))]


def _enterprise_choices(actor):
    from app.orgs import services as orgs

    if permissions.is_platform_admin(actor):
        return [(0, _("（无）"))] + [(e.id, e.name) for e in orgs.all_enterprises()]
    return [(0, _("（无）"))]


def _user_form(actor, obj=None) -> forms.UserForm:
    form = forms.UserForm(obj=obj)
    form.roles.choices = [(r, _role_label(r)) for r in permissions.assignable_roles(actor)]
    form.school_id.choices = _school_choices(actor)
    form.enterprise_id.choices = _enterprise_choices(actor)
    if obj is not None:
        # A deactivated school or enterprise is not offered for new users, but the edited user's own must stay
        # selectable: otherwise the browser preselects （无） and saving a phone number detaches the user.
        for select, org in ((form.school_id, obj.school), (form.enterprise_id, obj.enterprise)):
            if org is not None and org.id not in {value for value, _label in select.choices}:
                select.choices.append((org.id, org.name))
    if obj is not None and request.method == "GET":
        form.roles.data = sorted(obj.role_names)
        form.school_id.data = obj.school_id or 0
        form.enterprise_id.data = obj.enterprise_id or 0
        form.version.data = obj.version
    return form


def _form_version(form) -> int:
    """The version the edit form was rendered with; a missing or garbled value counts as stale (409)."""
    value = (form.version.data or "").strip()
    return int(value) if value.isdigit() else -1


def _role_label(role: str) -> str:
    from app.core.templating import role_label

    return role_label(role)


def _manageable(user_id: int) -> User:
    user = services.get_user(user_id)
    services.require(permissions.can_manage_user(current_user, user))
    return user


@bp.route("/users")
@login_required
def users():
    services.require(permissions.can_manage_users(current_user))
    school_id = None if permissions.is_platform_admin(current_user) else (current_user.school_id or -1)
    if school_id is None and request.args.get("school", type=int):
        school_id = request.args.get("school", type=int)
    stmt = services.search_users(q=request.args.get("q", ""), role=request.args.get("role", ""),
                                 school_id=school_id, active=request.args.get("active", ""))
    page = paginate(stmt)
    return render_template("auth/users.html", page=page, roles=list(Role), confirm=forms.ConfirmForm())


@bp.route("/users/new", methods=["GET", "POST"])
@login_required
def create_user():
    services.require(permissions.can_manage_users(current_user))
    form = _user_form(current_user)
    if form.validate_on_submit():
        services.require(permissions.can_assign_roles(current_user, form.roles.data))
        services.require(permissions.can_place_in_school(current_user, form.school_id.data or None))
        from app.orgs import services as orgs

        try:
            user = services.create_user(
                username=form.username.data, roles=form.roles.data, full_name=form.full_name.data,
                email=form.email.data, phone=form.phone.data,
                school=orgs.get_school(form.school_id.data) if form.school_id.data else None,
                enterprise=orgs.get_enterprise(form.enterprise_id.data) if form.enterprise_id.data else None,
                password=form.password.data or None)
        except DomainError as exc:  # taken username, bad e-mail, weak password: keep what was typed
            return form_refused(exc, "auth/user_form.html", form=form, user=None)
        code = None if form.password.data else services.issue_activation_code(user)
        db.session.commit()
        if code:
            flash(_("用户 %(u)s 已创建。激活码：%(code)s（请转交本人，首次登录时使用）", u=user.username, code=code),
                  "success")
        else:
            flash(_("用户 %(u)s 已创建。", u=user.username), "success")
        return redirect(url_for("auth.users"))
    return render_template("auth/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@login_required
def edit_user(user_id: int):
    user = _manageable(user_id)
    form = _user_form(current_user, user)
    del form.password
    form.username.render_kw = {"readonly": True}
    # Roles this editor may not give or take (a school admin editing a teacher who is also a reviewer) are not
    # offered as checkboxes, so they are kept as they are rather than dropped by the save.
    kept_roles = sorted(user.role_names - set(permissions.assignable_roles(current_user)))
    if kept_roles:
        form.roles.validators = [Optional()]
    if form.validate_on_submit():
        services.require(permissions.can_assign_roles(current_user, form.roles.data)
                         or set(form.roles.data) == user.role_names)
        services.require(permissions.can_place_in_school(current_user, form.school_id.data or None))
        from app.orgs import services as orgs

        try:
            services.update_user(
                user, expected_version=_form_version(form), roles=list(form.roles.data) + kept_roles,
                full_name=form.full_name.data, email=form.email.data, phone=form.phone.data,
                school=orgs.get_school(form.school_id.data) if form.school_id.data else None,
                enterprise=orgs.get_enterprise(form.enterprise_id.data) if form.enterprise_id.data else None)
        except DomainError as exc:
            return form_refused(exc, "auth/user_form.html", form=form, user=user, kept_roles=kept_roles)
        db.session.commit()
        flash(_("用户 %(u)s 已保存。", u=user.username), "success")
        return redirect(url_for("auth.users"))
    return render_template("auth/user_form.html", form=form, user=user, kept_roles=kept_roles)


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@login_required
def toggle_active(user_id: int):
    user = _manageable(user_id)
    form = forms.ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    if user.id == current_user.id:
        flash(_("不能停用自己的账号。"), "danger")
        return redirect(url_for("auth.users"))
    services.set_active(user, not user.is_active)
    db.session.commit()
    flash(_("用户 %(u)s 已启用。", u=user.username) if user.is_active else
          _("用户 %(u)s 已停用，其登录已全部失效。", u=user.username), "success")
    return redirect(request.referrer if request.referrer and request.referrer.startswith(request.host_url)
                    else url_for("auth.users"))


@bp.route("/users/<int:user_id>/activation-code", methods=["POST"])
@login_required
def reissue_code(user_id: int):
    user = _manageable(user_id)
    if not forms.ConfirmForm().validate_on_submit():
        abort(400)
    code = services.issue_activation_code(user)
    db.session.commit()
    flash(_("用户 %(u)s 的新激活码：%(code)s", u=user.username, code=code), "success")
    return redirect(url_for("auth.users", q=user.username))


@bp.route("/users/import", methods=["GET", "POST"])
@login_required
def import_users():
    services.require(permissions.can_manage_users(current_user))
    form = forms.ImportForm()
    report = None
    status = 200
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read(current_app.config["IMPORT_MAX_BYTES"] + 1)
        try:
            report = imports.import_users(current_user, upload.filename or "users", data,
                                          dry_run=bool(form.dry_run.data))
        except DomainError as exc:
            return form_refused(exc, "auth/import.html", form=form, report=None)
        else:
            if report.errors:
                db.session.rollback()
                flash(_("发现 %(n)s 处错误，未导入任何用户。请修改后重新上传。", n=len(report.errors)), "danger")
                status = FORM_REFUSED_STATUS
            elif report.dry_run:
                flash(_("检查通过：将新建 %(c)s 个用户，%(u)s 个已存在。", c=report.created, u=report.unchanged), "info")
            else:
                db.session.commit()
                flash(_("导入完成：新建 %(c)s 个用户，%(u)s 个已存在未改动。", c=report.created, u=report.unchanged),
                      "success")
    elif request.method == "POST":
        status = FORM_REFUSED_STATUS
    return render_template("auth/import.html", form=form, report=report), status


@bp.route("/users/import/template.xlsx")
@login_required
def import_template():
    services.require(permissions.can_manage_users(current_user))
    return Response(imports.template_sheet(),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers=exports.download_name("用户导入模板.xlsx"))


@bp.route("/users/import/<int:import_id>/codes.xlsx")
@login_required
def import_codes(import_id: int):
    record = db.session.get(UserImport, import_id)
    if record is None or record.sheet_key is None:
        abort(404)
    # The sheet hands out codes that take over not-yet-activated accounts: only its importer, and only while
    # they still administer users (an admin demoted since the import no longer gets it).
    services.require(record.created_by_id == current_user.id and permissions.can_manage_users(current_user))
    with storage.get_storage().open(record.sheet_key) as fh:
        data = fh.read()
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers=exports.download_name(f"激活码-{record.id}.xlsx"))
