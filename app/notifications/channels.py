"""The registry of delivery channels.

``in_app`` is always on: every notification is a row in the user's inbox. Other channels register a
:class:`Channel` with :func:`register`: ``targets`` says, when a notification is written, who gets it on this
channel (a delivery row is queued for each), and ``send`` delivers a group of them outside the request
(delivery.py), raising on failure so that the group is retried with back-off. A group of more than
``DIGEST_AFTER`` notifications for the same target is sent as one digest.
"""
from __future__ import annotations

import json
import smtplib
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db

#: More notifications than this for one target in one sending round become a single digest.
DIGEST_AFTER = 3
#: Lines listed in a digest before "and N more".
DIGEST_LINES = 20


@dataclass
class Item:
    """What a channel sends for one notification."""

    title: str
    body: str
    url: str


class Channel:
    name = ""
    label: object = ""
    #: Shown on the preferences page (a per-user, per-kind switch).
    selectable = True

    def available(self) -> bool:
        return True

    def default_for(self, kind) -> bool:
        return True

    def targets(self, kind: str, user_ids: list[int]) -> list[tuple[int, int | None]]:
        """``[(user id, webhook id or None), ...]`` to queue for a notification of ``kind``."""
        return []

    def send(self, target, items: list[Item]) -> None:
        raise NotImplementedError


CHANNELS: dict[str, Channel] = {}


def register(channel: Channel) -> Channel:
    CHANNELS[channel.name] = channel
    return channel


def selectable() -> list[Channel]:
    return [c for c in CHANNELS.values() if c.selectable]


def delivery_targets(kind: str, user_ids: list[int]) -> list[tuple[str, int, int | None]]:
    out = []
    for channel in CHANNELS.values():
        if channel.available():
            out.extend((channel.name, uid, hook) for uid, hook in channel.targets(kind, user_ids))
    return out


def absolute(url: str) -> str:
    base = (current_app.config.get("BASE_URL") or "").rstrip("/")
    return base + url if url.startswith("/") and base else url


def digest_text(items: list[Item]) -> tuple[str, str]:
    """(subject, text) of a digest of several notifications."""
    subject = _("您有 %(n)s 条新消息", n=len(items))
    lines = [f"· {i.title}" + (f"  {absolute(i.url)}" if i.url else "") for i in items[:DIGEST_LINES]]
    if len(items) > DIGEST_LINES:
        lines.append(_("……另有 %(n)s 条，请到站内消息查看。", n=len(items) - DIGEST_LINES))
    return subject, "\n".join(lines)


class InApp(Channel):
    """The inbox: the notification row itself (always on)."""

    name = "in_app"
    label = _l("站内消息")
    selectable = False


class Email(Channel):
    """E-mail through the SMTP server of ``GX_SMTP_URL`` (``smtp://user:password@host:25``,
    ``smtp+starttls://...:587`` or ``smtps://...:465``), to users who have an address and want this kind."""

    name = "email"
    label = _l("电子邮件")

    def available(self) -> bool:
        return bool(current_app.config.get("SMTP_URL"))

    def default_for(self, kind) -> bool:
        return kind.email_default

    def targets(self, kind: str, user_ids: list[int]):
        from app.auth.models import User
        from app.notifications.kinds import KINDS
        from app.notifications.models import NotificationPreference as P

        default = KINDS[kind].email_default
        rows = db.session.execute(
            select(User.id, P.enabled).outerjoin(P, (P.user_id == User.id) & (P.kind == kind) & (P.channel == "email"))
            .where(User.id.in_(user_ids), User.email.is_not(None), User.email != "", User.is_active.is_(True)))
        return [(uid, None) for uid, enabled in rows if (default if enabled is None else enabled)]

    def send(self, target, items: list[Item]) -> None:
        address = target
        if len(items) > DIGEST_AFTER:
            subject, text = digest_text(items)
        else:
            # Few notifications: one message each would be several mails; one mail lists them all.
            subject = items[0].title if len(items) == 1 else _("您有 %(n)s 条新消息", n=len(items))
            text = "\n\n".join(f"{i.title}\n{i.body}\n{absolute(i.url)}".strip() for i in items)
        message = EmailMessage()
        message["Subject"] = subject
        message["From"] = current_app.config.get("MAIL_FROM") or "gongxue@localhost"
        message["To"] = address
        message.set_content(text)
        parts = urlsplit(current_app.config["SMTP_URL"])
        timeout = float(current_app.config.get("SMTP_TIMEOUT", 10))
        if parts.scheme == "smtps":
            smtp = smtplib.SMTP_SSL(parts.hostname, parts.port or 465, timeout=timeout)
        else:
            smtp = smtplib.SMTP(parts.hostname, parts.port or 25, timeout=timeout)
        with smtp:
            if parts.scheme == "smtp+starttls":
                smtp.starttls()
            if parts.username:
                smtp.login(unquote(parts.username), unquote(parts.password or ""))
            smtp.send_message(message)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect could lead a checked public address to an internal one: follow none."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class WebhookChannel(Channel):
    """JSON POST to the webhooks a platform admin set up (企业微信/钉钉 group robots take ``msgtype: text``)."""

    name = "webhook"
    label = _l("群机器人")
    selectable = False

    def targets(self, kind: str, user_ids: list[int]):
        from app.notifications.models import Webhook

        hooks = [h.id for h in db.session.scalars(select(Webhook).where(Webhook.enabled.is_(True)))
                 if not h.kinds or kind in h.kinds]
        return [(uid, hook) for hook in hooks for uid in user_ids]

    def send(self, target, items: list[Item]) -> None:
        from app.notifications.models import Webhook
        from app.notifications.netguard import check_url

        hook = db.session.get(Webhook, target)
        if hook is None or not hook.enabled:
            return
        url = check_url(hook.url, allow_private=hook.allow_private)
        if len(items) > DIGEST_AFTER:
            subject, text = digest_text(items)
            content = f"{subject}\n{text}"
        else:
            content = "\n".join(f"{i.title} {absolute(i.url)}".strip() for i in items)
        data = json.dumps({"msgtype": "text", "text": {"content": content}}, ensure_ascii=False).encode()
        request = urllib.request.Request(url, data=data, method="POST",
                                         headers={"Content-Type": "application/json; charset=utf-8"})
        opener = urllib.request.build_opener(_NoRedirects)
        with opener.open(request, timeout=float(current_app.config.get("WEBHOOK_TIMEOUT", 5))) as response:
            if response.status >= 300:
                raise OSError(f"HTTP {response.status}")


register(InApp())
register(Email())
register(WebhookChannel())
