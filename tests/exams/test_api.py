"""The attempt API as a client sees it: start/resume, autosave with seq, deadlines, submit, review, isolation."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.auth import services as auth
from app.core import clock
from app.extensions import db
from tests import factories
from tests.exams import builders


def bearer(user) -> dict:
    _record, plain = auth.issue_api_token(user, "test")
    return {"Authorization": f"Bearer {plain}"}


@pytest.fixture
def setup(app):
    teacher = factories.user("teacher")
    student = factories.user("student", school_=teacher.school)
    other = factories.user("student", school_=teacher.school)
    bank = builders.bank()
    qs = [builders.question(bank, t) for t in ("single_choice", "multiple_choice", "true_false", "fill_blank",
                                               "essay")]
    exam = builders.fixed_exam(qs, students=[student, other], creator=teacher, time_limit_minutes=30)
    db.session.commit()
    return {"teacher": teacher, "student": student, "other": other, "exam": exam, "questions": qs,
            "h": bearer(student), "h_other": bearer(other)}


def start(client, s, who="h"):
    return client.post(f"/api/v1/exams/{s['exam'].id}/attempts", headers=s[who])


def test_start_shows_questions_without_answers_and_resume_returns_same_attempt(client, setup):
    first = start(client, setup)
    assert first.status_code == 201
    body = first.get_json()
    assert [i["slot"] for i in body["items"]] == [1, 2, 3, 4, 5]
    assert body["items"][0]["type"] == "single_choice"
    assert body["items"][0]["points"] == 2.0
    assert [o["text"] for o in body["items"][0]["options"]] == ["扭矩扳手", "活动扳手", "套筒", "螺丝刀"]
    text = first.get_data(as_text=True)
    for secret in ("fraction", "right_answer", "correct", "feedback", "解析", "\"score\":"):
        assert secret not in text
    assert body["deadline"] and body["now"]
    again = start(client, setup)
    assert again.status_code == 200
    assert again.get_json()["attempt_id"] == body["attempt_id"]


def test_autosave_seq_order_shape_and_missing_slot(client, setup):
    attempt = start(client, setup).get_json()["attempt_id"]
    url = f"/api/v1/attempts/{attempt}/items/1"
    ok = client.put(url, json={"response": "B", "seq": 2}, headers=setup["h"])
    assert ok.status_code == 200, ok.get_data(as_text=True)
    stale = client.put(url, json={"response": "C", "seq": 1}, headers=setup["h"])
    assert stale.status_code == 409
    same = client.put(url, json={"response": "C", "seq": 2}, headers=setup["h"])
    assert same.status_code == 409
    wrong_shape = client.put(url, json={"response": ["A", "Z"], "seq": 3}, headers=setup["h"])
    assert wrong_shape.status_code == 400
    assert wrong_shape.get_json()["error"]["message"]
    missing = client.put(f"/api/v1/attempts/{attempt}/items/99", json={"response": "A", "seq": 1},
                         headers=setup["h"])
    assert missing.status_code == 404
    no_seq = client.put(url, json={"response": "A"}, headers=setup["h"])
    assert no_seq.status_code == 400
    state = client.get(f"/api/v1/attempts/{attempt}", headers=setup["h"]).get_json()
    assert state["items"][0]["response"] == "B" and state["items"][0]["seq"] == 2


def test_someone_elses_attempt_is_not_found_everywhere(client, setup):
    attempt = start(client, setup).get_json()["attempt_id"]
    h = setup["h_other"]
    assert client.get(f"/api/v1/attempts/{attempt}", headers=h).status_code == 404
    assert client.put(f"/api/v1/attempts/{attempt}/items/1", json={"response": "A", "seq": 5},
                      headers=h).status_code == 404
    assert client.post(f"/api/v1/attempts/{attempt}/submit", headers=h).status_code == 404
    assert client.get(f"/api/v1/attempts/{attempt}", headers=setup["h"]).get_json()["state"] == "in_progress"
    assert client.get("/api/v1/attempts/999999", headers=h).status_code == 404


def test_start_needs_a_grant_and_an_open_window(client, setup, app):
    outsider = factories.user("student")
    db.session.commit()
    refused = client.post(f"/api/v1/exams/{setup['exam'].id}/attempts", headers=bearer(outsider))
    assert refused.status_code == 403
    setup["exam"].closes_at = clock.now() - timedelta(minutes=1)
    db.session.commit()
    closed = start(client, setup)
    assert closed.status_code == 409
    assert "考试已结束" in closed.get_json()["error"]["message"]


def test_submit_grades_objective_items_and_queues_essay(client, setup):
    attempt = start(client, setup).get_json()["attempt_id"]
    answers = {1: "A", 2: ["A", "B"], 3: False, 4: ["扭矩", "ＮＭ"], 5: {"text": "拧紧顺序：对角"}}
    for slot, response in answers.items():
        r = client.put(f"/api/v1/attempts/{attempt}/items/{slot}", json={"response": response, "seq": 1},
                       headers=setup["h"])
        assert r.status_code == 200, r.get_data(as_text=True)
    result = client.post(f"/api/v1/attempts/{attempt}/submit", headers=setup["h"]).get_json()
    assert result["state"] == "needs_grading"
    assert "score" not in result  # not final while the essay waits
    again = client.post(f"/api/v1/attempts/{attempt}/submit", headers=setup["h"]).get_json()
    assert again == result
    late = client.put(f"/api/v1/attempts/{attempt}/items/1", json={"response": "B", "seq": 9}, headers=setup["h"])
    assert late.status_code == 409
    shown = client.get(f"/api/v1/attempts/{attempt}", headers=setup["h"]).get_json()
    scores = {i["slot"]: i.get("score") for i in shown["items"]}
    assert scores == {1: 2.0, 2: 2.0, 3: 0.0, 4: 2.0, 5: None}
    assert shown["items"][0]["correct"] == "right" and shown["items"][2]["correct"] == "wrong"
    assert "right_answer" not in shown["items"][0]  # default policy shows answers only after close


def test_deadline_closes_lazily_and_nothing_is_stored_after_it(client, setup):
    body = start(client, setup).get_json()
    attempt = body["attempt_id"]
    client.put(f"/api/v1/attempts/{attempt}/items/1", json={"response": "A", "seq": 1}, headers=setup["h"])
    clock.set_now(clock.now() + timedelta(minutes=30, seconds=10))  # within the grace
    within = client.put(f"/api/v1/attempts/{attempt}/items/2", json={"response": ["A"], "seq": 1},
                        headers=setup["h"])
    assert within.status_code == 200
    clock.set_now(clock.now() + timedelta(minutes=1))
    late = client.put(f"/api/v1/attempts/{attempt}/items/3", json={"response": True, "seq": 1},
                      headers=setup["h"])
    assert late.status_code == 409
    shown = client.get(f"/api/v1/attempts/{attempt}", headers=setup["h"]).get_json()
    assert shown["state"] == "needs_grading" and shown["closed_by"] == "timeout"
    responses = {i["slot"]: i["response"] for i in shown["items"]}
    assert responses[1] == "A" and responses[2] == ["A"] and responses[3] is None
    # Coming back does not reopen: the only attempt is used up.
    again = start(client, setup)
    assert again.status_code == 409


def test_extra_time_and_close_bound_the_deadline(client, setup):
    from app.exams import services

    services.grant_access(setup["exam"], setup["student"], extra_minutes=15)
    setup["exam"].closes_at = clock.now() + timedelta(minutes=40)
    db.session.commit()
    body = start(client, setup).get_json()
    deadline = body["deadline"]
    expected = clock.as_utc(setup["exam"].closes_at)  # 30 + 15 min > 40 min to close
    assert deadline.startswith(expected.strftime("%Y-%m-%dT%H:%M"))


def test_close_overdue_command_closes_with_saved_answers(client, setup, runner):
    attempt = start(client, setup).get_json()["attempt_id"]
    client.put(f"/api/v1/attempts/{attempt}/items/1", json={"response": "A", "seq": 1}, headers=setup["h"])
    clock.set_now(clock.now() + timedelta(hours=2))
    result = runner.invoke(args=["exams", "close-overdue"])
    assert result.exit_code == 0, result.output
    assert "1" in result.output
    shown = client.get(f"/api/v1/attempts/{attempt}", headers=setup["h"]).get_json()
    assert shown["closed_by"] == "timeout" and shown["items"][0]["response"] == "A"


def test_browser_session_needs_csrf_header(client, setup, login_as):
    login_as(user=setup["student"])
    refused = client.post(f"/api/v1/exams/{setup['exam'].id}/attempts")
    assert refused.status_code == 400
    token = client.get("/api/v1/csrf-token").get_json()["csrf_token"]
    ok = client.post(f"/api/v1/exams/{setup['exam'].id}/attempts", headers={"X-CSRFToken": token})
    assert ok.status_code == 201


def test_anonymous_gets_json_401(client, setup):
    r = client.get("/api/v1/attempts/1")
    assert r.status_code == 401 and r.get_json()["error"]["status"] == 401
