"""Editing an exam: review options and draw rules change freely until the first attempt, and are refused after it
with the reason on the same form and what was typed kept; other settings stay editable."""
from __future__ import annotations

import re

from app.exams import services
from app.extensions import db
from tests import factories
from tests.exams import builders


def _rule_exam(teacher, students=()):
    bank = builders.bank()
    for _ in range(4):
        builders.question(bank, "single_choice")
    for _ in range(2):
        builders.question(bank, "true_false")
    paper = services.create_paper(title="月考", school_id=teacher.school_id, creator=teacher)
    services.add_paper_rule(paper, bank=bank, qtype="single_choice", count=3, points=2)
    exam = services.create_exam(paper=paper, title="月考", creator=teacher, school_id=teacher.school_id,
                                time_limit_minutes=30)
    for s in students:
        services.grant_access(exam, s)
    db.session.commit()
    return exam, bank


def _settings(bank, **changes):
    data = {"title": "月考", "max_attempts": 1, "pass_percent": 60, "multi_scoring": "per_question",
            "time_limit_minutes": 30, "bank_id": bank.id, "difficulty": 0, "points": 2, "draw_single_choice": 3,
            "review_during": ["responses"], "review_immediately": ["responses", "correctness", "points"],
            "review_open": ["responses", "correctness", "points"],
            "review_closed": ["responses", "correctness", "points", "feedback", "answers"]}
    data.update(changes)
    return data


def _checked(page: str, name: str, value: str) -> bool:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*value="{value}"[^>]*>', page)
    assert tag, (name, value)
    return "checked" in tag.group(0)


def test_review_options_and_draw_rules_are_editable_before_the_first_attempt(client, login_as):
    teacher = login_as("teacher")
    exam, bank = _rule_exam(teacher)
    url = f"/exams/{exam.id}/edit"
    form = client.get(url).get_data(as_text=True)
    assert re.search(r'name="draw_single_choice"[^>]*value="3"', form)  # the rules are shown to edit
    assert _checked(form, "review_closed", "answers")
    saved = client.form(url, _settings(bank, draw_single_choice=2, draw_true_false=1, points=5,
                                       review_closed=["responses"]), token_from=url)
    assert saved.status_code == 302, saved.get_data(as_text=True)[:3000]
    db.session.expire_all()
    assert exam.review_policy["closed"] == ["responses"]
    assert sorted((r.qtype, r.count, r.points) for r in exam.paper.rules) == [("single_choice", 2, 5.0),
                                                                          ("true_false", 1, 5.0)]
    detail = client.get(f"/exams/{exam.id}").get_data(as_text=True)
    assert "抽取 2 道单选题" in detail and "抽取 1 道判断题" in detail


def test_rules_the_bank_cannot_fill_are_refused_on_the_form(client, login_as):
    teacher = login_as("teacher")
    exam, bank = _rule_exam(teacher)
    url = f"/exams/{exam.id}/edit"
    refused = client.form(url, _settings(bank, draw_true_false=5, title="改过的名称"), token_from=url)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "还缺 3 道" in page
    assert re.search(r'name="draw_true_false"[^>]*value="5"', page) and 'value="改过的名称"' in page
    db.session.expire_all()
    assert [(r.qtype, r.count) for r in exam.paper.rules] == [("single_choice", 3)] and exam.title == "月考"


def test_after_the_first_attempt_review_options_and_rules_are_refused_with_the_reason(client, login_as):
    teacher = login_as("teacher")
    student = factories.user("student", school_=teacher.school)
    exam, bank = _rule_exam(teacher, students=[student])
    services.start_attempt(exam, student)
    db.session.commit()
    url = f"/exams/{exam.id}/edit"
    assert 'data-testid="exam-started"' in client.get(url).get_data(as_text=True)

    review = client.form(url, _settings(bank, review_during=["responses", "answers"]), token_from=url)
    page = review.get_data(as_text=True)
    assert review.status_code == 200 and 'data-testid="review-error"' in page and "回顾设置不能再修改" in page
    assert _checked(page, "review_during", "answers")  # what was typed is kept
    rules = client.form(url, _settings(bank, draw_single_choice=2, title="期中"), token_from=url)
    page = rules.get_data(as_text=True)
    assert rules.status_code == 200 and 'data-testid="rules-error"' in page and "组卷规则不能再修改" in page
    assert re.search(r'name="draw_single_choice"[^>]*value="2"', page) and 'value="期中"' in page
    db.session.expire_all()
    assert exam.review_policy["during"] == ["responses"] and exam.title == "月考"
    assert [(r.qtype, r.count) for r in exam.paper.rules] == [("single_choice", 3)]

    other = client.form(url, _settings(bank, title="期中考试", time_limit_minutes=45), token_from=url)
    assert other.status_code == 302  # other settings still change
    db.session.expire_all()
    assert (exam.title, exam.time_limit_minutes) == ("期中考试", 45)
