"""What the stage and evaluation pages tell each party: the teacher deciding the plan sees the plan, a classmate
who never started cannot be peer-reviewed (and is not offered), a stage handed in after its due date says 逾期提交,
and an evaluation already given is offered for viewing (查看自评), not again."""
from __future__ import annotations

from datetime import timedelta

from app.core import clock
from app.extensions import db
from app.tasks import services
from app.tasks.models import Evaluation
from tests.tasks import builders


def _full(a, percent: float) -> dict:
    return {str(c.id): c.max_points * percent / 100 for c in a.rubric.criteria}


def _form(a, percent: float) -> dict:
    return {f"c.{k}": v for k, v in _full(a, percent).items()}


def _stage_url(sub, stage) -> str:
    return f"/tasks/submissions/{sub.id}/stages/{stage.id}"


def _start(a, sub, student) -> None:
    """The student saves a first draft of the first stage."""
    first = a.stages[0]
    field = next(f for f in services.stage_fields(a, first) if f.type in ("text", "long_text"))
    services.save_stage(sub, first, {field.answer_key: "查阅了维修手册"}, by=student)


def test_teacher_deciding_the_plan_sees_what_was_handed_in_before(client, login_as):
    a, course, teacher, (student,) = builders.assignment(students=1)
    sub = services.submission_of(a, student)
    plan, decide = builders.stage(a, "plan"), builders.stage(a, "decide")
    builders.walk_to(a, sub, student, teacher, "plan")
    answers = builders.answers_for(a, plan)
    texts = [f for f in services.stage_fields(a, plan) if f.type in ("text", "long_text")]
    assert texts, "the plan stage of the demo worksheet has text fields"
    for n, f in enumerate(texts):
        answers[f.answer_key] = f"先拆卸制动钳，再更换制动片（第{n}步）"
    services.save_stage(sub, plan, answers, by=student, submit=True)
    services.save_stage(sub, decide, builders.answers_for(a, decide), by=student, submit=True)
    db.session.commit()

    login_as(user=teacher)
    page = client.get(_stage_url(sub, decide)).get_data(as_text=True)
    assert "教师审核" in page and "此前各环节提交的内容" in page
    assert plan.name in page and "先拆卸制动钳，再更换制动片（第0步）" in page
    assert texts[0].definition["label"] in page
    assert page.index("此前各环节提交的内容") < page.index("教师审核")  # read before deciding


def test_a_peer_cannot_review_a_classmate_who_never_started(app, client, login_as):
    a, course, teacher, (s1, s2) = builders.assignment(students=2, peer_count=1)
    other = services.submission_of(a, s2)
    assert services.is_peer_reviewer(other, s1)
    db.session.commit()
    login_as(user=s1)
    own = client.get(f"/tasks/submissions/{services.submission_of(a, s1).id}").get_data(as_text=True)
    assert f"/tasks/submissions/{other.id}/evaluate/peer" not in own  # not offered
    assert "这位同学还没有开始，暂不能互评" in own
    theirs = client.get(f"/tasks/submissions/{other.id}").get_data(as_text=True)
    assert "填写互评" not in theirs and f"/tasks/submissions/{other.id}/evaluate/peer" not in theirs
    url = f"/tasks/submissions/{other.id}/evaluate/peer"
    shown = client.get(url)
    assert shown.status_code == 409 and "还没有开始这个任务" in shown.get_data(as_text=True)
    assert 'name="c.' not in shown.get_data(as_text=True)  # no rubric to fill in
    refused = client.form(url, _form(a, 80), token_from="/tasks")
    assert refused.status_code == 409 and "还没有开始这个任务" in refused.get_data(as_text=True)
    token = client.csrf_token("/tasks")
    api = client.post(f"/api/tasks/submissions/{other.id}/evaluations", json={"party": "peer", "scores": _full(a, 80)},
                      headers={"X-CSRFToken": token})
    assert api.status_code == 409 and "还没有开始" in api.get_json()["error"]["message"]
    assert db.session.query(Evaluation).filter_by(submission_id=other.id).count() == 0

    _start(a, other, s2)  # the classmate starts: the review is offered and accepted
    db.session.commit()
    own = client.get(f"/tasks/submissions/{services.submission_of(a, s1).id}").get_data(as_text=True)
    assert url in own
    assert "填写互评" in client.get(f"/tasks/submissions/{other.id}").get_data(as_text=True)
    assert client.get(url).status_code == 200
    assert client.form(url, _form(a, 80), token_from=url).status_code == 302


