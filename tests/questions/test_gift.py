"""GIFT import as Moodle documents it, through the CLI the way a school admin would run it."""
from __future__ import annotations

import json

from sqlalchemy import func, select

from app.extensions import db
from app.questions.models import KnowledgePoint, Question, QuestionBank, QuestionVersion

GIFT = r"""// 汽车维修基础
$CATEGORY: $course$/top/汽车维修/底盘

// [id:Q-001] [tag:安全] [tag:工具]
::扭力扳手::[html]<p>拧紧轮胎螺栓用<b>哪种</b>工具？</p>{
  =扭力扳手#对，按规定力矩拧紧。
  ~活动扳手#不能保证力矩。
  ~%-50%锤子
####螺栓有规定的力矩。}

::多选::下列属于防护用品的有{~%50%安全帽 ~%50%防护眼镜 ~%-100%扳手}

砂轮机可以不戴防护眼镜。{FALSE#错了：必须戴。#正确。}

$CATEGORY: $course$/top/电工

::转义::电压单位 \: V，写成 a\=b 和 \{x\} 与 \~ 以及 \#{=伏特 =%50%V}

发动机每 {=5000 =%50%6000} 公里换一次机油。

What is a number from 1 to 5? {#3:2}

Pi to 2 places? {#3.13..3.15 =%50%3.1:0.1}

::匹配::把工具和用途配对 {
  =万用表 -> 测电压
  =扳手 -> 拧螺栓
  = -> 焊接
}

::论述::简述更换机油的步骤。{}

这是一段说明文字，没有答案。

::tf2::地球是圆的{T}
"""


def run_import(runner, tmp_path, content: bytes | str, *args, name="q.gift"):
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    result = runner.invoke(args=["questions", "import", str(path), *args])
    return result


def by_name(report, name):
    return next(q for q in report["questions"] if q["name"] == name)


