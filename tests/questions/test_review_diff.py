"""The reviewer's diff between question versions reads as the question's fields in Chinese, never raw JSON."""
from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.questions import review as question_review
from app.questions import services
from app.questions import types as qtypes
from app.review import services as review
from tests import factories
from tests.exams import builders

#: Traces of serialised data: JSON punctuation and the data's own (English) keys.
RAW = re.compile(r'[{}\[\]"]|\b(fraction|options|answers|blanks|pairs|feedback|tolerance|shuffle|scoring|key|'
                 r'text|value|true|false|null|prompt|distractors|response_format|attachments|grader_info)\b')


@pytest.mark.parametrize("qtype", list(qtypes.TYPES))
def test_every_type_shows_its_fields_with_labels(app, qtype):
    question = builders.question(builders.bank(), qtype)
    with app.test_request_context():
        text = question_review.as_text(question.current_version)
    assert "题干：" in text
    for line in text.splitlines():
        assert not RAW.search(line), line


def test_reviewer_sees_which_option_changed_in_words(client, login_as):
    teacher = login_as("teacher")
    bank = services.create_bank(key="diff-bank", name="差异题库", school_id=teacher.school_id, actor=teacher)
    fields = services.prepare_fields("single_choice", text="举升车辆前应当做什么？", name="举升",
                                     data={"options": [{"text": "拉紧驻车制动", "fraction": 1}, {"text": "打开车门"}]})
    question = services.create_question(bank, fields, actor=teacher)
    review.approve(question.current_version, factories.user("reviewer"))
    changed = services.prepare_fields("single_choice", text="举升车辆前应当做什么？", name="举升",
                                      data={"options": [{"text": "拉紧驻车制动"}, {"text": "确认支撑点", "fraction": 1}]})
    services.edit_question(question, changed, actor=teacher, change_note="改正答案")
    db.session.commit()
    client.form("/logout", token_from="/home")
    login_as("reviewer")
    queue = client.get("/review").get_data(as_text=True)
    removed = re.findall(r'<span class="diff-del">([^<]*)</span>', queue)
    added = re.findall(r'<span class="diff-add">([^<]*)</span>', queue)
    assert "-选项 A：拉紧驻车制动（得分 100%）" in removed and "+选项 A：拉紧驻车制动（得分 0%）" in added
    assert "+选项 B：确认支撑点（得分 100%）" in added
    assert not any('"fraction"' in line or "{" in line for line in removed + added)
