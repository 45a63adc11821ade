"""What exam pages print: counts and scores as a person writes them, never Python text."""
from __future__ import annotations

from app.exams import services
from app.extensions import db
from tests import factories
from tests.exams import builders


def _finished_exam(teacher, students, qtypes=("single_choice", "true_false"), *, points=2.0, **fields):
    bank = builders.bank()
    questions = [builders.question(bank, t) for t in qtypes]
    exam = builders.fixed_exam(questions, students=students, creator=teacher, points=points, **fields)
    attempts = []
    for student in students:
        attempt, _ = services.start_attempt(exam, student)
        services.store_response(services.load_save_target(attempt.id, 1, student.id), "A", 1)
        services.close_attempt(attempt.id, closed_by="student", user_id=student.id)
        attempts.append(attempt)
    db.session.commit()
    return exam, questions, attempts


def test_regrade_page_counts_answer_sheets_per_question(client, login_as):
    teacher = login_as("teacher")
    students = [factories.user("student", school_=teacher.school) for _ in range(3)]
    exam, _questions, _attempts = _finished_exam(teacher, students)
    page = client.get(f"/exams/{exam.id}/regrade")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<built-in" not in body and "<bound method" not in body
    assert body.count('<td data-testid="attempt-count">3</td>') == 2
