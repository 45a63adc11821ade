"""Option texts, matching prompts and feedback are sanitised HTML on save and shown as such: imported options
such as ``电压 &lt; 36V`` read "电压 < 36V" (not "&lt;") on the exam page, and markup typed or imported into an
option never runs on any page."""
from __future__ import annotations

from sqlalchemy import select

from app.exams.models import Attempt
from app.extensions import db
from tests.exams import builders

REVIEW_ALL = {moment: ["responses", "correctness", "points", "feedback", "answers"]
              for moment in ("immediately", "open", "closed")}


def _take(client, student, questions, **fields):
    exam = builders.fixed_exam(questions, students=[student], shuffle_options=False, shuffle_questions=False,
                               **fields)
    db.session.commit()
    started = client.form(f"/exams/{exam.id}/start", {}, token_from=f"/exams/{exam.id}")
    return exam, started.headers["Location"]


def test_imported_option_entities_read_as_characters_on_the_exam_page(client, login_as):
    student = login_as("student")
    bank = builders.bank()
    choice = builders.question(bank, "single_choice", data={"options": [
        {"text": "电压 &lt; 36V &amp; 交流", "fraction": 1}, {"text": "<b>加粗</b>"}]})
    match = builders.question(bank, "matching", data={"pairs": [
        {"prompt": "R &lt; 1Ω", "answer": "导通"}, {"prompt": "R &gt; 1MΩ", "answer": "断开"}]})
    _exam, take_url = _take(client, student, [choice, match])
    page = client.get(take_url).get_data(as_text=True)
    assert "电压 &lt; 36V &amp; 交流" in page and "&amp;lt;" not in page
    assert "<b>加粗</b>" in page
    assert "R &lt; 1Ω" in page and "&amp;lt;" not in page


def test_markup_in_options_and_feedback_never_runs(client, login_as):
    teacher = login_as("teacher")
    bank = builders.bank()
    bank.school_id = teacher.school_id
    evil = builders.question(bank, "single_choice", data={"options": [
        {"text": '<img src="x" onerror="alert(1)">扳手', "fraction": 1, "feedback": "<script>alert(2)</script>对"},
        {"text": "套筒"}]})
    db.session.commit()
    stored = evil.current_version.data["options"][0]
    assert "onerror" not in stored["text"] and "<script" not in stored["feedback"]
    page = client.get(f"/questions/{evil.id}").get_data(as_text=True)
    assert "onerror" not in page and "<script>alert(2)" not in page


def test_review_shows_right_answers_of_blanks_and_numbers(client, login_as):
    student = login_as("student")
    bank = builders.bank()
    blank, number = builders.question(bank, "fill_blank"), builders.question(bank, "numerical")
    exam, take_url = _take(client, student, [blank, number], review_policy=REVIEW_ALL)
    attempt = db.session.scalar(select(Attempt).where(Attempt.user_id == student.id, Attempt.exam_id == exam.id))
    client.form(f"/attempts/{attempt.id}/submit", {}, token_from=take_url)
    result = client.get(take_url).get_data(as_text=True)
    assert "正确答案" in result
    assert "扭矩" in result and "Nm" in result  # the blanks' accepted answers
    assert "9.81 ± 0.01" in result
