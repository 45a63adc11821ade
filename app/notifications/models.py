"""Notifications, per-user preferences, outgoing deliveries, admin-set webhooks and sent reminders."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.database import utcnow
from app.extensions import db


class Notification(db.Model):
    """One message to one user (站内消息). Rows are written by the notifications domain only, when a domain
    announces an event; the recipient reads and marks them read."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_recipient_read", "recipient_id", "read_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    #: A registered kind (``exams.granted``, ``tasks.plan_returned`` ...; app/notifications/kinds.py).
    kind: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    #: Plain text (a reviewer's or teacher's comment, a summary); never HTML.
    body: Mapped[str] = mapped_column(Text, default="")
    #: Where the recipient acts on it (a path on this site).
    url: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: When the recipient read it; NULL while unread.
    read_at: Mapped[datetime | None]


class NotificationPreference(db.Model):
    """A user's choice for one kind on one channel. No row: the kind's default for that channel."""

    __tablename__ = "notification_preference"
    __table_args__ = (UniqueConstraint("user_id", "kind", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(64))
    #: A registered channel name (``in_app``, ``email``; app/notifications/channels.py).
    channel: Mapped[str] = mapped_column(String(32))
    enabled: Mapped[bool] = mapped_column(default=True)


class Webhook(db.Model):
    """An address a platform admin set up (企业微信/钉钉 group robot): notifications of the chosen kinds are
    posted to it as JSON (title and link only; bodies may be personal)."""

    __tablename__ = "notification_webhook"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    url: Mapped[str] = mapped_column(String(500))
    #: Kinds posted to it; empty: every kind.
    kinds: Mapped[list] = mapped_column(JSON, default=list)
    #: The admin allowed a loopback/private/link-local address (an intranet robot); refused otherwise.
    allow_private: Mapped[bool] = mapped_column(default=False)
    enabled: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Delivery(db.Model):
    """Outbox of a channel other than in-app: one notification to send by e-mail, or to one webhook. Written in
    the same transaction as the notification, sent after the commit outside the request, retried with back-off."""

    __tablename__ = "notification_delivery"
    __table_args__ = (Index("ix_notification_delivery_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notification.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    #: The webhook of a ``webhook`` delivery; NULL for e-mail (sent to the recipient's address).
    webhook_id: Mapped[int | None] = mapped_column(ForeignKey("notification_webhook.id", ondelete="CASCADE"))
    #: ``pending`` (to send, or to retry at ``next_attempt_at``), ``sent``, ``failed`` (gave up).
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: A sender claims rows by writing its token here (and pushing ``next_attempt_at`` ahead), so two senders
    #: never send the same row.
    claim: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime | None]


class Reminder(db.Model):
    """A reminder that was sent: its unique key (``stage:<submission>:<stage>:24h``) makes sending it twice — by
    a second run of the scheduler, or a second server running it at the same moment — impossible."""

    __tablename__ = "reminder"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CalendarFeed(db.Model):
    """A user's secret iCalendar address (/calendar/<secret>.ics). Revoking deletes the row; a new secret is
    a new row."""

    __tablename__ = "calendar_feed"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), unique=True)
    #: Random, URL-safe; whoever knows it reads the user's deadlines (so it is revocable).
    secret: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
