"""Server-side measurement of video watching (the integrity core of 学时).

The browser only reports what it sees (position, playing, rate). The server decides what to credit:

* an interval earns only between two ACCEPTED heartbeats that were both playing;
* it earns at most the server time that passed between them, and only the part of the video not covered
  before (coverage is the union of watched intervals, so re-watching earns nothing and nothing exceeds
  the duration);
* too fast a rate, a jump further than the elapsed time allows, a second video at the same time, a replayed
  sequence number or a heartbeat sooner than the minimum interval earn nothing and are logged in
  :class:`HeartbeatRejection`.

The heartbeat path is a handful of Core statements: one read of session + coverage + duration + "another
session alive", then the row updates and evidence inserts in one short write transaction.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import JSON, bindparam, func, insert, select, update

from app.certification.models import (CreditHourEntry, HeartbeatRejection, WatchProgress, WatchSegment,
                                      WatchSession)
from app.core import clock
from app.core.signals import results_changed
from app.errors import DomainError, NotFound, ValidationError
from app.extensions import db

#: Defaults, overridable in the app config.
DEFAULTS = {
    "CERT_MAX_PLAYBACK_RATE": 1.5,  # faster playback earns nothing
    "CERT_HEARTBEAT_SECONDS": 15,  # what watch.js sends
    "CERT_HEARTBEAT_MIN_SECONDS": 10,  # sooner than this after the last accepted one = too frequent
    "CERT_CONCURRENT_WINDOW_SECONDS": 45,  # another session alive within this = two videos at once
    "CERT_JUMP_TOLERANCE_SECONDS": 2.0,  # position may run this much ahead of elapsed × rate (buffering)
    "CERT_MAX_REPORTED_RATE": 16.0,  # above this the request itself is malformed (400)
    # Heartbeats of one watch session per minute before 429: a player sends 4, plus one per play/pause/seek.
    "CERT_HEARTBEAT_FLOOD_LIMIT": 12,
    # Watch sessions one user may open per minute (each page view of a video opens one).
    "CERT_WATCH_SESSIONS_PER_MINUTE": 30,
}


def setting(name: str):
    return current_app.config.get(name, DEFAULTS[name])


@dataclass
class HeartbeatResult:
    accepted: bool
    credited: float
    reason: str
    covered_seconds: float
    duration: float
    session_credited: float
    #: Server time the heartbeat was judged at (clients and the load test compare against it).
    now: object = None

    def as_json(self) -> dict:
        return {"now": self.now.isoformat() if self.now else None, "accepted": self.accepted, "credited_seconds": round(self.credited, 3), "reason": self.reason,
                "covered_seconds": round(self.covered_seconds, 3), "duration": self.duration,
                "covered_percent": covered_percent(self.covered_seconds, self.duration),
                "session_credited_seconds": round(self.session_credited, 3)}


#: Coverage steps (in percent) at which a heartbeat tells the rest of the platform that results changed.
SIGNAL_STEP_PERCENT = 5


def _crossed_step(before: float, after: float, duration: float) -> bool:
    step = SIGNAL_STEP_PERCENT
    return covered_percent(after, duration) // step > covered_percent(before, duration) // step


def covered_percent(covered: float, duration: float) -> int:
    return int(min(100, covered * 100 // duration)) if duration > 0 else 0


# ---- interval arithmetic ------------------------------------------------------------------------------------
def merge_interval(intervals: list, start: float, end: float) -> tuple[list, float]:
    """Add ``[start, end)`` to sorted disjoint ``intervals``; return (new intervals, seconds newly covered)."""
    if end <= start:
        return intervals, 0.0
    new_start, new_end = start, end
    already = 0.0
    kept = []
    for a, b in intervals:
        if b < start or a > end:
            kept.append([a, b])
            continue
        already += max(0.0, min(b, end) - max(a, start))
        new_start, new_end = min(new_start, a), max(new_end, b)
    kept.append([new_start, new_end])
    kept.sort()
    return kept, (end - start) - already


def total_length(intervals: list) -> float:
    return sum(b - a for a, b in intervals)


class Flooded(DomainError):
    """More heartbeats (or watch sessions) in a minute than any player opens: answered 429, nothing judged,
    credited or written."""

    status = 429


_FLOOD_WINDOW = timedelta(minutes=1)


# ---- sessions -----------------------------------------------------------------------------------------------
@dataclass
class Started:
    """A newly opened watch session and the user's coverage of its video so far."""

    watch_session_id: int
    resume_position: float
    covered_seconds: float


