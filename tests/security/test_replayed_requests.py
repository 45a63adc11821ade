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


def test_twenty_edits_of_one_grade_from_the_same_version_keep_exactly_one(live):  # noqa: F811
    """The gradebook's optimistic lock holds under concurrency: of twenty teachers' edits made from the same
    version one is saved and the others are told it changed (409), instead of each silently overwriting."""
    from app.grading import services as grading
    from tests import factories
    from tests.courses import builders as courses

    def make():
        teacher = factories.user("teacher")
        course, (student,) = courses.course(teacher, students=1)
        item = grading.save_item(course, None, name="实操考核", max_points=100)
        grading.set_manual_grade(course, item, student.id, "50", by=teacher, expected_version=0)
        db.session.commit()
        return teacher.id, course.id, student.id, item.id

    teacher_id, course_id, student_id, item_id = _in_app(live, make)
    headers = _bearer(live, teacher_id)
    url = f"/api/courses/{course_id}/grades/{item_id}/{student_id}"

    def edit(i):
        response = live.test_client().put(url, json={"value": str(60 + i), "version": 1}, headers=headers)
        return response.status_code, (response.get_json() or {}).get("value")

    results = _together(edit, N)
    assert sorted(status for status, _v in results) == [200] + [409] * (N - 1), results
    saved = next(value for status, value in results if status == 200)
    final = live.test_client().get(url, headers=headers).get_json()
    assert final["value"] == saved and final["version"] == 2
