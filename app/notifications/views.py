"""站内消息: the inbox, read marks, preferences, the admins' webhooks, and the same as JSON under /api/v1/me."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from app.auth.services import require
from app.core.pagination import paginate
from app.core.templating import NAVIGATION
from app.core.security import safe_next_url
from app.errors import FORM_REFUSED_STATUS, ValidationError
from app.extensions import db
from app.notifications import calendar, channels, delivery, forms, permissions, receivers, services  # noqa: F401
from app.notifications.kinds import KINDS, label_of

bp = Blueprint("notifications", __name__)

NAVIGATION.append(("notifications.webhooks", _l("消息推送"), {"platform_admin"}, "admin"))


@bp.route("/notifications")
@login_required
def inbox():
    unread_only = request.args.get("filter") == "unread"
    page = paginate(services.inbox(current_user.id, unread_only=unread_only))
    return render_template("notifications/inbox.html", page=page, unread_only=unread_only,
                           unread=services.unread_count(current_user.id), form=forms.ActionForm(),
                           label_of=label_of)


@bp.route("/notifications/badge")
@login_required
def badge():
    """The unread count for the navigation (loaded by htmx, so that pages pay no statement for it)."""
    return render_template("notifications/_badge.html", unread=services.unread_count(current_user.id))


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def read(notification_id: int):
    """Mark one read and go where it points (or back to the inbox)."""
    require(forms.ActionForm().validate_on_submit())
    notification = services.mark_read(services.get_own(current_user.id, notification_id))
    db.session.commit()
    target = notification.url if request.form.get("go") else None
    return redirect(safe_next_url(target, url_for("notifications.inbox")))


@bp.post("/notifications/read-all")
@login_required
def read_all():
    require(forms.ActionForm().validate_on_submit())
    n = services.mark_all_read(current_user.id)
    db.session.commit()
    flash(_("已将 %(n)s 条消息标为已读。", n=n), "success")
    return redirect(url_for("notifications.inbox"))


@bp.route("/notifications/preferences", methods=["GET", "POST"])
@login_required
def preferences():
    form = forms.ActionForm()
    selectable = channels.selectable()
    if form.validate_on_submit():
        enabled = {(kind, channel) for kind in KINDS for channel in (c.name for c in selectable)
                   if request.form.get(f"{kind}:{channel}")}
        services.save_preferences(current_user.id, enabled)
        db.session.commit()
        flash(_("消息设置已保存。"), "success")
        return redirect(url_for("notifications.preferences"))
    return render_template("notifications/preferences.html", form=form, kinds=list(KINDS.values()),
                           channels=selectable, prefs=services.preferences(current_user.id),
                           smtp=services.smtp_configured(), has_email=bool(current_user.email))


@bp.route("/notifications/webhooks", methods=["GET", "POST"])
@login_required
def webhooks():
    require(permissions.can_manage_webhooks(current_user))
    form = forms.WebhookForm()
    form.kinds.choices = [(k.name, str(k.label)) for k in KINDS.values()]
    error = None
    if form.validate_on_submit():
        try:
            services.add_webhook(name=form.name.data, url=form.url.data, kinds=form.kinds.data or [],
                                 allow_private=form.allow_private.data, by=current_user)
        except ValidationError as exc:
            db.session.rollback()
            error = exc.message
            form.url.errors = [*form.url.errors, error]
        else:
            db.session.commit()
            flash(_("Webhook 已添加。"), "success")
            return redirect(url_for("notifications.webhooks"))
    return render_template("notifications/webhooks.html", form=form, hooks=services.webhooks(),
                           delete_form=forms.ActionForm(), label_of=label_of), FORM_REFUSED_STATUS if error else 200


@bp.post("/notifications/webhooks/<int:webhook_id>/delete")
@login_required
def delete_webhook(webhook_id: int):
    require(permissions.can_manage_webhooks(current_user))
    require(forms.ActionForm().validate_on_submit())
    services.delete_webhook(webhook_id)
    db.session.commit()
    flash(_("Webhook 已删除。"), "success")
    return redirect(url_for("notifications.webhooks"))


# -- JSON ---------------------------------------------------------------------------------------------------------

@bp.get("/api/v1/me/notifications")
@login_required
def api_list():
    """``{"unread": N, "items": [{"id", "kind", "title", "body", "url", "created_at", "read"}, ...]}``, newest
    first (the latest 50; ``?unread=1`` for unread ones only)."""
    stmt = services.inbox(current_user.id, unread_only=request.args.get("unread") in ("1", "true"))
    items = list(db.session.scalars(stmt.limit(50)))
    return jsonify(unread=services.unread_count(current_user.id), items=[services.as_json(n) for n in items])


@bp.post("/api/v1/me/notifications/<int:notification_id>/read")
@login_required
def api_read(notification_id: int):
    """Mark one of the caller's notifications read; someone else's is a 404."""
    notification = services.mark_read(services.get_own(current_user.id, notification_id))
    db.session.commit()
    return jsonify(services.as_json(notification))


# -- calendar feed ------------------------------------------------------------------------------------------------

def _feed_url(feed) -> str:
    return url_for("notifications.calendar_feed", secret=feed.secret, _external=True)


@bp.app_template_global()
def calendar_feed_url() -> str:
    """The current user's feed address, for 我的账号 (created on first display; the same until reset)."""
    feed = calendar.ensure_feed(current_user.id)
    db.session.commit()
    return _feed_url(feed)


@bp.get("/calendar/<secret>.ics")
def calendar_feed(secret: str):
    """The feed itself: no login (calendar apps cannot log in); the secret is the key, a revoked one is a 404."""
    user = calendar.owner_of(secret)
    if user is None:
        abort(404)
    body = calendar.ics(user, request.host_url)
    return Response(body, mimetype="text/calendar", headers={"Cache-Control": "private, max-age=300"})


@bp.post("/notifications/calendar/reset")
@login_required
def calendar_reset():
    require(forms.ActionForm().validate_on_submit())
    calendar.reset_feed(current_user.id)
    db.session.commit()
    flash(_("日历订阅地址已更换，旧地址立即失效。"), "success")
    return redirect(url_for("auth.account"))


@bp.get("/api/v1/me/calendar")
@login_required
def api_calendar():
    """``{"url"}``: the caller's secret iCalendar address (created on first request, the same afterwards)."""
    feed = calendar.ensure_feed(current_user.id)
    db.session.commit()
    return jsonify(url=_feed_url(feed))


@bp.delete("/api/v1/me/calendar")
@login_required
def api_calendar_revoke():
    """Revoke the address (it answers 404 from now on); the next GET makes a new one."""
    calendar.revoke_feed(current_user.id)
    db.session.commit()
    return jsonify(url=None)