def _start_statements() -> dict:
    """The statements of :func:`start_watch_session`, built once (every teacher opening a video runs them)."""
    if _START:
        return _START
    b = bindparam
    _START.update({
        "recent": select(func.count(_SESSION.c.id)).where(_SESSION.c.user_id == b("user_id"),
                                                          _SESSION.c.started_at > b("since")),
        "close": update(_SESSION).where(_SESSION.c.user_id == b("b_user"), _SESSION.c.video_id == b("b_video"),
                                        _SESSION.c.state == "active").values(state="closed"),
        "progress": select(_PROGRESS.c.resume_position, _PROGRESS.c.covered_seconds).where(
            _PROGRESS.c.user_id == b("user_id"), _PROGRESS.c.video_id == b("video_id")),
        "new_progress": insert(_PROGRESS),
        "new_session": insert(_SESSION).returning(_SESSION.c.id),
    })
    return _START


_START: dict = {}


def start_watch_session(user_id: int, video_id: int) -> Started:
    """Open a watch session of user ``user_id`` on video ``video_id`` (any older active session of the pair is
    closed); the answer carries the coverage so far, whose ``resume_position`` tells the player where to go.
    More than ``CERT_WATCH_SESSIONS_PER_MINUTE`` opened by one user within a minute is :class:`Flooded`.
    Prebuilt Core statements, like the heartbeat: 2,000 teachers open their videos within the same minutes."""
    dml = _start_statements()
    now = clock.now()
    recent = db.session.scalar(dml["recent"], {"user_id": user_id, "since": now - _FLOOD_WINDOW})
    if recent >= setting("CERT_WATCH_SESSIONS_PER_MINUTE"):
        # Kept in the database like the heartbeat guard (no rate-limit store write on every page view); it also
        # caps how many per-session heartbeat allowances one account can open.
        raise Flooded(_("打开视频过于频繁，请稍后再试。"))
    db.session.execute(dml["close"], {"b_user": user_id, "b_video": video_id})
    progress = db.session.execute(dml["progress"], {"user_id": user_id, "video_id": video_id}).first()
    if progress is None:
        db.session.execute(dml["new_progress"], {"user_id": user_id, "video_id": video_id, "intervals": [],
                                                 "covered_seconds": 0.0, "resume_position": 0.0, "updated_at": now})
        resume, covered = 0.0, 0.0
    else:
        resume, covered = progress.resume_position, progress.covered_seconds
    session_id = db.session.scalar(dml["new_session"], {
        "user_id": user_id, "video_id": video_id, "started_at": now, "last_heartbeat_at": None,
        "last_position": 0.0, "last_playing": False, "last_seq": 0, "state": "active", "credited_seconds": 0.0,
        "flood_window_at": None, "flood_window_beats": 0})
    return Started(session_id, resume, covered)


def _validate(position, playing, rate, seq, duration: float) -> tuple[float, bool, float, int | None]:
    try:
        position, rate = float(position), float(rate)
    except (TypeError, ValueError):
        raise ValidationError(_("播放位置和倍速必须是数字。")) from None
    if position != position or rate != rate:  # NaN
        raise ValidationError(_("播放位置和倍速必须是数字。"))
    if position < 0 or position > duration + 1.0:
        raise ValidationError(_("播放位置超出视频时长。"))
    if rate <= 0 or rate > setting("CERT_MAX_REPORTED_RATE"):
        raise ValidationError(_("播放倍速无效。"))
    if not isinstance(playing, bool):
        raise ValidationError(_("playing 必须是 true 或 false。"))
    if seq is not None and (not isinstance(seq, int) or isinstance(seq, bool) or seq < 0):
        raise ValidationError(_("seq 必须是非负整数。"))
    return min(position, duration), playing, rate, seq


_SESSION = WatchSession.__table__
_PROGRESS = WatchProgress.__table__


_ROW_STATEMENTS: dict[str, object] = {}


