"""JSON API of server-measured watching under /api/v1 (bearer token, or session + X-CSRFToken)."""
from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.certification import permissions, watching
from app.core.database import begin_write, writes_late
from app.errors import NotFound, ValidationError
from app.extensions import db, limiter

api = Blueprint("certification_api", __name__, url_prefix="/api/v1")


#: Watching endpoints: their flood guards live in the database rows they update (see watching).
_WATCHING = {"certification.certification_api.heartbeat", "certification.certification_api.start_session"}


@limiter.request_filter
def _not_limited_by_flask_limiter() -> bool:
    """Flask-Limiter resolves and evaluates its limits on every request even for an exempt view (about 0.5 ms);
    a request filter is its early exit, so the watching endpoints skip that bookkeeping entirely."""
    return request.endpoint in _WATCHING


def _json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationError(_("请求体必须是 JSON 对象。"))
    return body


def _video(video_id: int):
    from app.media.models import Video

    video = db.session.get(Video, video_id)
    if video is None or not permissions.can_watch_for_credit(current_user, video):
        raise NotFound(_("视频不存在。"))
    return video


@api.post("/videos/<int:video_id>/watch-sessions")
@login_required
@writes_late
def start_session(video_id: int):
    """Open a watch session; the answer says where to resume and how often to send heartbeats. More than
    ``CERT_WATCH_SESSIONS_PER_MINUTE`` a minute for one user is 429 (counted in the database, see watching)."""
    video = _video(video_id)
    user_id, duration = current_user.id, video.duration  # read before begin_write's commit expires them
    begin_write()
    started = watching.start_watch_session(user_id, video_id)
    db.session.commit()
    return jsonify({"watch_session_id": started.watch_session_id, "resume_position": started.resume_position,
                    "heartbeat_seconds": watching.setting("CERT_HEARTBEAT_SECONDS"), "duration": duration,
                    "covered_seconds": started.covered_seconds,
                    "covered_percent": watching.covered_percent(started.covered_seconds, duration)}), 201


@api.post("/videos/<int:video_id>/heartbeat")
@login_required
@writes_late
def heartbeat(video_id: int):
    """Report position/playing/rate; the server decides what, if anything, is credited.

    No Flask-Limiter here: its counter store is a write per request to a file shared by every worker, which at
    2,000 watching teachers (133 heartbeats/s) queued every heartbeat behind a lock. The flood guard lives in
    the watch session row and is updated by the same UPDATE that records the heartbeat (watching.Flooded, 429);
    a per-IP limit would also throttle a whole school behind one NAT address. Requests without a valid token or
    session stop at the login check before any write."""
    body = _json_body()
    user_id = current_user.id  # read before begin_write: its commit expires the user (a reload otherwise)
    begin_write()
    result = watching.record_heartbeat(user_id, video_id, body.get("watch_session_id"),
                                       position=body.get("position"), playing=body.get("playing"),
                                       rate=body.get("rate", 1.0), seq=body.get("seq"))
    db.session.commit()
    return jsonify(result.as_json())
