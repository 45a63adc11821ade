"""Review pages: the reviewers' queue, decisions, submit/withdraw for any registered kind, and history."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from app.auth.services import require
from app.core.security import safe_next_url
from app.core.templating import NAVIGATION
from app.errors import DomainError, NotFound, ValidationError, form_refused
from app.extensions import db
from app.review import forms, permissions, services
from app.review.labels import STATE_BADGES, STATE_LABELS
from app.review.registry import get_kind

bp = Blueprint("review", __name__, url_prefix="/review")


@bp.app_template_filter("review_state")
def review_state_filter(state: str) -> str:
    return str(STATE_LABELS.get(state, state))


@bp.app_template_filter("review_badge")
def review_badge_filter(state: str) -> str:
    return STATE_BADGES.get(state, "text-bg-secondary")


def _load(kind_name: str, object_id: int):
    kind = get_kind(kind_name)
    obj = db.session.get(kind.model, object_id)
    if obj is None:
        raise NotFound(_("要审核的内容不存在。"))
    return kind, obj


def _back(kind, obj, form) -> str:
    return safe_next_url(form.next.data if form.next.data else request.args.get("next"), kind.url(obj))


@bp.route("")
@login_required
def queue():
    require(permissions.can_review(current_user))
    return render_template("review/queue.html", items=services.queue(), approve_form=forms.ApproveForm(),
                           changes_form=forms.RequestChangesForm())


@bp.route("/<kind_name>/<int:object_id>/approve", methods=["POST"])
@login_required
def approve(kind_name: str, object_id: int):
    kind, obj = _load(kind_name, object_id)
    require(permissions.can_review(current_user))
    form = forms.ApproveForm()
    if not form.validate_on_submit():
        raise ValidationError.from_form(form)
    services.approve(obj, current_user, form.comment.data)
    db.session.commit()
    flash(_("“%(title)s”已通过审核并发布。", title=kind.title(obj)), "success")
    return redirect(safe_next_url(form.next.data, url_for("review.queue")))


@bp.route("/<kind_name>/<int:object_id>/request-changes", methods=["POST"])
@login_required
def request_changes(kind_name: str, object_id: int):
    kind, obj = _load(kind_name, object_id)
    require(permissions.can_review(current_user))
    form = forms.RequestChangesForm()
    try:
        if not form.validate_on_submit():
            raise ValidationError.from_form(form)
        services.request_changes(obj, current_user, form.comment.data)
    except DomainError as exc:  # a comment too short or missing: the queue again, with the comment as typed
        return form_refused(exc, queue)
    db.session.commit()
    flash(_("已将“%(title)s”退回修改。", title=kind.title(obj)), "success")
    return redirect(safe_next_url(form.next.data, url_for("review.queue")))


@bp.route("/<kind_name>/<int:object_id>/submit", methods=["POST"])
@login_required
def submit(kind_name: str, object_id: int):
    kind, obj = _load(kind_name, object_id)
    require(permissions.can_submit(current_user, obj, kind))
    form = forms.MoveForm()
    if not form.validate_on_submit():
        raise ValidationError(_("表单无效，请刷新后重试。"))
    services.submit(obj, current_user)
    db.session.commit()
    flash(_("“%(title)s”已提交审核。", title=kind.title(obj)), "success")
    return redirect(_back(kind, obj, form))


@bp.route("/<kind_name>/<int:object_id>/withdraw", methods=["POST"])
@login_required
def withdraw(kind_name: str, object_id: int):
    kind, obj = _load(kind_name, object_id)
    require(permissions.can_withdraw(current_user, obj, kind))
    form = forms.MoveForm()
    if not form.validate_on_submit():
        raise ValidationError(_("表单无效，请刷新后重试。"))
    services.withdraw(obj, current_user, form.comment.data)
    db.session.commit()
    flash(_("“%(title)s”已撤回。", title=kind.title(obj)), "success")
    return redirect(_back(kind, obj, form))


@bp.route("/<kind_name>/<int:object_id>/history")
@login_required
def history(kind_name: str, object_id: int):
    kind, obj = _load(kind_name, object_id)
    require(permissions.can_review(current_user) or permissions.can_submit(current_user, obj, kind))
    return render_template("review/history.html", kind=kind, obj=obj, records=services.history(obj))


# The nav entry lives here (not in app/core/templating.py) so its label sits in this domain's catalogue.
NAVIGATION.append(("review.queue", _l("审核"), {"reviewer", "platform_admin"}, None))