def _heartbeat_row_statement(dialect: str):
    """The SELECT of :func:`_heartbeat_row`, built once per dialect (building it costs more than running it)."""
    from app.media.models import Video

    other = _SESSION.alias("other")
    other_alive = (select(other.c.id).where(other.c.user_id == _SESSION.c.user_id, other.c.id != _SESSION.c.id,
                                            other.c.last_heartbeat_at > bindparam("since"),
                                            other.c.last_playing.is_(True), other.c.state == "active").exists())
    videos = Video.__table__
    stmt = (select(_SESSION.c.user_id, _SESSION.c.video_id, _SESSION.c.state, _SESSION.c.last_heartbeat_at,
                   _SESSION.c.last_position, _SESSION.c.last_playing, _SESSION.c.last_seq,
                   _SESSION.c.credited_seconds, _SESSION.c.flood_window_at, _SESSION.c.flood_window_beats,
                   _PROGRESS.c.id.label("progress_id"), _PROGRESS.c.intervals, _PROGRESS.c.covered_seconds,
                   videos.c.duration, other_alive.label("other_alive"))
            .select_from(_SESSION.join(videos, videos.c.id == _SESSION.c.video_id)
                         .join(_PROGRESS, (_PROGRESS.c.user_id == _SESSION.c.user_id)
                               & (_PROGRESS.c.video_id == _SESSION.c.video_id)))
            .where(_SESSION.c.id == bindparam("session_id")))
    if dialect != "sqlite":  # SQLite's BEGIN IMMEDIATE already serialises writers
        stmt = stmt.with_for_update(of=_SESSION)
    return stmt


def _heartbeat_row(session_id: int, now):
    """One SELECT: the session, the user's coverage of its video, the duration and whether another of the
    user's sessions played within the concurrency window (an EXISTS on the (user_id, last_heartbeat_at) index).
    On PostgreSQL the session row is locked for the rest of this short transaction."""
    dialect = db.session.get_bind().dialect.name
    stmt = _ROW_STATEMENTS.get(dialect)
    if stmt is None:
        stmt = _ROW_STATEMENTS[dialect] = _heartbeat_row_statement(dialect)
    since = now - timedelta(seconds=setting("CERT_CONCURRENT_WINDOW_SECONDS"))
    return db.session.execute(stmt, {"session_id": session_id, "since": since}).first()


def _statements() -> dict:
    """The heartbeat's DML, built once: constructing a statement costs more than executing it (SQLAlchemy
    coerces every ``values()`` argument and computes a cache key), and this runs 133 times a second."""
    if _DML:
        return _DML
    b = bindparam
    _DML.update({
        "session": update(_SESSION).where(_SESSION.c.id == b("b_id")).values(
            flood_window_at=b("b_window_at"), flood_window_beats=b("b_beats"), last_heartbeat_at=b("b_last_at"),
            last_position=b("b_position"), last_playing=b("b_playing"), last_seq=b("b_seq"),
            credited_seconds=b("b_credited")),
        "progress": update(_PROGRESS).where(_PROGRESS.c.id == b("b_id")).values(
            resume_position=b("b_position"), updated_at=b("b_now"), intervals=b("b_intervals", type_=JSON),
            covered_seconds=b("b_covered")),
        "rejection": insert(HeartbeatRejection.__table__),
        "segment": insert(WatchSegment.__table__),
        "ledger": insert(CreditHourEntry.__table__),
    })
    return _DML


_DML: dict = {}


