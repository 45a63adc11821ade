"""Server-side video watching: what earns 学时 and what does not."""
from __future__ import annotations

import random

from sqlalchemy import func, select

from app.certification.models import CreditHourEntry, HeartbeatRejection
from app.extensions import db
from tests import factories


def _start(client, video, headers):
    response = client.post(f"/api/v1/videos/{video.id}/watch-sessions", headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def _beat(client, video, headers, sid, position, playing=True, rate=1.0, **extra):
    return client.post(f"/api/v1/videos/{video.id}/heartbeat", headers=headers,
                       json={"watch_session_id": sid, "position": position, "playing": playing, "rate": rate,
                             **extra})


def _credited(user) -> float:
    return db.session.scalar(select(func.coalesce(func.sum(CreditHourEntry.seconds), 0.0))
                             .where(CreditHourEntry.user_id == user.id))


def _reasons(sid) -> list[str]:
    return list(db.session.scalars(select(HeartbeatRejection.reason).where(HeartbeatRejection.session_id == sid)
                                   .order_by(HeartbeatRejection.id)))


def test_simulated_schedule_is_credited_exactly(app, client, make_video, bearer, frozen):
    """Replay a schedule with pauses, a rewind, a seek ahead and irregular network delays; the ledger must
    equal the honestly covered seconds computed independently, to the second."""
    teacher = factories.user("teacher")
    video = make_video(duration=400)
    headers = bearer(teacher)
    sid = _start(client, video, headers)["watch_session_id"]
    rng = random.Random(7)
    t, pos = 0.0, 0.0
    covered: set[int] = set()  # whole seconds of the video actually watched at 1x
    expected = 0.0
    frozen.at(t)
    assert _beat(client, video, headers, sid, pos).get_json()["credited_seconds"] == 0  # baseline
    last_playing = True
    for step in range(40):
        gap = 15 + rng.choice([0, 1, 2, 3])  # heartbeats arrive late, never early
        t += gap
        frozen.at(t)
        if step in (10, 11):  # paused for two beats: time passes, position does not
            now_playing = False
        else:
            now_playing = True
        new_pos = min(400.0, pos + gap) if (now_playing and last_playing) else pos
        body = _beat(client, video, headers, sid, new_pos, playing=now_playing).get_json()
        if now_playing and last_playing and new_pos > pos:
            fresh = set(range(int(pos), int(new_pos))) - covered
            expected += min(len(fresh), gap)
            covered |= set(range(int(pos), int(new_pos)))
        assert body["accepted"], body
        pos, last_playing = new_pos, now_playing
        if step == 20:  # the teacher rewinds 60 s: the next beat starts a new baseline there
            pos = max(0.0, pos - 60)
            t += 15
            frozen.at(t)
            assert _beat(client, video, headers, sid, pos).get_json()["reason"] == "jump"
    assert _credited(teacher) == expected
    assert expected == 400  # the schedule covers the whole video in the end


def test_credit_never_exceeds_server_time_or_duration(client, make_video, bearer, frozen):
    teacher = factories.user("teacher")
    video = make_video(duration=20)
    headers = bearer(teacher)
    sid = _start(client, video, headers)["watch_session_id"]
    _beat(client, video, headers, sid, 0)
    frozen.at(15)
    assert _beat(client, video, headers, sid, 15).get_json()["credited_seconds"] == 15
    frozen.at(30)
    body = _beat(client, video, headers, sid, 20).get_json()  # the video ends at 20 s
    assert body["credited_seconds"] == 5 and body["covered_percent"] == 100
    frozen.at(45)
    assert _beat(client, video, headers, sid, 20).get_json()["credited_seconds"] == 0
    assert _credited(teacher) == 20


def test_fast_playback_jumps_and_rewatching_earn_nothing(client, make_video, bearer, frozen):
    teacher = factories.user("teacher")
    video = make_video(duration=600)
    headers = bearer(teacher)
    sid = _start(client, video, headers)["watch_session_id"]
    _beat(client, video, headers, sid, 0)
    frozen.at(15)
    assert _beat(client, video, headers, sid, 30, rate=2.0).get_json()["reason"] == "rate"
    frozen.at(30)
    assert _beat(client, video, headers, sid, 300).get_json()["reason"] == "jump"  # dragged ahead
    frozen.at(45)
    assert _beat(client, video, headers, sid, 315).get_json()["credited_seconds"] == 15
    frozen.at(60)
    assert _beat(client, video, headers, sid, 300).get_json()["reason"] == "jump"  # back
    frozen.at(75)
    assert _beat(client, video, headers, sid, 315).get_json()["credited_seconds"] == 0  # seen already
    frozen.at(90)
    body = _beat(client, video, headers, sid, 337.5, rate=1.5).get_json()  # allowed 1.5x: 22.5 s in 15 s
    assert body["credited_seconds"] == 15
    assert _credited(teacher) == 30
    assert _reasons(sid) == ["rate", "jump", "jump"]


def test_replayed_and_too_frequent_heartbeats_earn_nothing(client, make_video, bearer, frozen):
    teacher = factories.user("teacher")
    video = make_video()
    headers = bearer(teacher)
    sid = _start(client, video, headers)["watch_session_id"]
    _beat(client, video, headers, sid, 0, seq=1)
    frozen.at(15)
    assert _beat(client, video, headers, sid, 15, seq=2).get_json()["credited_seconds"] == 15
    frozen.at(20)
    assert _beat(client, video, headers, sid, 20, seq=2).get_json()["reason"] == "replay"
    frozen.at(22)
    assert _beat(client, video, headers, sid, 22, seq=3).get_json()["reason"] == "too_frequent"
    frozen.at(30)
    assert _beat(client, video, headers, sid, 30, seq=4).get_json()["credited_seconds"] == 15
    assert _reasons(sid) == ["replay", "too_frequent"]
    assert _credited(teacher) == 30


def test_two_videos_at_once_earn_nothing(client, make_video, bearer, frozen):
    teacher = factories.user("teacher")
    first, second = make_video(), make_video()
    headers = bearer(teacher)
    a = _start(client, first, headers)["watch_session_id"]
    b = _start(client, second, headers)["watch_session_id"]
    _beat(client, first, headers, a, 0)
    frozen.at(1)
    assert _beat(client, second, headers, b, 0).get_json()["reason"] == "concurrent"
    frozen.at(15)
    assert _beat(client, first, headers, a, 15).get_json()["reason"] == "concurrent"
    frozen.at(16)
    assert _beat(client, second, headers, b, 15).get_json()["reason"] == "concurrent"
    assert _credited(teacher) == 0


def test_bad_values_are_400_and_other_users_session_is_404(client, make_video, bearer, frozen):
    owner, other = factories.user("teacher"), factories.user("teacher")
    video = make_video(duration=100)
    sid = _start(client, video, bearer(owner))["watch_session_id"]
    headers = bearer(owner)
    assert _beat(client, video, headers, sid, 500).status_code == 400
    assert _beat(client, video, headers, sid, -1).status_code == 400
    assert _beat(client, video, headers, sid, 10, rate=-1).status_code == 400
    assert _beat(client, video, headers, sid, 10, rate=1000).status_code == 400
    assert _beat(client, video, headers, sid, "x").status_code == 400
    assert _beat(client, video, bearer(other), sid, 10).status_code == 404
    assert _beat(client, make_video(), headers, sid, 10).status_code == 404  # session of another video
    assert client.post(f"/api/v1/videos/{make_video(approved=False).id}/watch-sessions",
                       headers=bearer(other)).status_code == 404


def test_flood_is_rate_limited_and_earns_nothing(client, make_video, bearer, frozen):
    """The flood guard is the session row's own one-minute window (no rate-limit store on the hot path):
    past 12 heartbeats a minute the answer is 429 and nothing is written; a minute later beats count again."""
    teacher = factories.user("teacher")
    video = make_video()
    headers = bearer(teacher)
    sid = _start(client, video, headers)["watch_session_id"]
    statuses = []
    for i in range(30):
        frozen.at(i * 0.1)
        statuses.append(_beat(client, video, headers, sid, i * 0.1).status_code)
    assert statuses[:12] == [200] * 12 and set(statuses[12:]) == {429}
    assert _credited(teacher) == 0
    assert _reasons(sid) == ["too_frequent"] * 11  # the 429s left no trace: a flood cannot fill the log
    body = client.post(f"/api/v1/videos/{video.id}/heartbeat", headers=headers,
                       json={"watch_session_id": sid, "position": 3.0, "playing": True, "rate": 1.0}).get_json()
    assert body["error"]["status"] == 429
    frozen.at(61)
    assert _beat(client, video, headers, sid, 61).get_json()["accepted"]  # a new window, a new baseline
    frozen.at(76)
    assert _beat(client, video, headers, sid, 76).get_json()["credited_seconds"] == 15


def test_flood_guard_is_per_session_and_session_starts_are_limited(client, make_video, bearer, frozen, app):
    teacher = factories.user("teacher")
    video = make_video()
    headers = bearer(teacher)
    first = _start(client, video, headers)["watch_session_id"]
    for i in range(13):
        _beat(client, video, headers, first, 0)
    assert _beat(client, video, headers, first, 0).status_code == 429
    second = _start(client, video, headers)["watch_session_id"]  # a reload of the player page
    assert _beat(client, video, headers, second, 0).status_code == 200
    app.config["CERT_WATCH_SESSIONS_PER_MINUTE"] = 4
    try:
        statuses = [client.post(f"/api/v1/videos/{video.id}/watch-sessions", headers=headers).status_code
                    for _ in range(4)]
        frozen.at(61)
        later = client.post(f"/api/v1/videos/{video.id}/watch-sessions", headers=headers).status_code
    finally:
        app.config.pop("CERT_WATCH_SESSIONS_PER_MINUTE")
    assert statuses == [201, 201, 429, 429] and later == 201  # two were opened above, in the same minute


def test_resume_where_the_teacher_stopped(client, make_video, bearer, frozen):
    teacher = factories.user("teacher")
    video = make_video()
    headers = bearer(teacher)
    sid = _start(client, video, headers)["watch_session_id"]
    _beat(client, video, headers, sid, 100)
    frozen.at(15)
    _beat(client, video, headers, sid, 115)
    again = _start(client, video, headers)
    assert again["resume_position"] == 115 and again["covered_seconds"] == 15
    # the old session is closed: its heartbeats earn nothing
    frozen.at(30)
    assert _beat(client, video, headers, sid, 130).get_json()["reason"] == "closed"


def test_browser_heartbeat_needs_csrf_and_video_page_loads_script(client, login_as, make_video):
    login_as("teacher")
    video = make_video()
    page = client.get(f"/media/videos/{video.id}").get_data(as_text=True)
    assert "js/watch.js" in page and "data-watch-heartbeat" in page
    assert client.post(f"/api/v1/videos/{video.id}/watch-sessions").status_code == 400
    token = client.csrf_token(f"/media/videos/{video.id}")
    assert client.post(f"/api/v1/videos/{video.id}/watch-sessions",
                       headers={"X-CSRFToken": token}).status_code == 201


def test_the_player_can_tell_the_teacher_why_an_interval_earned_nothing(client, login_as, make_video, frozen):
    """Playing at 2x earns nothing: the heartbeat answers the reason, and the video page carries a Chinese
    sentence for each reason a teacher can cause, which watch.js shows under the progress bar."""
    login_as("teacher")
    video = make_video()
    url = f"/media/videos/{video.id}"
    headers = {"X-CSRFToken": client.csrf_token(url)}
    sid = client.post(f"/api/v1/videos/{video.id}/watch-sessions", headers=headers).get_json()["watch_session_id"]
    reasons = []
    for t, position, rate in ((0, 0, 1.0), (15, 30, 2.0), (30, 90, 1.0)):
        frozen.at(t)
        reasons.append(client.post(f"/api/v1/videos/{video.id}/heartbeat", headers=headers, json={
            "watch_session_id": sid, "position": position, "playing": True, "rate": rate}).get_json()["reason"])
    assert reasons == ["ok", "rate", "jump"]
    page = client.get(url).get_data(as_text=True)
    assert 'data-msg-rate="播放倍速过快' in page and 'data-msg-jump="检测到拖动进度' in page
    assert 'data-msg-concurrent="您正在同时播放其他视频' in page and "data-watch-notice" in page


def test_heartbeat_path_is_a_few_statements_whatever_the_history(client, make_video, bearer, frozen, count_queries):
    teacher = factories.user("teacher")
    video = make_video(duration=3600)
    headers = bearer(teacher)
    sid = _start(client, video, headers)["watch_session_id"]
    _beat(client, video, headers, sid, 0)
    frozen.at(15)
    with count_queries() as early:
        assert _beat(client, video, headers, sid, 15).get_json()["credited_seconds"] == 15
    for n in range(2, 30):
        frozen.at(15 * n)
        _beat(client, video, headers, sid, 15 * n)
    frozen.at(15 * 30)
    with count_queries() as late:
        assert _beat(client, video, headers, sid, 15 * 30).get_json()["credited_seconds"] == 15
    assert early.count == late.count <= 12
