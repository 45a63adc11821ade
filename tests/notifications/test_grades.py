"""成绩公布: a released gradebook item and an exam result the review policy shows reach the learner, and only
then; a learner removed from the course (or whose exam access was withdrawn) gets nothing."""
from __future__ import annotations

from sqlalchemy import select

from app.courses import services as courses
from app.exams import services as exams
from app.extensions import db
from app.grading import services as grading
from app.notifications.models import Notification
from tests import factories
from tests.courses import builders as course_builders
from tests.exams import builders as exam_builders


def _mine(user, kind=None):
    stmt = select(Notification).where(Notification.recipient_id == user.id)
    if kind:
        stmt = stmt.where(Notification.kind == kind)
    return list(db.session.scalars(stmt.order_by(Notification.id)))


def _take(exam, student, answer="A"):
    attempt, _ = exams.start_attempt(exam, student)
    exams.store_response(exams.load_save_target(attempt.id, 1, student.id), answer, 1)
    exams.close_attempt(attempt.id, closed_by="student", user_id=student.id)
    return attempt


def test_releasing_a_hidden_grade_item_tells_the_graded_learners_once_not_one_who_left(app):
    teacher = factories.user("teacher")
    course, (stays, leaves, ungraded) = course_builders.course(teacher, students=3)
    item = grading.save_item(course, None, name="实操考核", max_points=100, hidden=True)
    for learner in (stays, leaves):
        grading.set_manual_grade(course, item, learner.id, 80, by=teacher, expected_version=0)
    assert _mine(stays, "grading.released") == []  # hidden: nothing yet
    courses.unenrol(next(e for e in courses.participants(course) if e.user_id == leaves.id))
    with app.test_request_context():
        grading.set_hidden(item, False)
    [note] = _mine(stays, "grading.released")
    assert "实操考核" in note.title and note.url == f"/courses/{course.id}/grades"
    assert _mine(leaves, "grading.released") == [] and _mine(ungraded, "grading.released") == []
    # hiding and editing a visible item tells nobody again; releasing through the item form does
    with app.test_request_context():
        grading.save_item(course, item, name="实操考核", max_points=100, hidden=False)
        grading.set_hidden(item, True)
        assert len(_mine(stays, "grading.released")) == 1
        grading.save_item(course, item, name="实操考核", max_points=100, hidden=False)
    assert len(_mine(stays, "grading.released")) == 2


def test_exam_result_is_announced_when_the_policy_shows_points_now():
    bank = exam_builders.bank()
    q = exam_builders.question(bank, "single_choice")
    shown, later = factories.user("student"), factories.user("student")
    now_exam = exam_builders.fixed_exam([q], students=[shown], review_policy={"immediately": ["points"]})
    later_exam = exam_builders.fixed_exam([q], students=[later], review_policy={
        "immediately": ["responses"], "open": ["responses"], "closed": ["responses", "points"]})
    _take(now_exam, shown)
    _take(later_exam, later)
    [note] = _mine(shown, "exams.results")
    assert now_exam.title in note.title and note.url == "/my/exams"
    assert _mine(later, "exams.results") == []  # the policy shows the score only after the exam closes


def test_exam_result_of_a_hand_graded_answer_waits_for_the_mark_and_skips_withdrawn_access():
    teacher = factories.user("teacher")
    bank = exam_builders.bank()
    essay = exam_builders.question(bank, "essay")
    student, withdrawn = factories.user("student"), factories.user("student")
    exam = exam_builders.fixed_exam([essay], students=[student, withdrawn], creator=teacher,
                                    review_policy={"open": ["points"], "immediately": ["points"]})
    attempts = {}
    for s in (student, withdrawn):
        attempt, _ = exams.start_attempt(exam, s)
        exams.store_response(exams.load_save_target(attempt.id, 1, s.id), {"text": "先断电", "files": []}, 1)
        exams.close_attempt(attempt.id, closed_by="student", user_id=s.id)
        attempts[s.id] = attempt
    assert _mine(student, "exams.results") == []  # waiting for the teacher's mark
    exams.revoke_access(exam, withdrawn.id)
    for s in (student, withdrawn):
        [item] = [i for i in attempts[s.id].items if i.needs_manual]
        exams.grade_manually(item, score=1.5, grader=teacher)
    assert len(_mine(student, "exams.results")) == 1
    assert _mine(withdrawn, "exams.results") == []


def test_exam_result_shown_only_after_close_is_announced_when_the_exam_closes_once(app):
    """A policy that shows points only once the exam closes: nothing at grading, one notice from the scheduler
    after the window ends (however often it runs), and none again for a result already announced at once."""
    from datetime import datetime, timedelta, timezone

    from app.core import clock
    from app.core.schedule import run_due

    start = datetime(2026, 5, 11, 1, 0, tzinfo=timezone.utc)
    clock.set_now(start)
    try:
        bank = exam_builders.bank()
        q = exam_builders.question(bank, "single_choice")
        later, shown = factories.user("student"), factories.user("student")
        closes = start + timedelta(hours=3)
        later_exam = exam_builders.fixed_exam([q], students=[later], opens_at=start, closes_at=closes, review_policy={
            "immediately": ["responses"], "open": ["responses"], "closed": ["responses", "points"]})
        now_exam = exam_builders.fixed_exam([q], students=[shown], opens_at=start, closes_at=closes,
                                            review_policy={"immediately": ["points"], "closed": ["points"]})
        _take(later_exam, later)
        _take(now_exam, shown)
        assert _mine(later, "exams.results") == [] and len(_mine(shown, "exams.results")) == 1
        with app.test_request_context():
            run_due(start + timedelta(hours=1))  # still open: nothing
        assert _mine(later, "exams.results") == []
        clock.set_now(closes + timedelta(minutes=5))
        with app.test_request_context():
            run_due(closes + timedelta(minutes=5))
            run_due(closes + timedelta(minutes=6))
        [note] = _mine(later, "exams.results")
        assert later_exam.title in note.title
        assert len(_mine(shown, "exams.results")) == 1  # announced at grading already: not twice
    finally:
        clock.set_now(None)
