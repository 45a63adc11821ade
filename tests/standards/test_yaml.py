"""YAML import/export: round trip, idempotence, and refusals that name the path in the file."""
from __future__ import annotations

import os
import re

import yaml
from sqlalchemy import func, select

from app.core.content import default_content_root, load_content
from app.extensions import db
from app.standards.models import CourseStandard, StandardVersion
from tests.standards.conftest import standard_data


def _write(tmp_path, data, name="std.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump({"course_standards": [data]}, allow_unicode=True), encoding="utf-8")
    return str(path)


def _versions() -> int:
    return db.session.scalar(select(func.count()).select_from(StandardVersion))


def test_import_then_export_round_trips(runner, tmp_path):
    data = standard_data(3, 2)
    data["courses"][1]["tasks"][1]["requires"] = ["C0-T0"]
    data["courses"][2]["tasks"][0]["stages"] = ["inform", "plan", {"key": "trial-cut", "name": "试切"}, "evaluate"]
    result = runner.invoke(args=["standards", "import", _write(tmp_path, data)])
    assert result.exit_code == 0, result.output
    assert "已导入为第 1 版（草稿）" in result.output
    out = tmp_path / "out.yaml"
    result = runner.invoke(args=["standards", "export", "--profession", "cnc-machining", "--level", "advanced",
                                 "-o", str(out)])
    assert result.exit_code == 0, result.output
    exported = yaml.safe_load(out.read_text(encoding="utf-8"))["course_standards"][0]
    assert exported["courses"][1]["tasks"][1]["requires"] == ["C0-T0"]
    assert exported["courses"][2]["tasks"][0]["stages"] == ["inform", "plan", {"key": "trial-cut", "name": "试切"},
                                                             "evaluate"]
    assert exported["sections"]["objectives"] == "培养**数控车工**。"
    before = _versions()
    result = runner.invoke(args=["standards", "import", str(out)])
    assert result.exit_code == 0 and "没有变化" in result.output
    assert _versions() == before


def test_reimport_of_changed_draft_rewrites_it_in_place(runner, tmp_path):
    runner.invoke(args=["standards", "import", _write(tmp_path, standard_data(1, 2))])
    result = runner.invoke(args=["standards", "import", _write(tmp_path, standard_data(1, 3), "v2.yaml")])
    assert result.exit_code == 0, result.output
    assert "已导入为第 1 版（草稿）" in result.output
    standard = db.session.scalar(select(CourseStandard).where(
        CourseStandard.profession.has(key="cnc-machining"), CourseStandard.training_level.has(key="advanced")))
    assert [v.number for v in standard.versions] == [1]
    assert [t.code for t in standard.versions[0].courses[0].tasks] == ["C0-T0", "C0-T1", "C0-T2"]


def _errors(runner, tmp_path, data) -> str:
    before = _versions()
    result = runner.invoke(args=["standards", "import", _write(tmp_path, data)])
    assert result.exit_code != 0
    assert "未导入任何内容" in result.output
    assert _versions() == before
    return result.output


def test_missing_task_is_refused_with_its_path(runner, tmp_path):
    data = standard_data(2, 2)
    data["courses"][1]["tasks"][0]["requires"] = ["C9-T9"]
    out = _errors(runner, tmp_path, data)
    assert "course_standards[0].courses[1].tasks[0].requires[0]（第" in out
    assert "缺少学习任务“C9-T9”：本标准中没有这个代码" in out


def test_course_without_tasks_is_refused(runner, tmp_path):
    data = standard_data(3, 1)
    data["courses"][2]["tasks"] = []
    out = _errors(runner, tmp_path, data)
    assert "course_standards[0].courses[2].tasks" in out and "缺少学习任务：每门课程至少需要一个学习任务" in out


def test_loop_is_refused(runner, tmp_path):
    data = standard_data(2, 2)
    data["courses"][0]["tasks"][0]["requires"] = ["C1-T1"]
    data["courses"][1]["tasks"][1]["requires"] = ["C0-T1"]
    data["courses"][0]["tasks"][1]["requires"] = ["C0-T0"]
    out = _errors(runner, tmp_path, data)
    assert "前置任务形成循环：C0-T0 -> C1-T1 -> C0-T1 -> C0-T0" in out


def test_wrong_hours_are_refused_with_the_difference(runner, tmp_path):
    data = standard_data(3, 2)
    data["courses"][2]["tasks"][0]["hours"] = "十"
    data["courses"][1]["hours"] = 25
    out = _errors(runner, tmp_path, data)
    assert re.search(r"courses\[2\]\.tasks\[0\]\.hours（第 \d+ 行）：学时必须是 1 到 \d+ 之间的整数，实际为 '十'", out)
    assert re.search(r"courses\[1\]\.hours（第 \d+ 行）：学习任务合计 20 学时，比课程学时 25 少 5 学时", out)


def test_lenient_hours_imports_and_the_page_warns(runner, tmp_path, client, login_as):
    data = standard_data(1, 2)
    data["courses"][0]["hours"] = 25
    result = runner.invoke(args=["standards", "import", "--lenient-hours", _write(tmp_path, data)])
    assert result.exit_code == 0, result.output
    version = db.session.scalar(select(StandardVersion).order_by(StandardVersion.id.desc()))
    login_as("reviewer")
    page = client.get(f"/standards/versions/{version.id}").get_data(as_text=True)
    assert "学习任务合计 20 学时，比课程学时 25 少 5 学时" in page


def test_unknown_profession_and_section_named(runner, tmp_path):
    data = standard_data(1, 1, profession="no-such-profession")
    data["sections"]["bogus"] = "x"
    out = _errors(runner, tmp_path, data)
    assert "course_standards[0].profession" in out and "未知的专业“no-such-profession”" in out
    assert "course_standards[0].sections.bogus" in out and "未知的章节（可用：" in out


def test_the_stated_total_duplicates_and_a_second_standard_are_named(runner, tmp_path):
    data = standard_data(2, 2)
    data["hours"] = 50
    data["courses"][1]["code"] = "C0"
    data["courses"][1]["tasks"][0]["code"] = "C0-T0"
    path = tmp_path / "two.yaml"
    path.write_text(yaml.safe_dump({"course_standards": [data, standard_data(1, 1)]}, allow_unicode=True),
                    encoding="utf-8")
    before = _versions()
    result = runner.invoke(args=["standards", "import", str(path)])
    assert result.exit_code != 0 and _versions() == before
    out = result.output
    assert "course_standards[0].hours（第 2 行）：各课程合计 40 学时，比标明的 50 学时少 10 学时" in out
    assert "course_standards[0].courses[1].code（第" in out and "课程代码“C0”重复" in out
    assert "学习任务代码“C0-T0”重复（另见 course_standards[0].courses[0].tasks[0]）" in out
    path.write_text(yaml.safe_dump({"course_standards": [standard_data(1, 1), standard_data(1, 2)]},
                                   allow_unicode=True), encoding="utf-8")
    result = runner.invoke(args=["standards", "import", str(path)])
    assert result.exit_code != 0 and _versions() == before
    assert ("course_standards[1]：同一专业“cnc-machining”和培养层级“advanced”的第二个课程标准"
            "（第一个是 course_standards[0]）") in result.output


def test_content_files_with_errors_are_named_in_chinese(app, tmp_path):
    from app.core.content import ContentError, parse_file

    bad = tmp_path / "gbk.yaml"
    bad.write_bytes("course_standards: []\n# 中文".encode("gbk"))
    try:
        parse_file(str(bad))
    except ContentError as exc:
        assert exc.message == "文件不是 UTF-8 编码的文本" and str(exc).endswith(": 文件不是 UTF-8 编码的文本")
    else:
        raise AssertionError("a GBK file was read")
    dup = tmp_path / "dup.yaml"
    dup.write_text("workbooks:\n  - {key: a, profession: auto-repair, title: 甲}\n"
                   "  - {key: a, profession: auto-repair, title: 乙}\n", encoding="utf-8")
    try:
        load_content(str(dup))
    except ContentError as exc:
        assert exc.line == 3 and exc.message == "键“a”重复（第一次出现在第 2 行）"
    else:
        raise AssertionError("a duplicate key was loaded")
    db.session.rollback()


def test_demo_standard_is_shipped_and_content_load_is_idempotent():
    standard = db.session.scalar(select(CourseStandard).join(CourseStandard.profession)
                                 .where(CourseStandard.profession.has(key="auto-repair")))
    assert standard is not None
    latest = standard.versions[-1]
    assert len(latest.courses) == 3 and sum(c.hours for c in latest.courses) == 420
    before = _versions()
    counts = load_content(default_content_root())
    assert counts["course_standards"] == 0 and _versions() == before
    assert os.path.exists(os.path.join(default_content_root(), "standards", "auto-repair-intermediate.yaml"))


def test_version_downloads_as_importable_yaml(client, login_as, make_standard, tmp_path, runner):
    version = make_standard(2, 2)
    login_as("teacher")
    r = client.get(f"/standards/versions/{version.id}/export.yaml")
    assert r.status_code == 200
    assert "filename*=UTF-8''cnc-machining-advanced-v1.yaml" in r.headers["Content-Disposition"]
    path = tmp_path / "dl.yaml"
    path.write_bytes(r.data)
    result = runner.invoke(args=["standards", "import", str(path)])
    assert result.exit_code == 0 and "没有变化" in result.output


def test_cli_refuses_yaml_aliases(runner, tmp_path):
    from tests.standards.test_upload import _alias_bomb

    path = tmp_path / "bomb.yaml"
    path.write_bytes(_alias_bomb())
    before = _versions()
    result = runner.invoke(args=["standards", "import", str(path)])
    assert result.exit_code != 0 and _versions() == before
    assert "bomb.yaml（第 6 行）：不接受 YAML 锚点和别名" in result.output and len(result.output) < 2000


def test_courses_without_a_code_are_reported_missing_not_duplicate(runner, tmp_path):
    data = standard_data(2, 1)
    data["courses"][0]["code"] = data["courses"][1]["code"] = ""
    out = _errors(runner, tmp_path, data)
    assert "course_standards[0].courses[1].code（第" in out and out.count("必须填写") == 2
    assert "重复" not in out
