"""Review policy: which aspects of an attempt a student may see at which moment.

A policy is a dict ``{moment: [aspect, ...]}``. Moments follow Moodle's review options: while answering, right
after submitting (within ``IMMEDIATE_WINDOW``), later while the exam is still open, and after it closed.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l

from app.core import clock

#: How long "right after submitting" lasts.
IMMEDIATE_WINDOW = timedelta(minutes=2)

MOMENTS = {
    "during": _l("作答期间"),
    "immediately": _l("交卷后立即"),
    "open": _l("交卷后、考试结束前"),
    "closed": _l("考试结束后"),
}

ASPECTS = {
    "responses": _l("本人作答"),
    "correctness": _l("对错"),
    "points": _l("得分"),
    "feedback": _l("评语与解析"),
    "answers": _l("正确答案"),
}

DEFAULT_POLICY = {
    "during": ["responses"],
    "immediately": ["responses", "correctness", "points"],
    "open": ["responses", "correctness", "points"],
    "closed": ["responses", "correctness", "points", "feedback", "answers"],
}


def normalize(policy: dict | None) -> dict:
    """Keep known moments and aspects only; missing moments get the defaults."""
    out = {}
    for moment in MOMENTS:
        chosen = (policy or {}).get(moment, DEFAULT_POLICY[moment])
        out[moment] = [a for a in ASPECTS if a in set(chosen or [])]
    return out


def moment(attempt, exam, now: datetime | None = None) -> str:
    """The review moment of ``attempt`` now."""
    now = now or clock.now()
    if attempt.state == "in_progress":
        return "during"
    closes_at = clock.as_utc(exam.closes_at)
    if closes_at is not None and now >= closes_at:
        return "closed"
    submitted = clock.as_utc(attempt.submitted_at)
    if submitted is not None and now - submitted <= IMMEDIATE_WINDOW:
        return "immediately"
    return "open"


def visible_aspects(attempt, exam, now: datetime | None = None) -> set[str]:
    """Aspects the student may see now. Scores of an attempt still being graded stay hidden."""
    aspects = set(normalize(exam.review_policy)[moment(attempt, exam, now)])
    if attempt.state in ("in_progress", "submitted"):
        aspects -= {"correctness", "points", "feedback", "answers"}
    return aspects
