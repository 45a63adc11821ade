"""Setting a work task: pinned worksheet versions, default six-step stages with gates, weights, peer reviewers."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.tasks import services
from app.tasks.models import PeerReview, TaskSubmission
from tests.tasks import builders


def test_assignment_pins_versions_and_copies_six_steps(app):
    a, course, teacher, learners = builders.assignment(students=3)
    assert [s.key for s in a.stages] == ["inform", "plan", "decide", "implement", "check", "evaluate"]
    assert builders.stage(a, "decide").requires_approval and builders.stage(a, "implement").requires_evidence
    assert a.page_version_ids, "the approved workbook pages of C3-T1 are pinned"
    fields = services.pinned_fields(a)
    assert {"inform", "plan", "implement"} <= set(fields)
    assert any(f.type == "photo" for f in fields["check"])  # a field's own stage wins over its page's
    subs = db.session.scalars(select(TaskSubmission).where(TaskSubmission.assignment_id == a.id)).all()
    assert len(subs) == 3


def test_pinned_versions_do_not_follow_later_page_revisions(app):
    from app.workbooks import services as workbooks
    from app.workbooks.models import PageVersion

    a, *_ = builders.assignment(students=1)
    pinned = list(a.page_version_ids)
    page = db.session.get(PageVersion, pinned[0]).page
    workbooks.save_version(page, author=None, title="新版", source="```worksheet\n- {key: x, type: text, label: X}\n```",
                           change_note="改", effective_date=page.current_version.effective_date, stage=page.stage,
                           learning_task=None)
    db.session.flush()
    assert services.get_assignment(a.id).page_version_ids == pinned


def test_peer_reviewers_are_round_robin_and_never_oneself(app):
    a, course, teacher, learners = builders.assignment(students=4, peer_count=2)
    pairs = db.session.execute(select(TaskSubmission.student_id, PeerReview.reviewer_id).join(
        PeerReview, PeerReview.submission_id == TaskSubmission.id).where(PeerReview.assignment_id == a.id)).all()
    assert len(pairs) == 8
    assert all(student != reviewer for student, reviewer in pairs)
    for learner in learners:
        assert sum(1 for s, _r in pairs if s == learner.id) == 2
        assert sum(1 for _s, r in pairs if r == learner.id) == 2
    assert services.assign_peers(a) == 0  # idempotent


def test_weights_must_add_up_to_100_in_the_form(client, login_as):
    teacher = login_as("teacher")
    builders.publish_content()
    from tests.courses import builders as course_builders

    course, _ = course_builders.course(teacher, students=1)
    db.session.commit()
    url = f"/courses/{course.id}/tasks/new"
    data = {"learning_task_id": builders.learning_task().id, "weight_self": 10, "weight_peer": 20,
            "weight_teacher": 50, "weight_mentor": 30, "missing_rule": "renormalise", "peer_count": 1,
            "peer_due_at": "2026-12-20T18:00", "criteria": services.DEFAULT_CRITERIA}
    response = client.form(url, data, token_from=url)
    assert response.status_code == 400
    assert "权重之和必须是 100，现在是 110" in response.get_data(as_text=True)
    assert services.assignments_of_course(course) == []
    data["weight_mentor"] = 20
    response = client.form(url, data, token_from=url)
    assert response.status_code == 302
    assert len(services.assignments_of_course(course)) == 1


def test_weighted_peer_review_needs_a_deadline_in_the_form(client, login_as):
    """Nobody waits for ever for a missing peer: with a peer weight the form asks for the peer deadline."""
    teacher = login_as("teacher")
    builders.publish_content()
    from tests.courses import builders as course_builders

    course, _ = course_builders.course(teacher, students=2)
    db.session.commit()
    url = f"/courses/{course.id}/tasks/new"
    data = {"learning_task_id": builders.learning_task().id, "weight_self": 10, "weight_peer": 20,
            "weight_teacher": 50, "weight_mentor": 20, "missing_rule": "renormalise", "peer_count": 1,
            "criteria": services.DEFAULT_CRITERIA}
    response = client.form(url, data, token_from=url)
    assert response.status_code == 200 and "须填写互评截止时间" in response.get_data(as_text=True)
    assert services.assignments_of_course(course) == []
    no_peers = {**data, "weight_peer": 0, "weight_teacher": 70}
    assert client.form(url, no_peers, token_from=url).status_code == 302  # no peers: nothing to wait for
    assert client.form(url, {**data, "peer_due_at": "2026-12-20T18:00"}, token_from=url).status_code == 302
    assert [a.peer_due_at is not None for a in services.assignments_of_course(course)] in ([False, True],
                                                                                           [True, False])


def test_stage_editor_sets_due_dates_and_adds_a_stage(client, login_as):
    teacher = login_as("teacher")
    a, *_ = builders.assignment(teacher, students=1)
    db.session.commit()
    url = f"/tasks/{a.id}/stages"
    data = {f"name-{s.id}": s.name for s in a.stages}
    first = a.stages[0]
    data.update({f"due-{first.id}": "2026-12-01T18:00", "name-new": "交车讲解", "evidence-new": "1"})
    assert client.form(url, data, token_from=url).status_code == 302
    db.session.expire_all()
    a = services.get_assignment(a.id)
    assert a.stages[-1].name == "交车讲解" and a.stages[-1].requires_evidence
    assert a.stages[0].due_at.hour == 10  # 18:00 in China is 10:00 UTC
    assert not builders.stage(a, "decide").requires_approval  # unchecked box: gate removed


def test_bad_rubric_and_weights_are_clear_errors(app):
    import pytest

    from app.errors import ValidationError

    with pytest.raises(ValidationError, match="现在是 90"):
        services.check_weights({"self": 10, "peer": 10, "teacher": 50, "mentor": 20})
    with pytest.raises(ValidationError, match="第 2 行"):
        services.parse_criteria("质量 | 50\n规范")
    assert services.parse_criteria("质量 | 20 | 优=20, 差=5")[0]["levels"] == [
        {"label": "优", "points": 20.0}, {"label": "差", "points": 5.0}]
