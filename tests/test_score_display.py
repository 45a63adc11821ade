"""Scores, points, weights and percentages are shown as a person writes them: at most two decimals.

The class of defect: a page printing a float as Python holds it (27.666666666666668) or with six significant
digits (28.3333). Every page that shows a score is rendered with scores that are thirds, and its visible text must
hold no number with more than two decimals. Exports keep numbers (they are not checked here).
"""
from __future__ import annotations

import re

from app.courses import services as courses
from app.exams import services as exams
from app.extensions import db
from app.grading import services as grading
from app.tasks import services as tasks
from tests import factories
from tests.exams import builders as exam_builders
from tests.tasks import builders as task_builders

TOO_PRECISE = re.compile(r"\d\.\d{3,}")


def visible_text(html: str) -> str:
    """The text a reader sees: no scripts, styles, tags or attribute values."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S | re.I)
    return re.sub(r"<[^>]+>", " ", html)


def assert_scores_rounded(client, url: str, *must_show: str) -> str:
    response = client.get(url)
    body = response.get_data(as_text=True)
    assert response.status_code == 200, (url, body[:1500])
    text = visible_text(body)
    found = TOO_PRECISE.search(text)
    assert found is None, (url, text[max(0, found.start() - 200):found.end() + 50])
    for shown in must_show:
        assert shown in text, (url, shown)
    return text


def test_exam_and_gradebook_pages_show_at_most_two_decimals(app, client, login_as):
    teacher = factories.user("teacher")
    student = factories.user("student", school_=teacher.school)
    bank = exam_builders.bank()
    choice, essay = exam_builders.question(bank, "single_choice"), exam_builders.question(bank, "essay")
    exam = exam_builders.fixed_exam([choice, essay], students=[student], creator=teacher, points=10,
                                    review_policy={m: ["responses", "points", "correctness"] for m in
                                                   ("immediately", "open", "closed")})
    attempt, _ = exams.start_attempt(exam, student)
    exams.store_response(exams.load_save_target(attempt.id, 1, student.id), "A", 1)
    exams.store_response(exams.load_save_target(attempt.id, 2, student.id), {"text": "先断电", "files": []}, 1)
    exams.close_attempt(attempt.id, closed_by="student", user_id=student.id)
    exams.grade_manually(exams.get_attempt(attempt.id).items[1], score=10 / 3, comment="", grader=teacher)
    course, _ = task_builders_course(teacher, student)
    exam_item = grading.save_item(course, None, name="理论考试", kind="exam", target_id=exam.id, max_points=100)
    practical = grading.save_item(course, None, name="实操", max_points=30)
    grading.set_manual_grade(course, practical, student.id, 10, by=teacher, expected_version=0)
    with app.test_request_context():
        grading.recompute_finals(course)
    db.session.commit()
    assert exams.get_attempt(attempt.id).score == 10 + 10 / 3

    login_as(user=student)
    assert_scores_rounded(client, f"/attempts/{attempt.id}", "13.33 / 20", "3.33")
    assert_scores_rounded(client, f"/courses/{course.id}/grades", "66.67")
    assert_scores_rounded(client, "/transcript")
    login_as(user=teacher, client_=(client := app.test_client()))
    for url in (f"/attempts/{attempt.id}", f"/exams/{exam.id}", f"/exams/{exam.id}/grading?graded=1",
                f"/exams/{exam.id}/report", f"/courses/{course.id}/gradebook", f"/courses/{course.id}/gradebook/setup",
                f"/courses/{course.id}/gradebook/grades/{exam_item.id}/{student.id}"):
        assert_scores_rounded(client, url)
    assert "13.33" in visible_text(client.get(f"/exams/{exam.id}").get_data(as_text=True))


def task_builders_course(teacher, student):
    from tests.courses import builders

    course, _ = builders.course(teacher)
    courses.enrol_users(course, [student])
    return course, None


def test_task_score_pages_show_at_most_two_decimals(app, client, login_as):
    a, _course, teacher, (s1, _s2) = task_builders.assignment(students=2, peer_count=1)
    sub = tasks.submission_of(a, s1)
    third = {str(c.id): c.max_points / 3 for c in a.rubric.criteria}
    tasks.evaluate(sub, "self", s1, third)
    tasks.evaluate(sub, "teacher", teacher, third)
    db.session.commit()
    login_as(user=s1)
    assert_scores_rounded(client, f"/tasks/submissions/{sub.id}", "33.33")
    login_as(user=teacher, client_=(client := app.test_client()))
    assert_scores_rounded(client, f"/tasks/submissions/{sub.id}", "33.33")
    assert_scores_rounded(client, f"/tasks/{a.id}")
