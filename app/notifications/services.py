"""Notifications: writing them (one statement per batch of recipients), the inbox, read marks, preferences,
webhooks. Services flush; callers commit."""
from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, insert, select, update

from app.core import clock
from app.errors import NotFound, ValidationError
from app.extensions import db
from app.notifications import channels
from app.notifications.kinds import KINDS
from app.notifications.models import Delivery, Notification, NotificationPreference, Webhook
from app.notifications.netguard import UnsafeAddress, check_url

#: Longest title and body kept (comments can be long; the page links to the whole thing).
TITLE_MAX, BODY_MAX = 300, 2000


def notify(kind: str, user_ids, *, title: str, body: str = "", url: str = "") -> int:
    """Write a notification of ``kind`` to each of ``user_ids`` and queue its other channels (e-mail when
    configured and wanted, the webhooks that take this kind). Returns how many were written.

    The rows go in with one INSERT whatever the number of recipients; the e-mail and webhook deliveries are
    queued in the same transaction and sent after it commits, outside the request (delivery.py)."""
    ids = sorted({int(u) for u in user_ids if u})
    return notify_each(kind, [(uid, title, body, url) for uid in ids])


def notify_each(kind: str, entries) -> int:
    """Like :func:`notify` with a text of its own for each recipient: ``entries`` is ``[(user id, title, body,
    url), ...]`` (one notification per user; the first entry of a user wins). Same statements whatever the
    number."""
    if kind not in KINDS:
        raise ValueError(f"unregistered notification kind {kind!r}")
    now = clock.now()
    rows, seen = [], set()
    for uid, title, body, url in entries:
        if uid and uid not in seen:
            seen.add(uid)
            rows.append({"recipient_id": int(uid), "kind": kind, "title": title[:TITLE_MAX],
                         "body": (body or "")[:BODY_MAX], "url": url or "", "created_at": now, "read_at": None})
    ids = sorted(seen)
    if not ids:
        return 0
    targets = channels.delivery_targets(kind, ids)
    if not targets:
        db.session.execute(insert(Notification), rows)
        return len(ids)
    created = db.session.execute(insert(Notification).returning(Notification.id, Notification.recipient_id,
                                                                sort_by_parameter_order=True), rows).all()
    by_user = {uid: nid for nid, uid in created}
    deliveries = [{"notification_id": by_user[uid], "channel": channel, "webhook_id": webhook_id, "state": "pending",
                   "attempts": 0, "next_attempt_at": now, "last_error": ""}
                  for channel, uid, webhook_id in targets if uid in by_user]
    if deliveries:
        db.session.execute(insert(Delivery), deliveries)
        db.session.info["gx_outbox"] = True
    return len(ids)


# -- the inbox ----------------------------------------------------------------------------------------------------

def unread_count(user_id: int) -> int:
    return db.session.scalar(select(func.count(Notification.id)).where(
        Notification.recipient_id == user_id, Notification.read_at.is_(None))) or 0


def inbox(user_id: int, *, unread_only: bool = False):
    """A select over the user's notifications, newest first (paginate it)."""
    stmt = select(Notification).where(Notification.recipient_id == user_id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return stmt.order_by(Notification.id.desc())


def get_own(user_id: int, notification_id: int) -> Notification:
    """The user's notification; someone else's answers exactly like a missing one (404)."""
    found = db.session.get(Notification, notification_id)
    if found is None or found.recipient_id != user_id:
        raise NotFound(_("消息不存在。"))
    return found


def mark_read(notification: Notification) -> Notification:
    if notification.read_at is None:
        notification.read_at = clock.now()
        db.session.flush()
    return notification


def mark_all_read(user_id: int) -> int:
    result = db.session.execute(update(Notification).where(
        Notification.recipient_id == user_id, Notification.read_at.is_(None)).values(read_at=clock.now()))
    return result.rowcount or 0


def as_json(n: Notification) -> dict:
    created = clock.as_utc(n.created_at)
    return {"id": n.id, "kind": n.kind, "title": n.title, "body": n.body, "url": n.url,
            "created_at": created.isoformat() if created else None, "read": n.read_at is not None}


# -- preferences --------------------------------------------------------------------------------------------------

def preferences(user_id: int) -> dict[tuple[str, str], bool]:
    """{(kind, channel): enabled} for every registered kind and user-selectable channel (defaults filled in)."""
    stored = {(p.kind, p.channel): p.enabled for p in db.session.scalars(
        select(NotificationPreference).where(NotificationPreference.user_id == user_id))}
    out = {}
    for kind in KINDS.values():
        for channel in channels.selectable():
            out[(kind.name, channel.name)] = stored.get((kind.name, channel.name), channel.default_for(kind))
    return out


def save_preferences(user_id: int, enabled: set[tuple[str, str]]) -> None:
    """Store the user's choice: ``enabled`` holds the (kind, channel) pairs switched on; every other pair of a
    registered kind and selectable channel is off."""
    db.session.execute(delete(NotificationPreference).where(NotificationPreference.user_id == user_id))
    rows = [{"user_id": user_id, "kind": kind.name, "channel": channel.name,
             "enabled": (kind.name, channel.name) in enabled}
            for kind in KINDS.values() for channel in channels.selectable()]
    if rows:
        db.session.execute(insert(NotificationPreference), rows)


# -- webhooks (platform admins) ----------------------------------------------------------------------------------

def webhooks() -> list[Webhook]:
    return list(db.session.scalars(select(Webhook).order_by(Webhook.id)))


def add_webhook(*, name: str, url: str, kinds: list[str], allow_private: bool, by) -> Webhook:
    """Set up a webhook; an address on loopback/private/link-local networks is refused unless ``allow_private``."""
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("请填写名称。"))
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise ValidationError(_("未知的消息类型。"))
    try:
        url = check_url(url, allow_private=allow_private)
    except UnsafeAddress as exc:
        raise ValidationError(str(exc)) from None
    hook = Webhook(name=name[:100], url=url[:500], kinds=list(kinds), allow_private=bool(allow_private),
                   created_by_id=by.id if by else None)
    db.session.add(hook)
    db.session.flush()
    return hook


def delete_webhook(webhook_id: int) -> None:
    hook = db.session.get(Webhook, webhook_id)
    if hook is None:
        raise NotFound(_("Webhook 不存在。"))
    db.session.delete(hook)
    db.session.flush()


def smtp_configured() -> bool:
    return bool(current_app.config.get("SMTP_URL"))

