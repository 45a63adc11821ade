"""Learners only ever get approved question versions (凡编必审): draws, fixed papers and new attempts use a
question's newest APPROVED version; started attempts keep the version they showed."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.errors import Conflict, ValidationError
from app.exams import services
from app.exams.models import AttemptItem
from app.extensions import db
from app.review import services as review
from tests import factories
from tests.exams import builders

KEY_A = {"options": [{"text": "扭力扳手", "fraction": 1}, {"text": "锤子"}]}
KEY_B = {"options": [{"text": "扭力扳手"}, {"text": "锤子", "fraction": 1}]}


def _shown_version(attempt) -> int:
    return db.session.scalar(select(AttemptItem.question_version_id).where(AttemptItem.attempt_id == attempt.id))


def test_a_question_without_an_approved_version_cannot_go_on_a_paper():
    bank = builders.bank()
    waiting = builders.question(bank, approved=False)
    paper = services.create_paper(title="卷")
    with pytest.raises(ValidationError) as err:
        services.add_paper_question(paper, waiting, 2)
    assert "还没有通过审核的版本" in err.value.message
    builders.approve(waiting.current_version)
    assert services.add_paper_question(paper, waiting, 2).question_id == waiting.id


def test_rule_shortfall_says_how_many_questions_still_await_review():
    bank = builders.bank()
    builders.question(bank, "true_false")
    for _ in range(3):
        builders.question(bank, "true_false", approved=False)
    paper = services.create_paper(title="卷")
    with pytest.raises(ValidationError) as err:
        services.add_paper_rule(paper, bank=bank, qtype="true_false", count=3, points=1)
    assert "只有 1 道符合条件并已通过审核" in err.value.message and "还缺 2 道" in err.value.message
    assert "另有 3 道符合条件的新题正在等待审核" in err.value.message


def test_draws_use_the_newest_approved_version_and_started_attempts_keep_theirs():
    bank = builders.bank()
    question = builders.question(bank, data=KEY_A)
    first = question.current_version
    paper = services.create_paper(title="卷")
    services.add_paper_rule(paper, bank=bank, qtype="single_choice", count=1, points=2)
    exam = services.create_exam(paper=paper, title="测验", time_limit_minutes=30, max_attempts=3)
    early, late = factories.user("student"), factories.user("student")
    services.grant_access(exam, early)
    services.grant_access(exam, late)
    started, _ = services.start_attempt(exam, early)
    second = builders.new_version(question, KEY_B, approved=False)
    # The edit waits for review: a new attempt still gets the approved first version.
    waiting_attempt, _ = services.start_attempt(exam, late)
    assert _shown_version(waiting_attempt) == first.id
    services.close_attempt(waiting_attempt.id, closed_by="student", user_id=late.id)
    builders.approve(second)
    after, _ = services.start_attempt(exam, late)
    assert after.id != waiting_attempt.id and _shown_version(after) == second.id
    assert _shown_version(started) == first.id


def test_rule_difficulty_is_that_of_the_approved_version():
    bank = builders.bank()
    question = builders.question(bank, difficulty=2)
    current = question.current_version
    from app.questions import services as questions

    harder = questions.prepare_fields("single_choice", text=current.text, data=current.data, name=current.name,
                                      points=current.points, difficulty=5)
    questions.edit_question(question, harder)  # waits for review
    paper = services.create_paper(title="卷")
    assert services.add_paper_rule(paper, bank=bank, difficulty=2, count=1, points=1).id
    with pytest.raises(ValidationError):
        services.add_paper_rule(services.create_paper(title="卷2"), bank=bank, difficulty=5, count=1, points=1)


def test_a_fixed_question_unpublished_after_the_paper_was_built_stops_new_attempts():
    bank = builders.bank()
    question = builders.question(bank)
    student = factories.user("student")
    exam = builders.fixed_exam([question], students=[student])
    review.withdraw(question.current_version, builders.reviewer(), "答案有误")
    problems = services.paper_problems(exam.paper)
    assert any(f"“{question.name}”" in p and "没有通过审核的版本" in p for p in problems)
    with pytest.raises(Conflict) as err:
        services.start_attempt(exam, student)
    assert "没有通过审核的版本" in err.value.message


def test_regrade_uses_the_approved_correction_only():
    bank = builders.bank()
    question = builders.question(bank, data=KEY_A)
    student = factories.user("student")
    exam = builders.fixed_exam([question], students=[student], shuffle_options=False)
    attempt, _ = services.start_attempt(exam, student)
    services.store_response(services.load_save_target(attempt.id, 1, student.id), "A", 1)
    services.close_attempt(attempt.id, closed_by="student", user_id=student.id)
    correction = builders.new_version(question, KEY_B, approved=False)
    teacher = factories.user("teacher")
    assert services.regrade_question(exam, question, actor=teacher) == 0  # the correction waits for review
    builders.approve(correction)
    assert services.regrade_question(exam, question, actor=teacher) == 1


def test_teacher_building_an_exam_is_told_how_many_questions_await_review(client, login_as):
    login_as("teacher")
    bank = builders.bank()
    builders.question(bank)
    for _ in range(4):
        builders.question(bank, approved=False)
    db.session.commit()
    short = client.form("/exams/new", {"title": "月考", "bank_id": bank.id, "draw_single_choice": 3, "points": 2,
                                       "max_attempts": 1, "pass_percent": 60, "multi_scoring": "all_or_nothing",
                                       "time_limit_minutes": 30}, token_from="/exams/new")
    body = short.get_data(as_text=True)
    assert short.status_code == 200
    assert "只有 1 道符合条件并已通过审核，还缺 2 道" in body and "另有 4 道符合条件的新题正在等待审核" in body
