"""多元评价: parties and their permissions (own work as peer -> 403, unassigned mentor -> 403 in HTML and JSON),
the final score with its breakdown, the missing-party rules and the peer deadline, and the integration as a
course activity (completion) and a gradebook item."""
from __future__ import annotations

import re
from datetime import timedelta

from app.auth import services as auth
from app.core import clock
from app.courses import services as courses
from app.extensions import db
from app.tasks import services
from tests import factories
from tests.tasks import builders


def _full(a, percent: float) -> dict:
    """Scores giving ``percent`` of every criterion's maximum."""
    return {str(c.id): c.max_points * percent / 100 for c in a.rubric.criteria}


def _reviewer_of(a, sub):
    from sqlalchemy import select

    from app.tasks.models import PeerReview

    return db.session.scalar(select(PeerReview.reviewer_id).where(PeerReview.submission_id == sub.id))


def _start(a, sub, student) -> None:
    """The student saves a first draft: only work that was started can be peer-reviewed."""
    first = a.stages[0]
    field = next(f for f in services.stage_fields(a, first) if f.type in ("text", "long_text"))
    services.save_stage(sub, first, {field.answer_key: "查阅了维修手册"}, by=student)


def test_peer_evaluating_own_work_is_403(client, login_as):
    a, course, teacher, (s1, s2) = builders.assignment(students=2, peer_count=1)
    _start(a, services.submission_of(a, s2), s2)
    db.session.commit()
    login_as(user=s1)
    own = services.submission_of(a, s1)
    url = f"/tasks/submissions/{own.id}/evaluate/peer"
    assert client.get(url).status_code == 403
    token = client.csrf_token(f"/tasks/submissions/{own.id}")
    denied = client.post(f"/api/tasks/submissions/{own.id}/evaluations", json={"party": "peer", "scores": _full(a, 80)},
                         headers={"X-CSRFToken": token})
    assert denied.status_code == 403
    other = services.submission_of(a, s2)
    assert client.get(f"/tasks/submissions/{other.id}/evaluate/peer").status_code == 200  # assigned reviewer
    form = {f"c.{k}": v for k, v in _full(a, 80).items()}
    page = f"/tasks/submissions/{other.id}/evaluate/peer"
    assert client.form(page, {**form, "comment": "步骤清楚"}, token_from=page).status_code == 302
    again = client.form(page, form, token_from=f"/tasks/submissions/{other.id}")  # nothing to correct: 409
    assert again.status_code == 409 and "您已经评价过这份作业" in again.get_data(as_text=True)


def test_a_peer_reviewer_who_left_the_course_loses_access(client, login_as):
    """Unenrolling keeps the record, but a former learner no longer sees or scores a classmate's work."""
    a, course, teacher, (s1, s2) = builders.assignment(students=2, peer_count=1)
    sub = services.submission_of(a, s2)
    assert _reviewer_of(a, sub) == s1.id
    _start(a, sub, s2)
    db.session.commit()
    login_as(user=s1)
    url = f"/tasks/submissions/{sub.id}/evaluate/peer"
    assert client.get(url).status_code == 200
    courses.unenrol(next(e for e in courses.participants(course) if e.user_id == s1.id))
    db.session.commit()
    assert client.get(url).status_code == 403
    assert client.get(f"/tasks/submissions/{sub.id}").status_code == 403
    form = {f"c.{k}": v for k, v in _full(a, 80).items()}
    assert client.form(url, form, token_from="/tasks").status_code == 403
    assert services.evaluations_of(sub) == []


def test_mentor_evaluates_only_assigned_students_html_and_json(client, login_as, app):
    a, course, teacher, (mine, other) = builders.assignment(students=2, peer_count=0)
    mentor = factories.user("mentor")
    courses.assign_mentor(course, mine, mentor)
    _token, plain = auth.issue_api_token(mentor)
    db.session.commit()
    login_as(user=mentor)
    sub_mine, sub_other = services.submission_of(a, mine), services.submission_of(a, other)
    assert client.get(f"/tasks/submissions/{sub_mine.id}/evaluate/mentor").status_code == 200
    assert client.get(f"/tasks/submissions/{sub_other.id}/evaluate/mentor").status_code == 403
    assert client.get(f"/tasks/submissions/{sub_other.id}").status_code == 403
    api = app.test_client()
    headers = {"Authorization": f"Bearer {plain}"}
    assert api.get(f"/api/tasks/submissions/{sub_other.id}", headers=headers).status_code == 403
    denied = api.post(f"/api/tasks/submissions/{sub_other.id}/evaluations", headers=headers,
                      json={"party": "mentor", "scores": _full(a, 90)})
    assert denied.status_code == 403 and denied.get_json()["error"]["status"] == 403
    ok = api.post(f"/api/tasks/submissions/{sub_mine.id}/evaluations", headers=headers,
                  json={"party": "mentor", "scores": _full(a, 90), "comment": "操作规范"})
    assert ok.status_code == 201 and ok.get_json()["percent"] == 90.0


