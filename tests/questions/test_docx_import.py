"""Word (.docx) question banks in the Chinese layout, imported the way teachers and admins do: the CLI
(auto-detected), the import page (preview, then confirm) and the template; broken layouts are reported by
paragraph and nothing is imported."""
from __future__ import annotations

import io
import json
import re
import zipfile

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.questions import services
from app.questions.models import Question, QuestionFile, QuestionVersion

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
       b"\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82")

BANK = [
    "机械基础期末题库",
    "一、单选题（每题 2 分）",
    "1. 液压系统中，将机械能转换为液体压力能的元件是（ ）。",
    "A. 液压泵  B. 液压缸  C. 溢流阀  D. 油箱",
    "答案：A",
    "解析：液压泵是动力元件。",
    "难度：易",
    "知识点：液压传动/液压泵",
    "2、普通车床主轴转速通过（ ）调整。",
    "A、变速手柄",
    "B、尾座",
    "C．刀架",
    "【答案】A",
    "【解析】变速手柄改变齿轮啮合。",
    "二、多选题（每题 3 分）",
    "1. 下列属于安全用电措施的有（ ）。",
    "A. 保护接地  B. 漏电保护器  C. 湿手操作开关  D. 停电检修挂牌",
    "答案：ABD",
    "三、判断题",
    "1. 使用砂轮机时，操作者应站在砂轮的正面。（ ）",
    "答案：错",
    "四、填空题",
    "1. 游标卡尺的读数由____读数和（ ）读数两部分组成。",
    "答案：主尺|尺身；游标",
    "五、简答题（每题 10 分）",
    "1. 简述钳工划线的作用。",
    "答案：确定加工位置和余量；检查毛坯。",
    "知识点：钳工/划线",
]


def make_docx(lines, *, picture_in: dict | None = None, table_after: int | None = None,
              numbered: tuple[int, ...] = ()) -> bytes:
    """A Word file: one paragraph per line; ``picture_in`` {line index: text before the picture};
    a table after the line ``table_after``; ``numbered`` lines carry Word's automatic numbering."""
    import docx
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm

    document = docx.Document()
    for index, line in enumerate(lines):
        paragraph = document.add_paragraph(line)
        if picture_in and index in picture_in:
            paragraph.add_run().add_picture(io.BytesIO(PNG), width=Cm(1))
            if picture_in[index]:
                paragraph.add_run(picture_in[index])
        if index in numbered:
            ppr = paragraph._p.get_or_add_pPr()
            num = OxmlElement("w:numPr")
            for tag, value in (("w:ilvl", "0"), ("w:numId", "1")):
                child = OxmlElement(tag)
                child.set(qn("w:val"), value)
                num.append(child)
            ppr.append(num)
        if index == table_after:
            table = document.add_table(rows=2, cols=2)
            table.cell(0, 0).text = "A. 甲"
            table.cell(0, 1).text = "B. 乙"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def run(runner, tmp_path, data: bytes, *args, name="bank.docx"):
    path = tmp_path / name
    path.write_bytes(data)
    return runner.invoke(args=["questions", "import", str(path), "--json", *args])


def test_docx_chinese_layout_is_auto_detected_with_every_field(runner, tmp_path):
    result = run(runner, tmp_path, make_docx(BANK), "--bank", "jixie")
    report = json.loads(result.output)
    assert result.exit_code == 0, report["errors"]
    assert report["format"] == "docx" and report["imported"] == 6 and report["errors"] == []
    q = {(x["type"], i): x for i, x in enumerate(report["questions"])}
    first = report["questions"][0]
    assert first["type"] == "single_choice" and first["text"] == "液压系统中，将机械能转换为液体压力能的元件是（ ）。"
    assert [a["text"] for a in first["answers"]] == ["液压泵", "液压缸", "溢流阀", "油箱"]
    assert [a["fraction"] for a in first["answers"]] == [1.0, 0.0, 0.0, 0.0]
    assert first["explanation"] == "液压泵是动力元件。" and first["difficulty"] == 2 and first["points"] == 2.0
    assert first["category"] == "液压传动/液压泵"
    second = report["questions"][1]
    assert [a["text"] for a in second["answers"]] == ["变速手柄", "尾座", "刀架"]
    assert second["explanation"] == "变速手柄改变齿轮啮合。"
    multiple = report["questions"][2]
    assert multiple["type"] == "multiple_choice" and multiple["points"] == 3.0
    assert [a["fraction"] > 0 for a in multiple["answers"]] == [True, True, False, True]
    true_false = report["questions"][3]
    assert true_false["type"] == "true_false" and [a["fraction"] for a in true_false["answers"]] == [0.0, 1.0]
    blank = report["questions"][4]
    assert blank["type"] == "fill_blank"
    assert [(a["text"], a["blank"]) for a in blank["answers"]] == [("主尺", 1), ("尺身", 1), ("游标", 2)]
    essay = report["questions"][5]
    assert essay["type"] == "essay" and essay["points"] == 10.0 and "检查毛坯" in essay["grader_info"]
    assert len(q) == 6
    assert db.session.scalar(select(func.count()).select_from(Question)) == 6
    # The same file again creates nothing (no duplicates).
    again = json.loads(run(runner, tmp_path, make_docx(BANK), "--bank", "jixie").output)
    assert again["created"] == 0 and again["unchanged"] == 6
    assert db.session.scalar(select(func.count()).select_from(Question)) == 6


