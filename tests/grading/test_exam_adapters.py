"""The exam activity kind and the exam grade source, against the real exams domain."""
from __future__ import annotations

from sqlalchemy import select

from app.courses import services as courses
from app.courses.activities import KINDS
from app.exams import services as exams
from app.extensions import db
from app.grading import services
from app.grading.models import FinalGrade, Grade
from tests import factories
from tests.courses import builders
from tests.exams import builders as exam_builders


def _exam_with_attempts(teacher, answers):
    """A one-question exam (5 points, pass 60%); each student answers (None = starts but does not submit)."""
    bank = exam_builders.bank()
    question = exam_builders.question(bank, "single_choice")
    students = [factories.user("student", school_=teacher.school) for _ in answers]
    exam = exam_builders.fixed_exam([question], students=students, creator=teacher, points=5)
    for student, answer in zip(students, answers):
        if answer == "absent":
            continue
        attempt, _ = exams.start_attempt(exam, student)
        if answer is not None:
            exams.store_response(exams.load_save_target(attempt.id, 1, student.id), answer, 1)
            exams.close_attempt(attempt.id, closed_by="student", user_id=student.id)
    return exam, students


def test_exam_activity_completion_submitted_or_passed(app):
    assert "exam" in KINDS  # the adapter loads because the exams domain is installed
    teacher = factories.user("teacher")
    exam, (right, wrong, started, absent) = _exam_with_attempts(teacher, ["A", "B", None, "absent"])
    course, _ = builders.course(teacher)
    courses.enrol_users(course, [right, wrong, started, absent])
    submitted = courses.add_activity(course, kind="exam", title="期中考试（提交即完成）", target_id=exam.id,
                                     rule={"require": "submitted"})
    passed = courses.add_activity(course, kind="exam", title="期中考试（通过才完成）", target_id=exam.id,
                                  rule={"require": "passed"})
    ids = [right.id, wrong.id, started.id, absent.id]
    with app.test_request_context():
        matrix = courses.completion_matrix([submitted, passed], ids)
    assert [matrix[submitted.id][u].state.value for u in ids] == ["complete", "complete", "in_progress", "not_started"]
    assert [matrix[passed.id][u].state.value for u in ids] == ["complete", "in_progress", "in_progress", "not_started"]
    assert (exam.id, exam.title) in KINDS["exam"].targets(course)


def test_exam_grade_item_is_computed_from_the_best_graded_attempt(app):
    teacher = factories.user("teacher")
    exam, (right, wrong, absent) = _exam_with_attempts(teacher, ["A", "B", "absent"])
    course, _ = builders.course(teacher)
    courses.enrol_users(course, [right, wrong, absent])
    item = services.save_item(course, None, name="理论考试", kind="exam", target_id=exam.id, max_points=100)
    with app.test_request_context():
        services.recompute_finals(course)
    grades = {g.user_id: g for g in db.session.scalars(select(Grade).where(Grade.item_id == item.id))}
    assert grades[right.id].value == 100.0 and grades[right.id].source == f"exam:{exam.id}"
    assert grades[wrong.id].value == 0.0 and absent.id not in grades
    finals = {f.user_id: f.status for f in db.session.scalars(select(FinalGrade).where(
        FinalGrade.course_id == course.id))}
    assert finals == {right.id: "passed", wrong.id: "failed", absent.id: "pending"}


def test_a_results_changed_signal_updates_the_gradebook(app):
    """Producers (exams, tasks) send core.signals.results_changed; grading recomputes the affected courses."""
    from app.core.signals import results_changed

    teacher = factories.user("teacher")
    exam, (student,) = _exam_with_attempts(teacher, ["absent"])
    course, _ = builders.course(teacher)
    courses.enrol_users(course, [student])
    item = services.save_item(course, None, name="理论考试", kind="exam", target_id=exam.id, max_points=50)
    with app.test_request_context():
        services.recompute_finals(course)
        assert db.session.scalar(select(Grade).where(Grade.item_id == item.id)) is None
        attempt, _ = exams.start_attempt(exam, student)
        exams.store_response(exams.load_save_target(attempt.id, 1, student.id), "A", 1)
        exams.close_attempt(attempt.id, closed_by="student", user_id=student.id)
        results_changed.send("exam", target_id=exam.id, user_ids=[student.id])
    assert db.session.scalar(select(Grade.value).where(Grade.item_id == item.id)) == 50.0
    final = db.session.scalar(select(FinalGrade).where(FinalGrade.user_id == student.id))
    assert (final.value, final.status) == (100.0, "passed")


def test_submitting_an_exam_updates_the_gradebook_by_itself(app):
    """The exams domain sends results_changed when it grades an attempt; nobody has to press 重新计算总评."""
    teacher = factories.user("teacher")
    exam, (student,) = _exam_with_attempts(teacher, ["absent"])
    course, _ = builders.course(teacher)
    courses.enrol_users(course, [student])
    item = services.save_item(course, None, name="理论考试", kind="exam", target_id=exam.id, max_points=50)
    with app.test_request_context():
        services.recompute_finals(course)
        attempt, _ = exams.start_attempt(exam, student)
        exams.store_response(exams.load_save_target(attempt.id, 1, student.id), "A", 1)
        exams.close_attempt(attempt.id, closed_by="student", user_id=student.id)
    assert db.session.scalar(select(Grade.value).where(Grade.item_id == item.id)) == 50.0
