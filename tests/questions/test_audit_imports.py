"""Hand-written import files with values of the wrong kind: row errors and exit code 1, never a traceback."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.questions.models import Question
from tests.questions.test_gift import run_import

GOOD = {"type": "single_choice", "text": "好题", "answers": [{"text": "甲", "fraction": 1}, {"text": "乙"}]}


@pytest.mark.parametrize("bad", [
    {"type": "fill_blank", "text": "x", "answers": [{"text": "a", "blank": "x"}]},
    {"type": "matching", "text": "x", "pairs": [{"prompt": 1, "answer": 2}, {"prompt": "a", "answer": "b"}]},
    {"type": "true_false", "text": "x", "answers": [{"text": "True", "fraction": "1"}]},
    {**GOOD, "text": "坏题", "category": ["电工"]},
    {**GOOD, "text": "坏题", "name": ["题名"]},
    {**GOOD, "text": "坏题", "general_feedback": 1},
])
def test_json_import_with_wrong_kinds_of_values_names_the_row(runner, tmp_path, bad):
    before = db.session.scalar(select(func.count()).select_from(Question))
    result = run_import(runner, tmp_path, json.dumps([GOOD, bad], ensure_ascii=False), "--bank", "jbad", "--json",
                        name="bad.json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    assert report["imported"] == 0
    assert report["errors"][0]["row"] == 2 and report["errors"][0]["message"]
    assert db.session.scalar(select(func.count()).select_from(Question)) == before


def test_gift_question_right_under_its_category_line_is_imported(runner, tmp_path):
    """Without a blank line after ``$CATEGORY:`` the question used to vanish into the category's name."""
    gift = ("// [id:E-1] [tag:安全]\n$CATEGORY: $course$/电工/安全\n::绝缘::绝缘手套要定期检测吗？{T}\n\n"
            "::接地::接地线的颜色是 {=黄绿双色 ~红色}\n")
    report = json.loads(run_import(runner, tmp_path, gift, "--bank", "gcat", "--json").output)
    assert report["errors"] == []
    assert [(q["name"], q["category"]) for q in report["questions"]] == [("绝缘", "电工/安全"), ("接地", "电工/安全")]
    assert report["questions"][0]["id_number"] == "E-1" and report["questions"][0]["tags"] == ["安全"]


def test_json_output_keeps_type_settings_so_it_reimports_without_loss(runner, tmp_path):
    """A weighted GIFT multiple choice printed by --json and imported again still scores by its weights."""
    gift = "::防护::选出防护用品 {~%50%护目镜 ~%50%手套 ~%-100%拖鞋}\n"
    first = run_import(runner, tmp_path, gift, "--bank", "jr1", "--json", "--dry-run")
    printed = json.loads(first.output)
    assert printed["questions"][0]["scoring"] == "fractions"
    again = run_import(runner, tmp_path, first.output, "--bank", "jr2", name="again.json")
    assert again.exit_code == 0, again.output
    question = db.session.scalar(select(Question).where(Question.name == "防护"))
    assert question.current_version.data["scoring"] == "fractions"