def record_heartbeat(user_id: int, video_id: int, session_id, *, position, playing, rate,
                     seq=None) -> HeartbeatResult:
    """Judge one heartbeat of user ``user_id``'s watch session and credit what it honestly covers.

    Someone else's session (or one of another video) is :class:`NotFound`; malformed values are
    :class:`ValidationError`; more than ``CERT_HEARTBEAT_FLOOD_LIMIT`` heartbeats of one session within a minute
    are :class:`Flooded` (429, nothing written). Everything else answers 200 with ``accepted`` and the ``reason``.

    The hot path of 2,000 teachers watching at once, so it is prebuilt SQLAlchemy Core, not the ORM: one SELECT
    (above), one UPDATE of the session row (judgement, baseline and flood window together), one of the coverage
    row when the baseline moves, and the evidence INSERTs (a rejection, or a segment and its ledger line).
    """
    if not isinstance(session_id, int) or isinstance(session_id, bool):
        raise ValidationError(_("watch_session_id 必须是整数。"))
    now = clock.now()
    row = _heartbeat_row(session_id, now)
    if row is None or row.user_id != user_id or row.video_id != video_id:
        raise NotFound(_("观看记录不存在。"))
    position, playing, rate, seq = _validate(position, playing, rate, seq, row.duration)
    window_at, beats = clock.as_utc(row.flood_window_at), row.flood_window_beats or 0
    if window_at is None or not timedelta(0) <= now - window_at < _FLOOD_WINDOW:
        window_at, beats = now, 0
    if beats >= setting("CERT_HEARTBEAT_FLOOD_LIMIT"):
        raise Flooded(_("心跳过于频繁，请稍后再试。"))
    dml = _statements()
    # The session row as it stands, with the flood window counted; the judgement changes what it must.
    values = {"b_id": session_id, "b_window_at": window_at, "b_beats": beats + 1,
              "b_last_at": row.last_heartbeat_at, "b_position": row.last_position, "b_playing": row.last_playing,
              "b_seq": row.last_seq, "b_credited": row.credited_seconds}
    reason, credit = _judge(row, now, position, playing, rate, seq)
    credited, covered = 0.0, row.covered_seconds
    if reason:
        db.session.execute(dml["rejection"], {"session_id": session_id, "reason": reason, "position": position,
                                              "rate": rate, "created_at": now})
    if reason not in ("too_frequent", "replay", "closed"):
        # Accepted, or rejected for the interval only (rate, jump, concurrent): the baseline moves here.
        # A replay or a burst must not move it.
        values.update(b_last_at=now, b_position=position, b_playing=playing)
        if seq is not None:
            values["b_seq"] = seq
        intervals = row.intervals or []
        if credit is not None:
            credited, intervals, covered = _credit(row, session_id, now, *credit)
            values["b_credited"] = round(row.credited_seconds + credited, 3)
        db.session.execute(dml["progress"], {"b_id": row.progress_id, "b_position": position, "b_now": now,
                                             "b_intervals": intervals, "b_covered": covered})
    db.session.execute(dml["session"], values)
    if credited and _crossed_step(row.covered_seconds, covered, row.duration):
        # Coverage completes video activities, and a training course whose last activity that was earns its
        # 学时 (certification.programs). Sent at each 5% step, not on every beat, to keep the hot path short;
        # a threshold between steps is caught at the next one (or by `flask certification credit-completions`).
        results_changed.send("video", target_id=video_id, user_ids=[user_id])
    return HeartbeatResult(not reason, credited, reason or "ok", covered, row.duration, values["b_credited"], now)


def _judge(row, now, position, playing, rate, seq) -> tuple[str, tuple | None]:
    """Return (rejection reason or "", the (start, end, elapsed) interval to credit or None)."""
    if row.state != "active":
        return "closed", None
    if seq is not None and seq <= row.last_seq:
        return "replay", None
    last = clock.as_utc(row.last_heartbeat_at)
    elapsed = (now - last).total_seconds() if last is not None else None
    if elapsed is not None and elapsed < setting("CERT_HEARTBEAT_MIN_SECONDS"):
        return "too_frequent", None
    if playing and rate > setting("CERT_MAX_PLAYBACK_RATE"):
        return "rate", None
    if playing and row.other_alive:
        return "concurrent", None
    if elapsed is None or not (playing and row.last_playing):
        return "", None  # a start or a pause: it sets the baseline, earns nothing
    advanced = position - row.last_position
    if advanced < 0 or advanced > elapsed * setting("CERT_MAX_PLAYBACK_RATE") + setting("CERT_JUMP_TOLERANCE_SECONDS"):
        return "jump", None
    return "", (row.last_position, position, elapsed)


def _credit(row, session_id: int, now, start: float, end: float, elapsed: float) -> tuple[float, list, float]:
    """Merge ``[start, end)`` into the coverage; write the segment evidence and the ledger line.
    Returns (seconds credited, new intervals, new covered seconds)."""
    intervals, new = merge_interval([list(i) for i in row.intervals or []], start, end)
    credited = round(max(0.0, min(new, elapsed)), 3)
    dml = _statements()
    db.session.execute(dml["segment"], {"session_id": session_id, "start": start, "end": end, "credited": credited,
                                        "created_at": now})
    if credited > 0:
        db.session.execute(dml["ledger"], {
            "user_id": row.user_id, "seconds": credited, "source": "video_watch",
            "evidence": f"watch_session:{session_id}", "video_id": row.video_id, "course_id": None, "note": "",
            "created_by_id": None, "created_at": now})
    return credited, intervals, round(total_length(intervals), 3)
