"""Server-side measurement of video watching (the integrity core of 学时).

The browser only reports what it sees (position, playing, rate). The server decides what to credit:

* an interval earns only between two ACCEPTED heartbeats that were both playing;
* it earns at most the server time that passed between them, and only the part of the video not covered
  before (coverage is the union of watched intervals, so re-watching earns nothing and nothing exceeds
  the duration);
* too fast a rate, a jump further than the elapsed time allows, a second video at the same time, a replayed
  sequence number or a heartbeat sooner than the minimum interval earn nothing and are logged in
  :class:`HeartbeatRejection`.

The heartbeat path is a handful of statements: one read of session + coverage + duration, one check for
another live session, then the updates and inserts.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from app.certification.models import (CreditHourEntry, HeartbeatRejection, WatchProgress, WatchSegment,
                                      WatchSession)
from app.core import clock
from app.errors import NotFound, ValidationError
from app.extensions import db

#: Defaults, overridable in the app config.
DEFAULTS = {
    "CERT_MAX_PLAYBACK_RATE": 1.5,  # faster playback earns nothing
    "CERT_HEARTBEAT_SECONDS": 15,  # what watch.js sends
    "CERT_HEARTBEAT_MIN_SECONDS": 10,  # sooner than this after the last accepted one = too frequent
    "CERT_CONCURRENT_WINDOW_SECONDS": 45,  # another session alive within this = two videos at once
    "CERT_JUMP_TOLERANCE_SECONDS": 2.0,  # position may run this much ahead of elapsed × rate (buffering)
    "CERT_MAX_REPORTED_RATE": 16.0,  # above this the request itself is malformed (400)
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


# ---- sessions -----------------------------------------------------------------------------------------------
def start_watch_session(user, video) -> tuple[WatchSession, WatchProgress]:
    """Open a watch session of ``user`` on ``video`` (any older active session of the pair is closed) and
    return it with the user's coverage of the video, whose ``resume_position`` tells the player where to go."""
    db.session.execute(update(WatchSession).where(WatchSession.user_id == user.id, WatchSession.video_id == video.id,
                                                  WatchSession.state == "active").values(state="closed"))
    progress = db.session.scalar(select(WatchProgress).where(WatchProgress.user_id == user.id,
                                                             WatchProgress.video_id == video.id))
    if progress is None:
        progress = WatchProgress(user_id=user.id, video_id=video.id, intervals=[], covered_seconds=0.0,
                                 resume_position=0.0)
        db.session.add(progress)
    session = WatchSession(user_id=user.id, video_id=video.id, started_at=clock.now(), last_position=0.0,
                           state="active")
    db.session.add(session)
    db.session.flush()
    return session, progress


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


def record_heartbeat(user, video_id: int, session_id, *, position, playing, rate, seq=None) -> HeartbeatResult:
    """Judge one heartbeat of ``user``'s watch session and credit what it honestly covers.

    Someone else's session (or one of another video) is :class:`NotFound`; malformed values are
    :class:`ValidationError`. Everything else answers 200 with ``accepted`` and the ``reason``.
    """
    from app.media.models import Video

    if not isinstance(session_id, int) or isinstance(session_id, bool):
        raise ValidationError(_("watch_session_id 必须是整数。"))
    row = db.session.execute(
        select(WatchSession, WatchProgress, Video.duration)
        .join(Video, Video.id == WatchSession.video_id)
        .join(WatchProgress, (WatchProgress.user_id == WatchSession.user_id)
              & (WatchProgress.video_id == WatchSession.video_id))
        .where(WatchSession.id == session_id).with_for_update(of=WatchSession)).first()
    if row is None or row[0].user_id != user.id or row[0].video_id != video_id:
        raise NotFound(_("观看记录不存在。"))
    session, progress, duration = row
    position, playing, rate, seq = _validate(position, playing, rate, seq, duration)
    now = clock.now()
    reason, credited = _judge(session, progress, now, position, playing, rate, seq)
    if reason in ("too_frequent", "replay", "closed"):
        # Nothing about the session changes: a replay or a burst must not move the baseline.
        db.session.add(HeartbeatRejection(session_id=session.id, reason=reason, position=position, rate=rate,
                                          created_at=now))
        return HeartbeatResult(False, 0.0, reason, progress.covered_seconds, duration, session.credited_seconds, now)
    if reason:
        db.session.add(HeartbeatRejection(session_id=session.id, reason=reason, position=position, rate=rate,
                                          created_at=now))
    session.last_heartbeat_at = now
    session.last_position = position
    session.last_playing = playing
    if seq is not None:
        session.last_seq = seq
    progress.resume_position = position
    return HeartbeatResult(not reason, credited, reason or "ok", progress.covered_seconds, duration,
                           session.credited_seconds, now)


def _judge(session, progress, now, position, playing, rate, seq) -> tuple[str, float]:
    """Return (rejection reason or "", seconds credited), crediting as a side effect when accepted."""
    if session.state != "active":
        return "closed", 0.0
    if seq is not None and seq <= session.last_seq:
        return "replay", 0.0
    last = clock.as_utc(session.last_heartbeat_at)
    elapsed = (now - last).total_seconds() if last is not None else None
    if elapsed is not None and elapsed < setting("CERT_HEARTBEAT_MIN_SECONDS"):
        return "too_frequent", 0.0
    if playing and rate > setting("CERT_MAX_PLAYBACK_RATE"):
        return "rate", 0.0
    if playing and _other_session_alive(session, now):
        return "concurrent", 0.0
    if elapsed is None or not (playing and session.last_playing):
        return "", 0.0  # a start or a pause: it sets the baseline, earns nothing
    advanced = position - session.last_position
    if advanced < 0 or advanced > elapsed * setting("CERT_MAX_PLAYBACK_RATE") + setting("CERT_JUMP_TOLERANCE_SECONDS"):
        return "jump", 0.0
    return "", _credit(session, progress, now, session.last_position, position, elapsed)


def _other_session_alive(session, now) -> bool:
    since = now - timedelta(seconds=setting("CERT_CONCURRENT_WINDOW_SECONDS"))
    return db.session.scalar(select(WatchSession.id).where(
        WatchSession.user_id == session.user_id, WatchSession.id != session.id,
        WatchSession.last_heartbeat_at > since, WatchSession.last_playing.is_(True),
        WatchSession.state == "active").limit(1)) is not None


def _credit(session, progress, now, start: float, end: float, elapsed: float) -> float:
    intervals, new = merge_interval([list(i) for i in progress.intervals or []], start, end)
    credited = round(max(0.0, min(new, elapsed)), 3)
    progress.intervals = intervals
    progress.covered_seconds = round(total_length(intervals), 3)
    session.credited_seconds = round(session.credited_seconds + credited, 3)
    db.session.add(WatchSegment(session_id=session.id, start=start, end=end, credited=credited, created_at=now))
    if credited > 0:
        db.session.add(CreditHourEntry(user_id=session.user_id, seconds=credited, source="video_watch",
                                       evidence=f"watch_session:{session.id}", video_id=session.video_id,
                                       created_at=now))
    return credited
