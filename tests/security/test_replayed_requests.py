"""Requests sent twice or at the same moment (a double click, a replay, two teachers) take effect once: the
first wins and the others are refused (409) without leaving a second record. Real threads against a real
database (tests/core/test_write_concurrency.py), on SQLite and, under scripts/with_postgres.py, PostgreSQL."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from tests.core.test_write_concurrency import _bearer, _in_app, _together, live  # noqa: F401 - the fixture

N = 20


def test_twenty_simultaneous_decisions_on_one_stage_record_exactly_one(live):  # noqa: F811
    from app.tasks import services
    from app.tasks.models import StageEntry
    from tests.tasks import builders

    def make():
        a, _course, teacher, (student,) = builders.assignment(students=1, peer_count=0)
        sub = services.submission_of(a, student)
        stage = next(s for s in a.stages if s.requires_approval)
        builders.walk_to(a, sub, student, teacher, stage.key)
        services.save_stage(sub, stage, builders.answers_for(a, stage), by=student, submit=True)
        db.session.commit()
        return teacher.id, sub.id, stage.id

    teacher_id, sub_id, stage_id = _in_app(live, make)
    headers = _bearer(live, teacher_id)

    def decide(i):
        data = {"action": "approve"} if i % 2 else {"action": "return", "comment": f"第{i}次：请补充测量数据"}
        return live.test_client().post(f"/tasks/submissions/{sub_id}/stages/{stage_id}/decide", data=data,
                                       headers=headers).status_code

    results = _together(decide, N)
    assert sorted(results) == [302] + [409] * (N - 1), results
    decisions = _in_app(live, lambda: db.session.scalars(select(StageEntry.kind).where(
        StageEntry.submission_id == sub_id, StageEntry.stage_id == stage_id,
        StageEntry.kind.in_(["approve", "return"]))).all())
    assert len(decisions) == 1, decisions



def test_twenty_copies_of_one_evaluation_sent_at_once_give_one_record_and_409s(live):  # noqa: F811
    """A double click on 提交评价 (or a replayed request) never answers 500: the copies that lose are 409."""
    from app.tasks import services
    from app.tasks.models import Evaluation
    from tests.tasks import builders

    def make():
        a, _course, teacher, (student,) = builders.assignment(students=1, peer_count=0)
        sub = services.submission_of(a, student)
        scores = {str(c.id): c.max_points for c in a.rubric.criteria}
        db.session.commit()
        return teacher.id, sub.id, scores

    teacher_id, sub_id, scores = _in_app(live, make)
    headers = _bearer(live, teacher_id)

    def evaluate(_i):
        return live.test_client().post(f"/api/tasks/submissions/{sub_id}/evaluations", headers=headers,
                                       json={"party": "teacher", "scores": scores}).status_code

    results = _together(evaluate, N)
    assert sorted(results) == [201] + [409] * (N - 1), results
    assert _in_app(live, lambda: len(db.session.scalars(select(Evaluation.id).where(
        Evaluation.submission_id == sub_id)).all())) == 1


def test_twenty_simultaneous_approvals_of_one_version_publish_it_once(live):  # noqa: F811
    from app.review import services as review
    from app.review.models import ReviewRecord
    from app.workbooks.review import KIND
    from tests import factories
    from tests.workbooks import helpers

    def make():
        author, reviewer = factories.user("teacher"), factories.user("reviewer")
        version = helpers.page(helpers.workbook(author), author)
        review.submit(version, author)
        db.session.commit()
        return reviewer.id, version.id

    reviewer_id, version_id = _in_app(live, make)
    headers = _bearer(live, reviewer_id)

    def approve(i):
        return live.test_client().post(f"/review/{KIND}/{version_id}/approve", data={"comment": f"通过{i}"},
                                       headers=headers).status_code

    results = _together(approve, N)
    assert sorted(results) == [302] + [409] * (N - 1), results
    approvals = _in_app(live, lambda: db.session.scalars(select(ReviewRecord.id).where(
        ReviewRecord.kind == KIND, ReviewRecord.object_id == version_id, ReviewRecord.to_state == "approved")).all())
    assert len(approvals) == 1
