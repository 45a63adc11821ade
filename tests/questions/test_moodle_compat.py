"""What Moodle writes and we used to drop or refuse: ``<question type="matching">`` with distractors, the
numerical "any other answer" (``*``; GIFT ``~#feedback``) with its feedback, and Cloze questions, which are
skipped one by one (a warning naming each) while the rest of the file is imported."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.exams import services as exams
from app.extensions import db
from app.questions import importing
from app.questions.formats import get_format
from app.questions.models import Question, QuestionBank
from app.questions.types import TYPES
from tests import factories
from tests.exams import builders
from tests.questions.test_gift import run_import

MATCHING_XML = """<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="{kind}"><name><text>量和单位</text></name>
    <questiontext format="html"><text>把量和单位配对</text></questiontext>
    <shuffleanswers>true</shuffleanswers>
    <subquestion format="html"><text>电压</text><answer><text>伏特</text></answer></subquestion>
    <subquestion format="html"><text>电流</text><answer><text>安培</text></answer></subquestion>
    <subquestion format="html"><text></text><answer><text>欧姆</text></answer></subquestion>
    <subquestion format="html"><text/><answer><text>瓦特</text></answer></subquestion>
  </question>
</quiz>
"""

NUMERICAL_XML = """<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="numerical"><name><text>胎压</text></name>
    <questiontext format="html"><text>标准胎压约为多少 bar？</text></questiontext>
    <answer fraction="100"><text>2.3</text><tolerance>0.1</tolerance><feedback><text>对</text></feedback></answer>
    <answer fraction="0"><text>*</text><feedback format="html"><text>完全错误，请查看车门上的标签</text></feedback></answer>
  </question>
</quiz>
"""

NUMERICAL_GIFT = "::胎压::标准胎压约为多少 bar？{#2.3:0.1#对 ~#完全错误，请查看车门上的标签}\n"

CLOZE_XML = """<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="category"><category><text>$course$/top/电工</text></category></question>
  <question type="multichoice"><name><text>工具</text></name>
    <questiontext format="html"><text>测电压用</text></questiontext><single>true</single>
    <answer fraction="100"><text>万用表</text></answer><answer fraction="0"><text>扳手</text></answer>
  </question>
  <question type="{kind}"><name><text>欧姆定律填空</text></name>
    <questiontext format="html"><text>U = {{1:SHORTANSWER:=I}} × R</text></questiontext>
  </question>
  <question type="calculatedsimple"><name><text>算功率</text></name>
    <questiontext format="html"><text>P = ?</text></questiontext>
  </question>
  <question type="truefalse"><name><text>判断</text></name>
    <questiontext format="html"><text>220V 是安全电压</text></questiontext>
    <answer fraction="0"><text>true</text></answer><answer fraction="100"><text>false</text></answer>
  </question>
