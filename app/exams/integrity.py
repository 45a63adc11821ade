"""The integrity log of an attempt (诚信记录) and one-question-at-a-time navigation.

The exam page's script (app/static/js/exam-integrity.js) reports what the browser sees; the server adds
``second_session`` when a page opens the same attempt under another browser session (another device or tab).
The log is shown to teachers with its times and is never used to grade. Services flush; the caller commits.
"""
from __future__ import annotations

import hashlib

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.core import clock
from app.errors import Conflict, NotFound, ValidationError
from app.exams.models import Attempt, AttemptItem, AttemptState, Exam, IntegrityEvent
from app.extensions import db

#: What is recorded, as the teacher and the student read it.
KINDS = {
    "open": _l("打开答题页面"),
    "hidden": _l("切换到其他页面或窗口（页面被隐藏）"),
    "blur": _l("答题窗口失去焦点"),
    "fullscreen_exit": _l("退出全屏"),
    "copy": _l("复制"),
    "paste": _l("粘贴"),
    "second_session": _l("在另一设备或标签页打开了同一答卷"),
}
#: Kinds a browser may report (``second_session`` is the server's own finding).
CLIENT_KINDS = set(KINDS) - {"second_session"}
#: Events kept per attempt: a page stuck in a loop must not fill the table.
MAX_EVENTS = 2000


def _session_hash(tab: str) -> str:
    return hashlib.sha256(tab.encode()).hexdigest()[:16]


def record(attempt_id: int, user_id: int, kind: str, *, tab: str | None, ip: str | None) -> list[str]:
    """Append an event the student's page reported on their own attempt (someone else's: 404, as missing).
    ``tab`` is a random id the page keeps per browser tab; an ``open`` under a tab not seen before on this
    attempt also records ``second_session``. Returns the kinds recorded (none once the attempt is closed or
    the log is full)."""
    row = db.session.execute(select(Attempt.user_id, Attempt.state).where(Attempt.id == attempt_id)).first()
    if row is None or row.user_id != user_id:
        raise NotFound(_("答卷不存在。"))
    if kind not in CLIENT_KINDS:
        raise ValidationError(_("未知的记录类型。"))
    if not isinstance(tab, str) or not 8 <= len(tab) <= 100:
        raise ValidationError(_("缺少页面标识。"))
    if row.state != AttemptState.in_progress.value:
        raise Conflict(_("答卷已提交，不再记录。"))
    count = db.session.scalar(select(func.count()).select_from(IntegrityEvent)
                              .where(IntegrityEvent.attempt_id == attempt_id))
    if count >= MAX_EVENTS:
        return []
    session = _session_hash(tab)
    now = clock.now()
    kinds = [kind]
    if kind == "open":
        seen = set(db.session.scalars(select(IntegrityEvent.session).where(
            IntegrityEvent.attempt_id == attempt_id, IntegrityEvent.kind == "open").distinct()))
        if seen and session not in seen:
            kinds.append("second_session")
    for k in kinds:
        db.session.add(IntegrityEvent(attempt_id=attempt_id, kind=k, at=now, session=session, ip=(ip or "")[:64]))
    db.session.flush()
    return kinds


def events(attempt_id: int) -> list[IntegrityEvent]:
    return list(db.session.scalars(select(IntegrityEvent).where(IntegrityEvent.attempt_id == attempt_id)
                                   .order_by(IntegrityEvent.at, IntegrityEvent.id)))


def counts_by_attempt(attempt_ids) -> dict[int, int]:
    """Events other than ``open`` per attempt (one statement), for lists."""
    ids = list(attempt_ids)
    if not ids:
        return {}
    return dict(db.session.execute(select(IntegrityEvent.attempt_id, func.count()).where(
        IntegrityEvent.attempt_id.in_(ids), IntegrityEvent.kind != "open").group_by(IntegrityEvent.attempt_id)).all())


# -- one question at a time ---------------------------------------------------------------------------------------

def slot_count(attempt_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(AttemptItem)
                             .where(AttemptItem.attempt_id == attempt_id)) or 0


def current_slot(attempt: Attempt, wanted: int | None) -> int:
    """The slot the page shows: what was asked for when going back is allowed (within what exists), else the
    furthest slot reached — a student cannot look back by editing the address."""
    exam: Exam = attempt.exam
    total = slot_count(attempt.id)
    if not exam.allow_back:
        return min(max(attempt.furthest_slot, 1), max(total, 1))
    return min(max(wanted or 1, 1), max(total, 1))


def advance(attempt: Attempt, to_slot: int) -> int:
    """Move the student to ``to_slot``. Without going back only the next slot is allowed (server-enforced);
    the furthest slot reached is kept on the attempt. Returns the slot."""
    if attempt.state != AttemptState.in_progress.value:
        raise Conflict(_("答卷已提交。"))
    total = slot_count(attempt.id)
    if not 1 <= to_slot <= total:
        raise ValidationError(_("没有这道题。"))
    if not attempt.exam.allow_back and to_slot < attempt.furthest_slot:
        raise Conflict(_("这场考试逐题作答且不能返回，不能回到已离开的题目。"))
    if to_slot > attempt.furthest_slot:
        attempt.furthest_slot = to_slot
    db.session.flush()
    return to_slot
