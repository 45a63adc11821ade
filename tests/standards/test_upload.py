"""The YAML upload form: preview without writing, all-or-nothing import, errors with the path in the file,
and the YAML download from a standard's page."""
from __future__ import annotations

import html
import io
import re

import yaml
from sqlalchemy import func, select

from app.extensions import db
from app.standards.models import CourseStandard, LearningTask, StandardVersion
from tests.standards.conftest import standard_data

URL = "/standards/import"


def _yaml(*standards) -> bytes:
    return yaml.safe_dump({"course_standards": list(standards)}, allow_unicode=True).encode("utf-8")


def _counts() -> tuple[int, int]:
    return (db.session.scalar(select(func.count()).select_from(StandardVersion)),
            db.session.scalar(select(func.count()).select_from(LearningTask)))


def _upload(client, content: bytes, name="标准.yaml", **extra):
    return client.form(URL, {"file": (io.BytesIO(content), name), **extra}, token_from=URL,
                       content_type="multipart/form-data")


def _confirm_fields(page: str) -> dict:
    form = page[page.index('action="/standards/import/confirm"'):]
    return {name: html.unescape(value)
            for name, value in re.findall(r'<input[^>]*name="(\w+)"[^>]*value="([^"]*)"', form.split("</form>")[0])}


def test_learners_and_teachers_cannot_open_the_upload(client, login_as):
    login_as("teacher")
    assert client.get(URL).status_code == 403
    assert client.post(URL + "/confirm", data={}).status_code in (400, 403)


def test_preview_shows_what_will_be_created_and_writes_nothing(client, login_as):
    login_as("reviewer")
    before = _counts()
    r = _upload(client, _yaml(standard_data(2, 3)))
    page = r.get_data(as_text=True)
    assert r.status_code == 200, page
    assert "预览：确认后将导入以下内容" in page
    assert "新建课程标准，第 1 版草稿" in page
    assert "2 门一体化课程，6 个学习任务，共 60 学时" in page
    assert "C1-T2 学习任务1-2" in page
    assert _counts() == before


def test_confirm_imports_the_previewed_file_as_a_draft(client, login_as):
    user = login_as("platform_admin")
    page = _upload(client, _yaml(standard_data(2, 2))).get_data(as_text=True)
    fields = _confirm_fields(page)
    assert "course_standards" in fields["content"]
    r = client.post(URL + "/confirm", data=fields)
    assert r.status_code == 302
    version = db.session.scalar(select(StandardVersion).order_by(StandardVersion.id.desc()))
    assert r.headers["Location"].endswith(f"/standards/versions/{version.id}")
    assert version.review_state == "draft" and version.created_by_id == user.id
    assert [t.code for c in version.courses for t in c.tasks] == ["C0-T0", "C0-T1", "C1-T0", "C1-T1"]
    # The same file again: the preview says nothing changes.
    again = _upload(client, _yaml(standard_data(2, 2))).get_data(as_text=True)
    assert "与第 1 版相同，不会改动" in again


def _refused(client, data) -> str:
    before = _counts()
    r = _upload(client, _yaml(data))
    page = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "未导入任何内容" in page and "确认导入" not in page
    assert _counts() == before
    return page


def test_missing_task_loop_and_wrong_hours_name_their_path(client, login_as):
    login_as("reviewer")
    data = standard_data(2, 2)
    data["courses"][1]["tasks"][0]["requires"] = ["C9-T9"]
    page = _refused(client, data)
    assert "course_standards[0].courses[1].tasks[0].requires[0]（第" in page
    assert "缺少学习任务“C9-T9”：本标准中没有这个代码" in page

    data = standard_data(2, 2)
    data["courses"][0]["tasks"][0]["requires"] = ["C0-T1"]
    data["courses"][0]["tasks"][1]["requires"] = ["C0-T0"]
    page = _refused(client, data)
    assert "前置任务形成循环：C0-T0 -&gt; C0-T1 -&gt; C0-T0" in page

    data = standard_data(2, 2)
    data["courses"][1]["hours"] = 25
    page = _refused(client, data)
    assert re.search(r"course_standards\[0\]\.courses\[1\]\.hours（第 \d+ 行）：学习任务合计 20 学时，比课程学时 25 少 5 学时",
                     page)


def test_upload_errors_come_out_in_english_with_the_english_locale(client, login_as):
    login_as("reviewer")
    client.form("/locale/en", {"next": URL}, token_from=URL)
    data = standard_data(2, 2)
    data["courses"][1]["hours"] = 25
    data["courses"][0]["tasks"][0]["requires"] = ["C9-T9"]
    page = _refused_raw(client, _yaml(data))
    assert "Nothing was imported." in page
    assert re.search(r"course_standards\[0\]\.courses\[1\]\.hours \(line \d+\): the learning tasks add up to 20 hours, "
                     r"5 fewer than the course&#39;s 25", page)
    assert "missing learning task &#39;C9-T9&#39;: no task of this standard has that code" in page
    assert "学习任务合计" not in page
    page = _refused_raw(client, "course_standards: []".encode("gbk") + "\n# 中文".encode("gbk"))
    assert "标准.yaml: the file is not UTF-8 text" in page
    page = _refused_raw(client, b"- just\n- a list\n")  # app/core/content.py's own message
    assert "标准.yaml:1: a content file must be a mapping of sections" in page


