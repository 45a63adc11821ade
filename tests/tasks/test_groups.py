"""Group work (小组合作): forming groups (automatic, by hand, moving before work starts), one shared submission per
group (any member saves; history says who), gates per group, a member of another group refused (403), peer
review between groups, self evaluation per member, the final score per member with the teacher's adjustment,
the gradebook, bad input and the board's constant SQL."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.courses import services as courses
from app.errors import Conflict, NotFound, ValidationError
from app.extensions import db
from app.tasks import services
from app.tasks.models import PeerReview, StageEntry, StageState, TaskGroupMember, TaskSubmission
from tests import factories
from tests.tasks import builders

TEACHER_ONLY = {"self": 0, "peer": 0, "teacher": 100, "mentor": 0}


def _group_task(students=4, size=2, **options):
    options.setdefault("peer_count", 1)
    return builders.assignment(students=students, work_mode="group", group_size=size, **options)


def _full(a, percent):
    return {str(c.id): c.max_points * percent / 100 for c in a.rubric.criteria}


def _members(a):
    return {g.id: [m.student for m in ms] for g, ms in
            ((g, services.members_by_group(a).get(g.id, [])) for g in services.groups_of(a))}


def _stage_url(sub, stage):
    return f"/tasks/submissions/{sub.id}/stages/{stage.id}"


def _as(app, login_as, user):
    """A fresh client logged in as ``user`` (one test often plays several people)."""
    c = app.test_client()
    login_as(user=user, client_=c)
    return c


def _text_field(a, stage):
    f = next(f for f in services.stage_fields(a, stage) if f.type == "long_text")
    return f, f"a.{f.version_id}.{f.definition['key']}"


# --- forming groups -------------------------------------------------------------------------------------------

def test_automatic_groups_are_balanced_and_share_one_submission_each(app):
    a, course, teacher, learners = _group_task(students=5, size=2)
    groups = services.groups_of(a)
    sizes = [len(ms) for ms in _members(a).values()]
    assert [g.name for g in groups] == ["第 1 组", "第 2 组", "第 3 组"] and sorted(sizes) == [1, 2, 2]
    subs = db.session.scalars(select(TaskSubmission).where(TaskSubmission.assignment_id == a.id)).all()
    assert len(subs) == 3 and all(s.student_id is None and s.group_id for s in subs)
    first, second = learners[0], learners[1]  # usernames in order: the first two share the first group
    assert services.submission_of(a, first).id == services.submission_of(a, second).id


def test_peer_review_is_between_groups_and_spreads_over_members(app):
    a, course, teacher, learners = _group_task(students=6, size=2, peer_count=2)
    group_of = {m.student_id: m.group_id for m in db.session.scalars(select(TaskGroupMember)
                                                                    .where(TaskGroupMember.assignment_id == a.id))}
    rows = db.session.execute(select(TaskSubmission.group_id, PeerReview.reviewer_id).join(
        PeerReview, PeerReview.submission_id == TaskSubmission.id).where(PeerReview.assignment_id == a.id)).all()
    assert len(rows) == 6  # 3 groups, each reviewed by 2 other groups
    assert all(group_of[reviewer] != gid for gid, reviewer in rows)
    for gid in set(group_of.values()):
        assert len({group_of[r] for g, r in rows if g == gid}) == 2  # two different reviewing groups
    assert len({r for _g, r in rows}) == 6  # every student reviews once: the turns rotate within a group
    assert services.assign_peers(a) == 0  # idempotent


def test_teacher_forms_groups_by_hand_and_moves_a_student_before_work_starts(client, login_as):
    teacher = login_as("teacher")
    a, course, _t, (s1, s2, s3) = builders.assignment(teacher, students=3, work_mode="group", peer_count=1)
    db.session.commit()
    assert services.groups_of(a) == []
    url = f"/tasks/{a.id}/groups"
    page = client.get(url).get_data(as_text=True)
    assert "还没有小组" in page and s1.username in page
    assert client.form(url, {"name": "甲组", "students": [s1.id, s2.id]}, token_from=url).status_code == 302
    assert client.form(url, {"name": "", "students": [s3.id]}, token_from=url).status_code == 302
    groups = services.groups_of(a)
    assert [g.name for g in groups] == ["甲组", "第 1 组"]
    response = client.form(f"{url}/move", {"student_id": s2.id, "group_id": groups[1].id}, token_from=url)
    assert response.status_code == 302
    db.session.expire_all()
    assert services.submission_of(a, s2).group_id == groups[1].id
    board = client.get(f"/tasks/{a.id}").get_data(as_text=True)
    assert "甲组" in board and "第 1 组" in board and s2.full_name in board


def test_moving_is_refused_once_the_group_has_saved_something(client, login_as):
    a, course, teacher, (s1, s2, s3, s4) = _group_task(students=4, size=2)
    sub = services.submission_of(a, s1)
    inform = builders.stage(a, "inform")
    field, _name = _text_field(a, inform)
    services.save_stage(sub, inform, {field.answer_key: "资料"}, by=s1)
    other = services.submission_of(a, s3).group
    with pytest.raises(Conflict):
        services.move_member(a, s2, other)
    with pytest.raises(Conflict):
        services.move_member(a, s3, sub.group)  # into a started group either
    with pytest.raises(Conflict):
        services.form_groups_automatically(a, 3)
    db.session.commit()
    login_as(user=teacher)
    url = f"/tasks/{a.id}/groups"
    response = client.form(f"{url}/move", {"student_id": s2.id, "group_id": other.id}, token_from=url)
    assert response.status_code == 409 and "已经开始作业" in response.get_data(as_text=True)
    assert services.submission_of(a, s2).id == sub.id
    page = client.get(url).get_data(as_text=True)
    assert page.count("已开始") == 1 and "不能再自动分组" in page and "按人数自动分组" not in page


def test_moving_the_last_member_out_removes_the_empty_group(app):
    a, course, teacher, learners = _group_task(students=3, size=2)  # groups of 2 and 1
    lonely = services.submission_of(a, learners[2]).group_id
    services.move_member(a, learners[2], services.submission_of(a, learners[0]).group)
    assert [len(ms) for ms in _members(a).values()] == [3]
    assert lonely not in {g.id for g in services.groups_of(a)}


def test_bad_group_input_is_refused_with_a_clear_message(client, login_as):
    a, course, teacher, (s1, s2) = _group_task(students=2, size=2)
    with pytest.raises(ValidationError, match="每组人数"):
        services.form_groups_automatically(a, 1)
    outsider = factories.user("student", school_=course.school)
    with pytest.raises(ValidationError):
        services.create_group(a, "乙组", [outsider])
    with pytest.raises(ValidationError):
        services.create_group(a, "第 1 组", [])  # name taken
    other_task, *_rest = _group_task(students=2, size=2)
    with pytest.raises(NotFound):
        services.move_member(a, s1, services.groups_of(other_task)[0])  # a group of another task
    individual, *_rest = builders.assignment(teacher, students=1)
    db.session.commit()
    login_as(user=teacher)
    url = f"/tasks/{a.id}/groups"
    assert client.form(f"{url}/auto", {"size": "1"}, token_from=url).status_code == 400
    assert client.form(f"{url}/auto", {"size": "abc"}, token_from=url).status_code == 400
    assert client.form(f"{url}/move", {"student_id": outsider.id, "group_id": services.groups_of(a)[0].id},
                       token_from=url).status_code == 400
    assert client.form(f"{url}/move", {"student_id": s1.id, "group_id": 999999}, token_from=url).status_code == 404
    assert client.post(f"{url}/auto", data={"size": "2"}).status_code == 400  # no CSRF token
    assert client.get(f"/tasks/{individual.id}/groups").status_code == 404  # individual work has no groups


def test_students_and_other_teachers_cannot_manage_groups(app, client, login_as):
    a, course, teacher, (s1, s2) = _group_task(students=2, size=2)
    db.session.commit()
    login_as(user=s1)
    assert client.get(f"/tasks/{a.id}/groups").status_code == 403
    other = _as(app, login_as, factories.user("teacher"))
    assert other.get(f"/tasks/{a.id}/groups").status_code == 403


def test_a_learner_without_a_group_is_told_to_wait(client, login_as):
    a, course, teacher, (s1,) = builders.assignment(students=1, work_mode="group")
    db.session.commit()
    login_as(user=s1)
    page = client.get(f"/tasks/{a.id}").get_data(as_text=True)
    assert "还没有把您分到小组" in page
    assert client.form(f"/tasks/{a.id}/start", {}, token_from=f"/tasks/{a.id}").status_code == 403


# --- working together -----------------------------------------------------------------------------------------

def test_any_member_saves_the_shared_stage_and_history_says_who(app, client, login_as):
    a, course, teacher, (s1, s2, s3, s4) = _group_task(students=4, size=2)
    db.session.commit()
    sub = services.submission_of(a, s1)
    inform = builders.stage(a, "inform")
    field, name = _text_field(a, inform)
    url = _stage_url(sub, inform)
    login_as(user=s1)
    headers = {"Accept": "application/json", "X-CSRFToken": client.csrf_token(url)}
    assert client.post(url, data={name: "甲写的", "action": "draft"}, headers=headers).get_json()["saved"]
    client = _as(app, login_as, s2)
    page = client.get(url).get_data(as_text=True)
    assert "甲写的" in page  # the group's draft, autosaved by the other member
    headers = {"Accept": "application/json", "X-CSRFToken": client.csrf_token(url)}
    assert client.post(url, data={name: "乙补充的", "action": "draft"}, headers=headers).get_json()["saved"]
    entries = db.session.scalars(select(StageEntry).where(StageEntry.submission_id == sub.id)
                                 .order_by(StageEntry.id)).all()
    assert [(e.author_id, e.answers[field.answer_key]) for e in entries] == [(s1.id, "甲写的"), (s2.id, "乙补充的")]
    page = client.get(url).get_data(as_text=True)
    assert s1.full_name in page and s2.full_name in page  # the record names both


def test_a_member_of_another_group_gets_403_on_the_groups_work(client, login_as, app):
    from app.auth import services as auth

    a, course, teacher, learners = _group_task(students=6, size=2, peer_count=1)
    db.session.commit()
    sub = services.submission_of(a, learners[0])
    reviewers = set(db.session.scalars(select(PeerReview.reviewer_id).where(PeerReview.submission_id == sub.id)))
    outsider = next(u for u in learners[2:] if u.id not in reviewers)
    inform = builders.stage(a, "inform")
    _field, name = _text_field(a, inform)
    login_as(user=outsider)
    url = _stage_url(sub, inform)
    assert client.get(f"/tasks/submissions/{sub.id}").status_code == 403
    assert client.get(url).status_code == 403
    token = client.csrf_token("/tasks")
    assert client.post(url, data={name: "x", "action": "draft", "csrf_token": token}).status_code == 403
    assert client.post(f"{url}/upload", data={"csrf_token": token}).status_code == 403
    assert client.get(f"/tasks/submissions/{sub.id}/evaluate/self").status_code == 403
    _t, plain = auth.issue_api_token(outsider)
    db.session.commit()
    api = app.test_client()
    assert api.get(f"/api/tasks/submissions/{sub.id}", headers={"Authorization": f"Bearer {plain}"}).status_code == 403
    assert db.session.scalar(select(StageEntry.id).where(StageEntry.submission_id == sub.id)) is None
    # The assigned reviewer from another group may look at the work (to review it) but not change it.
    reviewer = db.session.get(type(outsider), next(iter(reviewers)))
    client = _as(app, login_as, reviewer)
    assert client.get(f"/tasks/submissions/{sub.id}").status_code == 200
    assert client.post(url, data={name: "x", "action": "draft", "csrf_token": client.csrf_token("/tasks")}
                       ).status_code == 403


def test_plan_approval_gate_applies_to_the_group(app):
    a, course, teacher, (s1, s2, s3, s4) = _group_task(students=4, size=2)
    sub, other = services.submission_of(a, s1), services.submission_of(a, s3)
    builders.walk_to(a, sub, s2, teacher, "decide")  # the second member did the first stages
    decide, implement = builders.stage(a, "decide"), builders.stage(a, "implement")
    services.save_stage(sub, decide, builders.answers_for(a, decide), by=s1, submit=True)
    assert services.states_of(sub)[implement.id].state == StageState.locked.value
    with pytest.raises(Conflict):
        services.save_stage(sub, implement, {}, by=s2)
    services.decide_stage(sub, decide, by=teacher, approve=True)
    assert services.states_of(sub)[implement.id].state == StageState.open.value
    assert services.states_of(other)[implement.id].state == StageState.locked.value  # the other group waits
    with pytest.raises(ValidationError, match="证据|照片"):  # evidence gate, per group
        services.save_stage(sub, implement, builders.answers_for(a, implement), by=s1, submit=True)


# --- evaluation and scores ------------------------------------------------------------------------------------

def test_group_scores_self_per_member_adjustment_and_gradebook(app, client, login_as):
    from app.grading import services as grading
    from app.grading.sources import get_source

    a, course, teacher, (s1, s2, s3, s4) = _group_task(
        students=4, size=2, peer_count=1, weights={"self": 20, "peer": 0, "teacher": 80, "mentor": 0})
    sub = services.submission_of(a, s1)
    services.evaluate(sub, "teacher", teacher, _full(a, 80))
    services.evaluate(sub, "self", s1, _full(a, 100))
    services.evaluate(sub, "self", s2, _full(a, 50))
    scores = services.scores_for(a, [s1.id, s2.id])
    assert scores[s1.id].final == 84.0 and scores[s2.id].final == 74.0  # 80×0.8 + own self×0.2
    member = services.get_member(sub, s2.id)
    with pytest.raises(ValidationError, match="原因"):
        services.adjust_member(member, -10, "", by=teacher)
    with pytest.raises(ValidationError):
        services.adjust_member(member, 31, "太多", by=teacher)
    services.adjust_member(member, -10, "实施环节缺席", by=teacher)
    b = services.scores_for(a, [s2.id])[s2.id]
    assert (b.base, b.final, b.adjustment_reason) == (74.0, 64.0, "实施环节缺席")
    item = grading.save_item(course, None, name="小组任务", kind="work_task", target_id=a.id, max_points=100)
    computed = get_source("work_task").compute([item], [s1.id, s2.id, s3.id])
    assert computed == {(item.id, s1.id): 84.0, (item.id, s2.id): 64.0, (item.id, s3.id): None}
    db.session.commit()

    login_as(user=s2)
    page = client.get(f"/tasks/submissions/{sub.id}").get_data(as_text=True)
    assert "64 / 100" in re.sub(r"<[^>]+>", "", page) and "实施环节缺席" in page and s1.full_name in page  # members listed
    client = _as(app, login_as, teacher)
    page = client.get(f"/tasks/submissions/{sub.id}").get_data(as_text=True)
    assert "成员得分" in page and "调整个人得分" in page
    url = f"/tasks/submissions/{sub.id}/members/{s1.id}/adjust"
    page_url = f"/tasks/submissions/{sub.id}"
    assert client.form(url, {"points": "5", "reason": ""}, token_from=page_url).status_code == 400
    assert client.form(url, {"points": "5", "reason": "主动承担"}, token_from=page_url).status_code == 302
    assert services.scores_for(a, [s1.id])[s1.id].final == 89.0
    outsider_url = f"/tasks/submissions/{sub.id}/members/{s3.id}/adjust"  # s3 is in another group
    assert client.form(outsider_url, {"points": "5", "reason": "x"}, token_from=page_url).status_code == 404
    client = _as(app, login_as, s1)
    assert client.form(url, {"points": "30", "reason": "自己加分"}, token_from=page_url).status_code == 403


def test_members_cannot_peer_review_their_own_group(client, login_as):
    a, course, teacher, (s1, s2, s3, s4) = _group_task(students=4, size=2)
    db.session.commit()
    sub = services.submission_of(a, s1)
    login_as(user=s2)
    assert client.get(f"/tasks/submissions/{sub.id}/evaluate/peer").status_code == 403
    reviewer = db.session.scalar(select(PeerReview.reviewer_id).where(PeerReview.submission_id == sub.id))
    assert reviewer in {s3.id, s4.id}


def test_a_mentor_of_one_member_sees_and_evaluates_the_group(client, login_as):
    a, course, teacher, (s1, s2, s3, s4) = _group_task(students=4, size=2)
    mentor = factories.user("mentor")
    courses.assign_mentor(course, s2, mentor)
    db.session.commit()
    login_as(user=mentor)
    mine, other = services.submission_of(a, s1), services.submission_of(a, s3)
    assert client.get(f"/tasks/submissions/{mine.id}/evaluate/mentor").status_code == 200
    assert client.get(f"/tasks/submissions/{other.id}").status_code == 403
    board = client.get(f"/tasks/{a.id}").get_data(as_text=True)
    assert mine.group.name in board and other.group.name not in board


def test_teacher_sets_group_work_in_the_form(client, login_as):
    teacher = login_as("teacher")
    builders.publish_content()
    from tests.courses import builders as course_builders

    course, learners = course_builders.course(teacher, students=5)
    db.session.commit()
    url = f"/courses/{course.id}/tasks/new"
    data = {"learning_task_id": builders.learning_task().id, "weight_self": 10, "weight_peer": 20,
            "weight_teacher": 50, "weight_mentor": 20, "missing_rule": "renormalise", "peer_count": 1,
            "peer_due_at": "2026-12-20T18:00", "criteria": services.DEFAULT_CRITERIA, "work_mode": "group",
            "group_size": 3}
    assert client.form(url, data, token_from=url).status_code == 302
    (a,) = services.assignments_of_course(course)
    assert a.is_group_work and sorted(len(ms) for ms in _members(a).values()) == [2, 3]
    assert client.form(url, {**data, "work_mode": "pairs"}, token_from=url).status_code == 200  # not a choice
    assert len(services.assignments_of_course(course)) == 1


def _group_board_queries(client, login_as, count_queries, n):
    from app.core import clock

    a, course, teacher, learners = _group_task(students=n, size=2)
    first = a.stages[0]
    first.due_at = clock.now() - timedelta(days=1)
    sub = services.submission_of(a, learners[0])
    services.save_stage(sub, first, builders.answers_for(a, first), by=learners[1], submit=True)
    db.session.commit()
    login_as(user=teacher, client_=client)
    client.get(f"/tasks/{a.id}")
    with count_queries() as q:
        page = client.get(f"/tasks/{a.id}").get_data(as_text=True)
    assert page.count("逾期：") == n // 2 - 1
    assert learners[-1].username in page  # members are listed on the group's row
    return q.count


def test_group_board_sql_statements_are_constant(client, login_as, count_queries, app):
    small = _group_board_queries(client, login_as, count_queries, 6)
    large = _group_board_queries(app.test_client(), login_as, count_queries, 40)
    assert small == large


def test_a_members_stale_autosave_does_not_overwrite_anothers_newer_draft(app, client, login_as):
    a, course, teacher, (s1, s2, s3, s4) = _group_task(students=4, size=2)
    db.session.commit()
    sub = services.submission_of(a, s1)
    inform = builders.stage(a, "inform")
    field, name = _text_field(a, inform)
    url = _stage_url(sub, inform)
    login_as(user=s1)
    assert 'name="base" id="stage-base" value="0"' in client.get(url).get_data(as_text=True)
    other = _as(app, login_as, s2)
    saved = other.post(url, data={name: "乙先保存", "action": "draft", "base": "0"},
                       headers={"Accept": "application/json", "X-CSRFToken": other.csrf_token(url)}).get_json()
    headers = {"Accept": "application/json", "X-CSRFToken": client.csrf_token("/tasks")}
    stale = client.post(url, data={name: "甲的旧页面", "action": "draft", "base": "0"}, headers=headers)
    assert stale.status_code == 409 and "其他成员刚刚保存" in stale.get_json()["error"]["message"]
    assert services.latest_answers(sub, inform)[field.answer_key] == "乙先保存"
    fresh = client.post(url, data={name: "甲在乙之后", "action": "draft", "base": str(saved["entry"])},
                        headers=headers)
    assert fresh.status_code == 200 and services.latest_answers(sub, inform)[field.answer_key] == "甲在乙之后"


def test_json_api_shows_the_group_and_each_members_score(app):
    from app.auth import services as auth

    a, course, teacher, (s1, s2, s3, s4) = _group_task(students=4, size=2, weights=TEACHER_ONLY)
    sub = services.submission_of(a, s1)
    _t, plain = auth.issue_api_token(teacher)
    db.session.commit()
    api = app.test_client()
    headers = {"Authorization": f"Bearer {plain}"}
    created = api.post(f"/api/tasks/submissions/{sub.id}/evaluations", headers=headers,
                       json={"party": "teacher", "scores": _full(a, 70)})
    assert created.status_code == 201
    members = created.get_json()["group"]["members"]
    assert {m["username"]: m["score"]["final"] for m in members} == {s1.username: 70.0, s2.username: 70.0}
    body = api.get(f"/api/tasks/submissions/{sub.id}", headers=headers).get_json()
    assert body["group"]["name"] == sub.group.name and "student" not in body
    self_eval = api.post(f"/api/tasks/submissions/{sub.id}/evaluations", headers=headers,
                         json={"party": "self", "scores": _full(a, 70)})
    assert self_eval.status_code == 403  # the teacher is not a member


def test_course_activity_and_progress_follow_the_group(app):
    a, course, teacher, (s1, s2, s3, s4) = _group_task(students=4, size=2, weights=TEACHER_ONLY)
    activity = courses.add_activity(course, kind="work_task", title="小组任务", target_id=a.id, rule={"min_score": 60})
    sub = services.submission_of(a, s1)
    inform = builders.stage(a, "inform")
    field, _name = _text_field(a, inform)
    services.save_stage(sub, inform, {field.answer_key: "甲写的"}, by=s1)
    matrix = courses.completion_matrix([activity], [s1.id, s2.id, s3.id])[activity.id]
    assert matrix[s2.id].state == matrix[s1.id].state != matrix[s3.id].state  # s2 started through the group
    services.evaluate(sub, "teacher", teacher, _full(a, 90))
    matrix = courses.completion_matrix([activity], [s1.id, s2.id, s3.id])[activity.id]
    assert matrix[s1.id].done and matrix[s2.id].done and not matrix[s3.id].done