def test_a_refused_evaluation_keeps_what_was_chosen_and_typed(client, login_as):
    """A criterion left out: the form comes back with the reason, the levels chosen and the comment typed."""
    a, course, teacher, (student,) = builders.assignment(students=1)
    sub = services.submission_of(a, student)
    db.session.commit()
    login_as(user=teacher)
    url = f"/tasks/submissions/{sub.id}/evaluate/teacher"
    first, *rest = a.rubric.criteria
    chosen = {f"c.{c.id}": c.levels[1]["points"] for c in rest}
    response = client.form(url, {**chosen, "comment": "制动片安装方向需复查"}, token_from=url)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and f"请为“{first.name}”评分" in page
    assert "制动片安装方向需复查</textarea>" in page
    for c in rest:
        assert f'id="c{c.id}-2" value="{c.levels[1]["points"]}" required checked' in page
    assert db.session.query(Evaluation).filter_by(submission_id=sub.id).count() == 0


def test_a_second_review_is_refused_on_the_page_with_the_reason(client, login_as):
    a, course, teacher, (s1, s2) = builders.assignment(students=2, peer_count=1)
    other = services.submission_of(a, s2)
    _start(a, other, s2)
    db.session.commit()
    login_as(user=s1)
    url = f"/tasks/submissions/{other.id}/evaluate/peer"
    services.evaluate(other, "peer", s1, _full(a, 60))  # e.g. sent from the phone a moment earlier
    db.session.commit()
    response = client.form(url, {**_form(a, 80), "comment": "步骤清楚"}, token_from="/tasks")
    page = response.get_data(as_text=True)
    assert response.status_code == 409 and "您已经评价过这份作业" in page and "您已提交的互评" in page


def test_a_stage_handed_in_after_its_due_date_says_late(client, login_as):
    clock.set_now(clock.now())
    a, course, teacher, (student,) = builders.assignment(students=1)
    inform, plan = builders.stage(a, "inform"), builders.stage(a, "plan")
    settings = [services.StageSetting(id=s.id, name=s.name, due_at={
        inform.id: clock.now() - timedelta(hours=1), plan.id: clock.now() + timedelta(days=1)}.get(s.id),
        requires_approval=s.requires_approval, requires_evidence=s.requires_evidence) for s in a.stages]
    services.update_stages(a, settings)
    sub = services.submission_of(a, student)
    services.save_stage(sub, inform, builders.answers_for(a, inform), by=student, submit=True)  # an hour late
    services.save_stage(sub, plan, builders.answers_for(a, plan), by=student, submit=True)  # in time
    db.session.commit()
    late = '<span class="badge text-bg-danger">逾期提交</span>'
    login_as(user=student)
    page = client.get(f"/tasks/submissions/{sub.id}").get_data(as_text=True)
    assert page.count(late) == 1 and "已提交" in page  # the plan, in time, still says 已提交
    assert late in client.get(_stage_url(sub, inform)).get_data(as_text=True)
    assert late not in client.get(_stage_url(sub, plan)).get_data(as_text=True)
    client.form("/logout", token_from="/home")
    login_as(user=teacher)
    assert client.get(f"/tasks/{a.id}").get_data(as_text=True).count(late) == 1  # the board


def test_an_evaluation_given_is_offered_for_viewing_not_again(client, login_as):
    a, course, teacher, (student,) = builders.assignment(students=1)
    sub = services.submission_of(a, student)
    db.session.commit()
    login_as(user=student)
    url = f"/tasks/submissions/{sub.id}"
    page = client.get(url).get_data(as_text=True)
    assert "填写自评" in page and "查看自评" not in page
    evaluate = f"{url}/evaluate/self"
    assert client.form(evaluate, {**_form(a, 80), "comment": "按手册完成"}, token_from=evaluate).status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "查看自评" in page and "填写自评" not in page
    shown = client.get(evaluate).get_data(as_text=True)
    assert "您已提交的自评" in shown and "按手册完成" in shown and "80%" in shown and 'name="c.' not in shown
    again = client.form(evaluate, _form(a, 100), token_from=evaluate)
    assert again.status_code == 409 and "您已经评价过这份作业" in again.get_data(as_text=True)
