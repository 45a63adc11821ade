"""Questions linked to learning tasks appear in the profession's resource package, for staff only."""
from __future__ import annotations

from app.extensions import db
from app.questions import services as questions
from tests.exams import builders
from tests.workbooks import helpers as wb


def _linked_questions(count: int):
    task = wb.approved_standard_task("C3-T1")
    bank = builders.bank()
    point = questions.create_knowledge_point(bank, name="制动片更换", learning_task_id=task.id)
    for _ in range(count):
        builders.question(bank, "single_choice", knowledge_point=point)
    db.session.commit()
    return task, bank, point


def test_teachers_see_how_many_questions_serve_a_task_and_learners_do_not(client, login_as):
    task, bank, point = _linked_questions(3)
    profession = wb.profession_of(task)
    login_as("teacher")
    page = client.get(f"/professions/{profession.id}").get_data(as_text=True)
    assert "3 道题" in page and f"/questions/banks/{bank.id}?point={point.id}" in page
    coverage = client.get(f"/professions/{profession.id}/coverage").get_data(as_text=True)
    assert "试题" in coverage
    client.form("/logout", token_from="/home")
    login_as("student")
    page = client.get(f"/professions/{profession.id}").get_data(as_text=True)
    assert "道题" not in page and "/questions/banks/" not in page