def test_gift_semantics_follow_moodle(runner, tmp_path):
    result = run_import(runner, tmp_path, GIFT, "--bank", "gift-demo", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["format"] == "gift" and report["errors"] == [] and report["imported"] == 11
    q = by_name(report, "扭力扳手")
    assert q["type"] == "single_choice" and q["id_number"] == "Q-001" and q["tags"] == ["安全", "工具"]
    assert q["category"] == "汽车维修/底盘" and q["text"] == "<p>拧紧轮胎螺栓用<b>哪种</b>工具？</p>"
    assert [(a["text"], a["fraction"]) for a in q["answers"]] == [("扭力扳手", 1.0), ("活动扳手", 0.0), ("锤子", -0.5)]
    assert q["answers"][0]["feedback"] == "对，按规定力矩拧紧。" and q["general_feedback"] == "螺栓有规定的力矩。"
    multi = by_name(report, "多选")
    assert multi["type"] == "multiple_choice"
    assert [a["fraction"] for a in multi["answers"]] == [0.5, 0.5, -1.0]
    tf = by_name(report, "砂轮机可以不戴防护眼镜。")
    # {FALSE#a#b}: a is shown for the wrong answer (True), b for the right one (False).
    assert tf["answers"] == [{"text": "True", "fraction": 0.0, "feedback": "错了：必须戴。", "tolerance": None},
                             {"text": "False", "fraction": 1.0, "feedback": "正确。", "tolerance": None}]
    escaped = by_name(report, "转义")
    assert escaped["text"] == "电压单位 : V，写成 a=b 和 {x} 与 ~ 以及 #" and escaped["category"] == "电工"
    assert [(a["text"], a["fraction"]) for a in escaped["answers"]] == [("伏特", 1.0), ("V", 0.5)]
    missing = next(q for q in report["questions"] if q["text"].startswith("发动机每"))
    assert missing["type"] == "fill_blank" and missing["text"] == "发动机每 _____ 公里换一次机油。"
    numbers = [q for q in report["questions"] if q["type"] == "numerical"]
    assert [(a["text"], a["tolerance"], a["fraction"]) for a in numbers[0]["answers"]] == [("3", 2.0, 1.0)]
    assert [(a["text"], round(a["tolerance"], 6), a["fraction"]) for a in numbers[1]["answers"]] == [
        ("3.14", 0.01, 1.0), ("3.1", 0.1, 0.5)]
    match = by_name(report, "匹配")
    assert match["pairs"] == [{"prompt": "万用表", "answer": "测电压"}, {"prompt": "扳手", "answer": "拧螺栓"},
                              {"prompt": "", "answer": "焊接"}]
    assert by_name(report, "论述")["type"] == "essay"
    assert any(q["type"] == "description" and q["points"] == 0 for q in report["questions"])
    assert by_name(report, "tf2")["answers"][0] == {"text": "True", "fraction": 1.0, "feedback": "", "tolerance": None}
    bank = db.session.scalar(select(QuestionBank).where(QuestionBank.key == "gift-demo"))
    paths = set(db.session.scalars(select(KnowledgePoint.path).where(KnowledgePoint.bank_id == bank.id)))
    assert paths == {"汽车维修", "汽车维修/底盘", "电工"}
    stored = db.session.scalar(select(Question).where(Question.id_number == "Q-001"))
    assert stored.current_version.data["options"][2]["fraction"] == -0.5
    assert stored.tag_names == ["安全", "工具"]


def test_reimport_creates_no_duplicates_and_versions_changes(runner, tmp_path):
    assert run_import(runner, tmp_path, GIFT, "--bank", "again").exit_code == 0
    count = db.session.scalar(select(func.count()).select_from(Question))
    again = run_import(runner, tmp_path, GIFT, "--bank", "again", "--json")
    assert again.exit_code == 0
    assert json.loads(again.output)["created"] == 0 and json.loads(again.output)["unchanged"] == 11
    assert db.session.scalar(select(func.count()).select_from(Question)) == count
    changed = GIFT.replace("~活动扳手#不能保证力矩。", "~活动扳手#力矩无法保证。")
    report = json.loads(run_import(runner, tmp_path, changed, "--bank", "again", "--json").output)
    assert report["updated"] == 1 and report["created"] == 0
    question = db.session.scalar(select(Question).where(Question.id_number == "Q-001"))
    versions = db.session.scalars(select(QuestionVersion).where(QuestionVersion.question_id == question.id)
                                  .order_by(QuestionVersion.number)).all()
    assert [v.number for v in versions] == [1, 2]
    assert versions[0].data["options"][1]["feedback"] == "不能保证力矩。"  # the old version is untouched
    assert question.current_version_id == versions[1].id


def test_one_broken_question_among_500_imports_nothing_and_names_the_line(runner, tmp_path):
    blocks = [f"::Q{i}::第 {i} 题：1 + {i} = ?{{={i + 1} ~{i + 2}}}" for i in range(500)]
    blocks[321] = "::Q321::这道题的答案没有结束 {=1 ~2"
    content = "\n\n".join(blocks) + "\n"
    result = run_import(runner, tmp_path, content, "--bank", "broken", "--json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["imported"] == 0
    assert report["errors"] == [{"line": 321 * 2 + 1, "message": report["errors"][0]["message"]}]
    assert "}" in report["errors"][0]["message"]
    assert db.session.scalar(select(QuestionBank).where(QuestionBank.key == "broken")) is None
    assert db.session.scalar(select(func.count()).select_from(Question)) == 0


def test_gbk_encoded_gift_is_detected(runner, tmp_path):
    content = "::判断::发动机机油需要定期更换。{T}\n\n::单选::万用表可以测量{=电压 ~重量}\n".encode("gbk")
    result = run_import(runner, tmp_path, content, "--bank", "gbk", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert [q["text"] for q in report["questions"]] == ["发动机机油需要定期更换。", "万用表可以测量"]


def test_dry_run_writes_nothing(runner, tmp_path):
    result = run_import(runner, tmp_path, GIFT, "--bank", "dry", "--dry-run", "--json")
    assert result.exit_code == 0
    report = json.loads(result.output)
    assert report["dry_run"] is True and report["imported"] == 0 and report["created"] == 11
    assert db.session.scalar(select(QuestionBank).where(QuestionBank.key == "dry")) is None


def test_profession_names_the_new_bank(runner, tmp_path):
    from app.catalog.models import Profession

    profession = db.session.scalars(select(Profession)).first()
    result = run_import(runner, tmp_path, "Q?{T}", "--bank", "with-prof", "--profession", profession.key)
    assert result.exit_code == 0, result.output
    bank = db.session.scalar(select(QuestionBank).where(QuestionBank.key == "with-prof"))
    assert bank.profession_id == profession.id
    unknown = run_import(runner, tmp_path, "Q?{T}", "--bank", "x-prof", "--profession", "no-such", "--json")
    assert unknown.exit_code == 1 and json.loads(unknown.output)["errors"]


def test_export_gift_reads_back_identically(runner, tmp_path):
    assert run_import(runner, tmp_path, GIFT, "--bank", "roundtrip").exit_code == 0
    for fmt, ext in (("gift", "gift"), ("moodlexml", "xml"), ("json", "json"), ("xlsx", "xlsx")):
        out = tmp_path / f"out.{ext}"
        result = runner.invoke(args=["questions", "export", "--bank", "roundtrip", "--format", fmt, "-o", str(out)])
        assert result.exit_code == 0, result.output
        again = run_import(runner, tmp_path, out.read_bytes(), "--bank", f"copy-{fmt}", "--json", name=f"in.{ext}")
        report = json.loads(again.output)
        assert again.exit_code == 0, (fmt, report["errors"])
        assert len(report["questions"]) == 11, fmt
        original = sorted((q["type"], q["category"]) for q in report["questions"])
        assert original == sorted([("single_choice", "汽车维修/底盘"), ("multiple_choice", "汽车维修/底盘"),
                                   ("true_false", "汽车维修/底盘"), ("fill_blank", "电工"), ("fill_blank", "电工"),
                                   ("numerical", "电工"), ("numerical", "电工"), ("matching", "电工"),
                                   ("essay", "电工"), ("description", "电工"), ("true_false", "电工")]), fmt
    # GIFT and Moodle XML keep fractions and feedback exactly.
    gift_copy = json.loads(run_import(runner, tmp_path, (tmp_path / "out.gift").read_bytes(), "--bank", "c2",
                                      "--json", "--dry-run").output)
    q = by_name(gift_copy, "扭力扳手")
    assert [(a["fraction"], a["feedback"]) for a in q["answers"]] == [(1.0, "对，按规定力矩拧紧。"), (0.0, "不能保证力矩。"),
                                                                     (-0.5, "")]
    assert q["id_number"] == "Q-001" and q["tags"] == ["安全", "工具"]