def test_lenient_hours_previews_the_gap_and_imports(client, login_as):
    login_as("reviewer")
    data = standard_data(1, 2)
    data["courses"][0]["hours"] = 25
    page = _upload(client, _yaml(data), lenient_hours="y").get_data(as_text=True)
    assert "课程 C0：学习任务合计 20 学时，课程学时 25。" in page
    fields = _confirm_fields(page)
    assert fields["lenient_hours"] == "1"
    assert client.post(URL + "/confirm", data=fields).status_code == 302


def test_unreadable_files_are_refused_with_the_line(client, login_as):
    login_as("reviewer")
    page = _refused_raw(client, b"course_standards:\n  - profession: [unclosed\n")
    assert re.search(r"标准.yaml:\d+: YAML 语法错误：while parsing", page)
    page = _refused_raw(client, "course_standards: []".encode("gbk") + "\n# 中文".encode("gbk"))
    assert "标准.yaml：文件不是 UTF-8 编码的文本" in page
    page = _refused_raw(client, b"professions: []\n")
    assert "标准.yaml：文件中没有“course_standards:”列表" in page
    page = _refused_raw(client, b"- just\n- a list\n")
    assert "标准.yaml:1: 内容文件必须是由章节组成的映射" in page
    page = _refused_raw(client, b"course_standards: {profession: x}\n")
    assert "章节“course_standards”必须是映射的列表" in page
    page = _refused_raw(client, b"no_such_section: []\n")
    assert "未知的章节“no_such_section”" in page


def _refused_raw(client, content: bytes) -> str:
    before = _counts()
    r = _upload(client, content)
    assert r.status_code == 200
    assert _counts() == before
    return r.get_data(as_text=True)


def test_confirm_is_all_or_nothing_and_revalidates(client, login_as):
    """Two standards in one file, the second broken after the preview: neither is written."""
    login_as("reviewer")
    good, other = standard_data(1, 1), standard_data(1, 1, level="intermediate", title="中级")
    page = _upload(client, _yaml(good, other)).get_data(as_text=True)
    assert page.count("新建课程标准，第 1 版草稿") == 2
    fields = _confirm_fields(page)
    other["courses"][0]["tasks"][0]["requires"] = ["NOPE"]
    fields["content"] = _yaml(good, other).decode("utf-8")
    before = _counts()
    r = client.post(URL + "/confirm", data=fields)
    assert r.status_code == 200 and "course_standards[1].courses[0].tasks[0].requires[0]" in r.get_data(as_text=True)
    assert _counts() == before
    assert db.session.scalar(select(func.count()).select_from(CourseStandard).where(
        CourseStandard.profession.has(key="cnc-machining"))) == 0


def test_confirm_needs_csrf(client, login_as):
    login_as("reviewer")
    r = client.post(URL + "/confirm", data={"content": _yaml(standard_data(1, 1)).decode(), "filename": "x.yaml"})
    assert r.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(CourseStandard).where(
        CourseStandard.profession.has(key="cnc-machining"))) == 0


def test_standard_page_offers_the_yaml_download(client, login_as, make_standard):
    version = make_standard(2, 2)
    login_as("teacher")
    page = client.get(f"/standards/{version.standard_id}").get_data(as_text=True)
    link = f"/standards/versions/{version.id}/export.yaml"
    assert link in page
    r = client.get(link)
    assert r.status_code == 200
    assert yaml.safe_load(r.data)["course_standards"][0]["title"] == version.title


def _alias_bomb(depth: int = 9) -> bytes:
    """A few hundred bytes whose nested aliases expand to 10**depth scalars ("billion laughs")."""
    lines = ["course_standards:", "  - profession: cnc-machining", "    level: advanced", "    title: x",
             "    padding:", "      - &l0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"      - &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]" for i in range(1, depth + 1)]
    lines += ["    courses:", "      - {code: C1, name: n, hours: 10, tasks: [{code: T1, name: t, hours: *l%d}]}" % depth]
    return "\n".join(lines).encode("utf-8")


def test_yaml_alias_bomb_is_refused_before_it_expands(client, login_as):
    login_as("reviewer")
    page = _refused_raw(client, _alias_bomb())
    assert "标准.yaml（第 6 行）：不接受 YAML 锚点和别名（&amp; 和 *），请直接写出内容" in page
    assert len(page) < 100_000


def test_a_prerequisite_named_twice_is_imported_once(client, login_as):
    login_as("reviewer")
    data = standard_data(1, 2)
    data["courses"][0]["tasks"][1]["requires"] = ["C0-T0", "C0-T0"]
    page = _upload(client, _yaml(data)).get_data(as_text=True)
    r = client.post(URL + "/confirm", data=_confirm_fields(page))
    assert r.status_code == 302
    version = db.session.scalar(select(StandardVersion).order_by(StandardVersion.id.desc()))
    assert [p.code for p in version.courses[0].tasks[1].prerequisites] == ["C0-T0"]
    again = _upload(client, _yaml(data)).get_data(as_text=True)
    assert "与第 1 版相同，不会改动" in again
