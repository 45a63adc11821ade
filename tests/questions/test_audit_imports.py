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