</quiz>
"""


@pytest.mark.parametrize("kind", ["match", "matching"])
def test_moodle_xml_matching_under_both_names_keeps_distractors(app, runner, tmp_path, kind):
    result = run_import(runner, tmp_path, MATCHING_XML.format(kind=kind), "--bank", f"m-{kind}", "--json",
                        name="m.xml")
    report = json.loads(result.output)
    assert result.exit_code == 0, report
    assert report["imported"] == 1 and report["errors"] == []
    stored = db.session.scalar(select(Question).where(Question.type == "matching"))
    data = stored.current_version.data
    assert [p["answer"] for p in data["pairs"]] == ["伏特", "安培"]
    assert data["distractors"] == ["欧姆", "瓦特"]
    # Students choose among all four right-hand answers, distractors included.
    options = [o["text"] for o in TYPES["matching"].public_view(stored.current_version)["options"]]
    assert sorted(options) == sorted(["伏特", "安培", "欧姆", "瓦特"])


def _import_numerical(runner, tmp_path, content, name, bank):
    result = run_import(runner, tmp_path, content, "--bank", bank, "--json", name=name)
    report = json.loads(result.output)
    assert result.exit_code == 0, report
    return report, db.session.scalar(select(Question).where(Question.type == "numerical"))


@pytest.mark.parametrize("content,name", [(NUMERICAL_XML, "n.xml"), (NUMERICAL_GIFT, "n.gift")])
def test_numerical_catch_all_is_kept_with_its_feedback(app, runner, tmp_path, content, name):
    report, stored = _import_numerical(runner, tmp_path, content, name, "num")
    star = report["questions"][0]["answers"][-1]
    assert (star["text"], star["fraction"]) == ("*", 0.0) and "完全错误" in star["feedback"]
    data = stored.current_version.data
    kind = TYPES["numerical"]
    assert kind.grade(data, 5.0, 2.0) == (0.0, 0.0)
    assert "完全错误" in kind.feedback(data, 5.0)
    assert kind.grade(data, 2.35, 2.0) == (2.0, 1.0)
    assert kind.feedback(data, 2.35) == "对" and "完全错误" not in kind.feedback(data, 2.35)


@pytest.mark.parametrize("fmt", ["gift", "moodlexml", "json"])
def test_numerical_catch_all_survives_export_and_reimport(app, runner, tmp_path, fmt):
    _report, stored = _import_numerical(runner, tmp_path, NUMERICAL_GIFT, "n.gift", "num")
    data = stored.current_version.data
    exported = importing.export_bank(db.session.get(QuestionBank, stored.bank_id), fmt)[0]
    again = importing.parse(f"x.{fmt}", exported, fmt).questions[0]
    assert TYPES["numerical"].from_interchange(again) == TYPES["numerical"].from_interchange(
        {"answers": TYPES["numerical"].to_interchange(data)["answers"]})
    assert again["answers"][-1]["text"] == "*" and "完全错误" in again["answers"][-1]["feedback"]


def test_numerical_catch_all_feedback_is_shown_in_the_review(app, runner, tmp_path):
    _report, stored = _import_numerical(runner, tmp_path, NUMERICAL_GIFT, "n.gift", "num")
    builders.approve(stored.current_version)
    student = factories.user("student")
    exam = builders.fixed_exam([stored], students=[student])
    attempt, _created = exams.start_attempt(exam, student)
    target = exams.load_save_target(attempt.id, 1, student.id)
    exams.store_response(target, exams.check_save(target, "5", 1), 1)
    assert exams.close_attempt(attempt.id, closed_by="student", user_id=student.id)
    item = exams.attempt_view(attempt, everything=True)["items"][0]
    assert item["score"] == 0.0
    assert any("完全错误" in part for part in item["feedback"]["question"])


def test_numerical_editing_in_the_form_keeps_the_catch_all(app):
    from app.questions.forms import NumericalForm

    data = TYPES["numerical"].validate_data({"answers": [{"value": 2.3, "tolerance": 0.1, "fraction": 1},
                                                         {"value": "*", "fraction": 0, "feedback": "完全错误"}]})
    assert data["other_feedback"] == "完全错误" and len(data["answers"]) == 1
    with app.test_request_context():
        form = NumericalForm(meta={"csrf": False}, data={"value": 2.4, "tolerance": 0.1})
        form.previous = data
        assert form.to_data()["other_feedback"] == "完全错误"


@pytest.mark.parametrize("kind", ["cloze", "multianswer"])
def test_cloze_is_skipped_with_a_warning_and_the_rest_is_imported(app, runner, tmp_path, kind):
    result = run_import(runner, tmp_path, CLOZE_XML.format(kind=kind), "--bank", "cloze", "--json", name="c.xml")
    report = json.loads(result.output)
    assert result.exit_code == 0, report
    assert report["errors"] == [] and report["imported"] == 2
    assert [q["type"] for q in report["questions"]] == ["single_choice", "true_false"]
    cloze = next(w for w in report["warnings"] if "欧姆定律填空" in w)
    assert "Cloze" in cloze and "第 8 行" in cloze
    assert any("算功率" in w and "calculatedsimple" in w for w in report["warnings"])


def test_moodle_xml_writer_output_reads_back(app):
    """Our own Moodle XML export of a matching question with distractors is read by our reader again."""
    q = {"type": "matching", "name": "m", "text": "配对", "category": "", "answers": [], "general_feedback": "",
         "pairs": [{"prompt": "电压", "answer": "伏特"}, {"prompt": "电流", "answer": "安培"},
                   {"prompt": "", "answer": "欧姆"}], "tags": [], "id_number": None, "points": 1}
    again = get_format("moodlexml").parse(get_format("moodlexml").export([q])).questions[0]
    assert TYPES["matching"].from_interchange(again)["distractors"] == ["欧姆"]