def test_final_score_renormalises_missing_parties_and_shows_how(client, login_as):
    clock.set_now(clock.now())
    a, course, teacher, (s1, s2) = builders.assignment(students=2, peer_count=1,
                                                       peer_due_at=clock.now() + timedelta(days=2))
    sub = services.submission_of(a, s1)
    services.evaluate(sub, "self", s1, _full(a, 100))
    services.evaluate(sub, "teacher", teacher, _full(a, 70))
    b = services.breakdown(sub)
    assert b.final is None and "互评" in b.pending_reason  # the peer still has time
    clock.set_now(clock.now() + timedelta(days=3))  # peer deadline passed: nobody waits any longer
    b = services.breakdown(sub)
    # self 10 + teacher 50 present; peer 20 and mentor 20 missing -> weights scaled to 10/60 and 50/60
    assert b.renormalised and b.final == round((10 * 100 + 50 * 70) / 60, 2)
    assert {p.party: p.effective_weight for p in b.parties} == {"self": 16.67, "peer": 0.0, "teacher": 83.33,
                                                                "mentor": 0.0}
    db.session.commit()
    login_as(user=s1)
    page = client.get(f"/tasks/submissions/{sub.id}").get_data(as_text=True)
    assert "75 / 100" in re.sub(r"<[^>]+>", "", page) and "83.33%" in page and "缺评" in page and "本次已重新分配权重" in page
    data = client.get(f"/api/tasks/submissions/{sub.id}").get_json()
    assert data["score"]["final"] == 75.0 and data["score"]["renormalised"] is True


def test_without_a_peer_deadline_the_last_stage_due_date_stops_the_wait(app):
    """A task set by script or API without a peer deadline: once the last stage is due, a missing peer review no
    longer holds the final back (before, it waited for ever)."""
    clock.set_now(clock.now())
    a, course, teacher, (s1, s2) = builders.assignment(students=2, peer_count=1)
    assert a.peer_due_at is None
    a.stages[-1].due_at = clock.now() + timedelta(days=1)
    sub = services.submission_of(a, s1)
    services.evaluate(sub, "teacher", teacher, _full(a, 80))
    assert services.breakdown(sub).final is None
    clock.set_now(clock.now() + timedelta(days=2))
    b = services.breakdown(sub)
    assert b.final == 80.0 and b.renormalised


def test_zero_rule_counts_missing_parties_as_zero(app):
    a, course, teacher, (s1, s2) = builders.assignment(students=2, peer_count=1, missing_rule="zero",
                                                       peer_due_at=clock.now() - timedelta(hours=1))
    sub = services.submission_of(a, s1)
    _start(a, sub, s1)
    services.evaluate(sub, "teacher", teacher, _full(a, 80))
    reviewer = db.session.get(type(s1), _reviewer_of(a, sub))
    services.evaluate(sub, "peer", reviewer, _full(a, 50))
    b = services.breakdown(sub)
    assert b.final == round((50 * 80 + 20 * 50) / 100, 2) and not b.renormalised


def test_malformed_evaluation_json_is_a_clear_400(app):
    """A body that is not an object, or scores that are not {criterion: points}, are refused with a message and
    nothing is stored (they were 500s)."""
    a, course, teacher, (s1,) = builders.assignment(students=1, peer_count=0)
    sub = services.submission_of(a, s1)
    _token, plain = auth.issue_api_token(teacher)
    db.session.commit()
    api = app.test_client()
    url = f"/api/tasks/submissions/{sub.id}/evaluations"
    headers = {"Authorization": f"Bearer {plain}"}
    for body, message in (([1, 2], "请求内容必须是 JSON 对象"), ({"party": "teacher", "scores": [80, 90]}, "评分须按评分项给出"),
                          ({"party": "teacher", "scores": "80"}, "评分须按评分项给出")):
        response = api.post(url, headers=headers, json=body)
        assert response.status_code == 400 and message in response.get_json()["error"]["message"], body
    assert services.evaluations_of(sub) == []


def test_scores_outside_the_rubric_are_refused(app):
    import pytest

    from app.errors import ValidationError

    a, course, teacher, (s1,) = builders.assignment(students=1, peer_count=0)
    sub = services.submission_of(a, s1)
    bad = _full(a, 100)
    bad[next(iter(bad))] += 1
    with pytest.raises(ValidationError, match="分数须在 0 到"):
        services.evaluate(sub, "teacher", teacher, bad)


def test_work_task_activity_completes_at_the_mark_and_gradebook_takes_the_score(app):
    from app.grading import services as grading
    from app.grading.sources import get_source

    a, course, teacher, (s1, s2) = builders.assignment(students=2, peer_count=0,
                                                       weights={"self": 0, "peer": 0, "teacher": 100, "mentor": 0})
    activity = courses.add_activity(course, kind="work_task", title="任务", target_id=a.id, rule={"min_score": 60})
    services.evaluate(services.submission_of(a, s1), "teacher", teacher, _full(a, 80))
    services.evaluate(services.submission_of(a, s2), "teacher", teacher, _full(a, 50))
    matrix = courses.completion_matrix([activity], [s1.id, s2.id])[activity.id]
    assert matrix[s1.id].done and not matrix[s2.id].done
    assert "未达" in matrix[s2.id].detail
    item = grading.save_item(course, None, name="任务", kind="work_task", target_id=a.id, max_points=50)
    computed = get_source("work_task").compute([item], [s1.id, s2.id])
    assert computed == {(item.id, s1.id): 40.0, (item.id, s2.id): 25.0}


def test_activity_completion_is_batched(app, count_queries):
    def measure(n):
        a, course, teacher, learners = builders.assignment(students=n, peer_count=1)
        activity = courses.add_activity(course, kind="work_task", title="任务", target_id=a.id)
        ids = [u.id for u in learners]
        with count_queries() as q:
            courses.completion_matrix([activity], ids)
        return q.count

    assert measure(3) == measure(12)


def test_mentor_board_lists_only_assigned_students(client, login_as):
    a, course, teacher, (mine, other) = builders.assignment(students=2, peer_count=0)
    mentor = factories.user("mentor")
    courses.enrol_user(course, mentor, role="mentor")
    courses.assign_mentor(course, mine, mentor)
    db.session.commit()
    login_as(user=mentor)
    page = client.get(f"/tasks/{a.id}").get_data(as_text=True)
    assert mine.full_name in page and other.full_name not in page
    assert "补建作业与互评分配" not in page
