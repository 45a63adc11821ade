"""Sending the queued deliveries (e-mail, webhooks) outside the request that caused them.

After a commit that queued deliveries, :func:`kick` wakes this process's sender thread (started on first use;
not in tests, which call :func:`deliver_pending` themselves); ``flask jobs run-due`` and the in-process runner
of ``make run`` call :func:`deliver_pending` too, which retries what failed. A sender first *claims* the rows it
will send (a token and a later ``next_attempt_at``, committed), so two senders — threads or servers — never
send the same row, and a sender that dies leaves rows that are retried once the claim runs out. A failure
sets the next attempt further out (back-off) until :data:`BACKOFF` is used up; then the row is ``failed``.
"""
from __future__ import annotations

import logging
import secrets
import threading
from datetime import timedelta

from flask import Flask, current_app
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from app.core import clock
from app.extensions import db
from app.notifications.channels import CHANNELS, Item
from app.notifications.models import Delivery, Notification

log = logging.getLogger(__name__)

#: Seconds before each retry; after the last one the delivery is given up (``failed``).
BACKOFF = (60, 300, 1800, 7200, 21600)
#: A claim runs out after this long (a sender that died mid-way).
CLAIM_FOR = timedelta(minutes=10)
#: Rows claimed per round.
BATCH = 2000


def deliver_pending(now=None, *, limit: int = BATCH) -> dict[str, int]:
    """Send what is due, grouped per channel and target (a digest when there are many). Commits (it is a job,
    not a service): the claim before sending, the outcome after. Returns ``{"sent": n, "retry": n,
    "failed": n}`` counted in deliveries."""
    now = now or clock.now()
    token = secrets.token_hex(8)
    due = list(db.session.scalars(select(Delivery.id).where(Delivery.state == "pending",
                                                            Delivery.next_attempt_at <= now)
                                  .order_by(Delivery.id).limit(limit)))
    counts = {"sent": 0, "retry": 0, "failed": 0}
    if not due:
        db.session.commit()
        return counts
    db.session.execute(update(Delivery).where(Delivery.id.in_(due), Delivery.state == "pending",
                                              Delivery.next_attempt_at <= now)
                       .values(claim=token, next_attempt_at=now + CLAIM_FOR))
    db.session.commit()
    from app.auth.models import User

    rows = db.session.execute(
        select(Delivery.id, Delivery.channel, Delivery.webhook_id, Delivery.attempts, Notification.title,
               Notification.body, Notification.url, User.email)
        .join(Notification, Notification.id == Delivery.notification_id)
        .join(User, User.id == Notification.recipient_id)
        .where(Delivery.claim == token).order_by(Delivery.id)).all()
    groups: dict[tuple, list] = {}
    for did, channel, hook, attempts, title, body, url, email in rows:
        target = hook if channel == "webhook" else email
        groups.setdefault((channel, target), []).append((did, attempts, Item(title, body, url)))
    for (channel_name, target), members in groups.items():
        ids = [m[0] for m in members]
        channel = CHANNELS.get(channel_name)
        try:
            if channel is None or target in (None, ""):
                raise LookupError(f"nothing to send to on {channel_name}")
            channel.send(target, [m[2] for m in members])
        except Exception as exc:  # noqa: BLE001 — any failure of the far end is retried, never raised
            attempts = max(m[1] for m in members) + 1
            error = f"{type(exc).__name__}: {exc}"[:500]
            if attempts > len(BACKOFF):
                values = {"state": "failed", "attempts": attempts, "last_error": error, "claim": None}
                counts["failed"] += len(ids)
            else:
                values = {"attempts": attempts, "last_error": error, "claim": None,
                          "next_attempt_at": clock.now() + timedelta(seconds=BACKOFF[attempts - 1])}
                counts["retry"] += len(ids)
            log.warning("notification delivery %s to %s failed (%s)", channel_name, target, error)
        else:
            values = {"state": "sent", "sent_at": clock.now(), "claim": None, "last_error": ""}
            counts["sent"] += len(ids)
        db.session.execute(update(Delivery).where(Delivery.id.in_(ids), Delivery.claim == token).values(**values))
        db.session.commit()
    return counts


# -- the in-process sender thread --------------------------------------------------------------------------------

class _Sender:
    def __init__(self):
        self.wake = threading.Event()
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()

    def kick(self, app: Flask) -> None:
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, args=(app,), name="gx-notify", daemon=True)
                self.thread.start()
        self.wake.set()

    def _run(self, app: Flask) -> None:
        while True:
            self.wake.wait(timeout=60)
            self.wake.clear()
            with app.app_context():
                try:
                    deliver_pending()
                except Exception:  # noqa: BLE001 — keep the thread alive; the next round retries
                    log.exception("sending notifications failed")
                    db.session.rollback()
                finally:
                    db.session.remove()


_sender = _Sender()


def kick(app: Flask) -> None:
    """Wake the sender thread of this process (after a commit that queued deliveries)."""
    _sender.kick(app)


@event.listens_for(Session, "after_commit")
def _after_commit(session) -> None:
    if not session.info.pop("gx_outbox", False):
        return
    try:
        app = current_app._get_current_object()
    except RuntimeError:
        return
    if app.config.get("NOTIFY_IN_BACKGROUND", True) and not app.testing:
        kick(app)