def test_docx_pictures_in_stems_and_options_are_stored_through_the_upload_service(runner, tmp_path):
    lines = ["一、单选题", "1. 看图判断零件名称：", "A. ", "B. 螺母", "答案：A"]
    data = make_docx(lines, picture_in={1: "（见图）", 2: ""})
    result = run(runner, tmp_path, data, "--bank", "tu")
    report = json.loads(result.output)
    assert result.exit_code == 0, report["errors"]
    version = db.session.scalar(select(QuestionVersion))
    files = db.session.scalars(select(QuestionFile)).all()
    assert len(files) == 1 and files[0].content_type == "image/png"  # the same picture stored once
    url = f"/questions/files/{files[0].id}"
    assert f'<img src="{url}"' in version.text and "（见图）" in version.text
    assert f'<img src="{url}"' in version.data["options"][0]["text"]


def test_docx_without_sections_infers_the_types(runner, tmp_path):
    lines = ["1. 选择：1+1=？", "A. 1 B. 2", "答案：B", "2. 地球是圆的。", "答案：对", "3. 水的化学式是____。",
             "答案：H2O", "4. 谈谈你对工匠精神的理解。"]
    report = json.loads(run(runner, tmp_path, make_docx(lines), "--bank", "mix", "--dry-run").output)
    assert [q["type"] for q in report["questions"]] == ["single_choice", "true_false", "fill_blank", "essay"]
    assert report["questions"][0]["answers"][1]["fraction"] == 1.0


@pytest.mark.parametrize("broken, index, words", [
    ("table", 3, "表格"),
    ("numbered", 9, "自动编号"),
])
def test_docx_table_or_auto_numbering_names_the_paragraph_and_imports_nothing(runner, tmp_path, broken, index,
                                                                             words):
    if broken == "table":
        data = make_docx(BANK, table_after=index - 1)   # the table is body block number 4 (index 3 + 1)
        expected_paragraph = index + 1
    else:
        data = make_docx(BANK, numbered=(index,))       # "A、变速手柄" numbered by Word
        expected_paragraph = index + 1
    result = run(runner, tmp_path, data, "--bank", "broken")
    report = json.loads(result.output)
    assert result.exit_code == 1 and report["imported"] == 0
    assert report["errors"][0]["line"] == expected_paragraph
    message = report["errors"][0]["message"]
    assert f"第 {expected_paragraph} 段" in message and words in message
    if broken == "numbered":
        assert "变速手柄" in message
    assert db.session.scalar(select(func.count()).select_from(Question)) == 0


def test_docx_question_errors_name_paragraph_and_text(runner, tmp_path):
    lines = list(BANK)
    lines[4] = "答案：E"   # no option E
    report = json.loads(run(runner, tmp_path, make_docx(lines), "--bank", "bad").output)
    assert report["imported"] == 0 and len(report["errors"]) == 1
    error = report["errors"][0]
    assert error["line"] == 3 and error["message"].startswith("第 3 段“1. 液压系统中")
    assert "不是有效的选项字母" in error["message"]
    assert db.session.scalar(select(func.count()).select_from(Question)) == 0


def test_docx_renamed_doc_is_refused_with_how_to_convert(runner, tmp_path):
    old_word = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 2048
    result = run(runner, tmp_path, old_word, "--bank", "doc")
    report = json.loads(result.output)
    assert result.exit_code == 1 and "旧版 Word（.doc）" in report["errors"][0]["message"]
    assert "另存为" in report["errors"][0]["message"]


def test_docx_zip_bombs_are_refused_before_opening(runner, tmp_path, monkeypatch):
    from app.core import tabular

    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", b"\x00" * (20 * 1024 * 1024))
    report = json.loads(run(runner, tmp_path, bomb.getvalue(), "--bank", "bomb").output)
    assert "压缩炸弹" in report["errors"][0]["message"]
    many = io.BytesIO()
    with zipfile.ZipFile(many, "w") as zf:
        for i in range(60):
            zf.writestr(f"word/media/{i}.bin", b"x")
    monkeypatch.setattr(tabular, "MAX_ZIP_ENTRIES", 50)  # the one zip check (app.core.tabular.check_zip)
    report = json.loads(run(runner, tmp_path, many.getvalue(), "--bank", "bomb").output)
    assert "条目过多" in report["errors"][0]["message"]
    assert db.session.scalar(select(func.count()).select_from(Question)) == 0


def test_docx_template_downloads_from_the_import_page_and_imports_cleanly(client, login_as, runner, tmp_path):
    teacher = login_as("teacher")
    bank = services.create_bank(key="muban", name="钳工题库", school_id=teacher.school_id, actor=teacher)
    db.session.commit()
    page = client.get(f"/questions/banks/{bank.id}/import").get_data(as_text=True)
    link = re.search(r'href="([^"]+)" data-testid="docx-template"', page).group(1)
    response = client.get(link)
    assert response.status_code == 200 and response.data[:2] == b"PK"
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    report = json.loads(run(runner, tmp_path, response.data, "--bank", "muban2", "--dry-run").output)
    assert report["errors"] == [] and len(report["questions"]) == 6
    # The import page previews a Word file and shows errors by paragraph.
    url = f"/questions/banks/{bank.id}/import"
    preview = client.form(url, {"file": (io.BytesIO(response.data), "模板.docx"), "format": "auto"},
                          token_from=url, content_type="multipart/form-data")
    assert preview.status_code == 200 and preview.get_data(as_text=True).count('data-testid="preview-row"') == 6
    lines = list(BANK)
    lines[4] = "答案：E"
    refused = client.form(url, {"file": (io.BytesIO(make_docx(lines)), "q.docx"), "format": "docx"},
                          token_from=url, content_type="multipart/form-data")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "第 3 段" in page and "确认导入" not in page
