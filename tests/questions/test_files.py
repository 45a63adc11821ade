"""Excel, Aiken, Moodle XML and JSON imports, including hostile files."""
from __future__ import annotations

import base64
import io
import json
import zipfile

import openpyxl
from sqlalchemy import func, select

from app.extensions import db
from app.questions.models import Question, QuestionFile
from tests.questions.test_gift import run_import


def xlsx(rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text that looks like a formula, as pasted from another system
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_excel_with_a_common_chinese_layout(runner, tmp_path):
    data = xlsx([
        ["序号", "题目类型", "试题内容", "A", "B", "C", "D", "参考答案", "解析", "难度", "考点", "分数"],
        [1, "单项选择题", "拧紧轮胎螺栓用", "扭力扳手", "锤子", "", "", "A", "力矩", "易", "底盘>轮胎", "2分"],
        [2, "多选题", "防护用品有", "安全帽", "扳手", "眼镜", "手套", "A；C；D", "", 4, "安全", 3],
        [3, "多选", "再一题", "a", "b", "c", "", "A,B", "", "", "", ""],
        [4, "判断题", "砂轮机可以不戴眼镜", "", "", "", "", "×", "", "", "", ""],
        [5, "判断", "扳手是工具", "", "", "", "", "正确", "", "", "", ""],
        [6, "判断", "T/F 也可以", "", "", "", "", "T", "", "", "", ""],
        [7, "填空题", "测电压并联，测电流（ ）联", "", "", "", "", "串|串联", "", "", "", ""],
        [8, "简答题", "简述换机油步骤", "", "", "", "", "放油、换滤芯、加油", "", "", "", 10],
        [9, "计算题", "计算功率", "", "", "", "", "", "", "", "", 5],
    ])
    result = run_import(runner, tmp_path, data, "--bank", "xl", "--json", name="题库.xlsx")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    qs = report["questions"]
    assert report["format"] == "xlsx" and len(qs) == 9
    assert [q["type"] for q in qs] == ["single_choice", "multiple_choice", "multiple_choice", "true_false",
                                       "true_false", "true_false", "fill_blank", "essay", "essay"]
    assert qs[0]["category"] == "底盘/轮胎" and qs[0]["points"] == 2.0 and qs[0]["difficulty"] == 2
    assert qs[0]["explanation"] == "力矩"
    assert [a["fraction"] > 0 for a in qs[1]["answers"]] == [True, False, True, True]
    assert [a["fraction"] > 0 for a in qs[2]["answers"]] == [True, True, False]
    assert [(a["text"], a["fraction"]) for a in qs[3]["answers"]] == [("对", 0.0), ("错", 1.0)]
    assert qs[4]["answers"][0]["fraction"] == 1.0 and qs[5]["answers"][0]["fraction"] == 1.0
    assert [a["text"] for a in qs[6]["answers"]] == ["串", "串联"]
    assert qs[7]["points"] == 10.0


def test_excel_single_options_cell_and_row_errors(runner, tmp_path):
    data = xlsx([
        ["题型", "题干", "选项", "正确答案"],
        ["单选", "单元格里的选项", "A.电压 B.电流 C.电阻", "C"],
        ["单选", "换行分隔", "A、甲\nB、乙", "B"],
        ["单选", "答案越界", "A.x B.y", "E"],
        ["判断", "看不懂的判断", "", "也许"],
        ["奇怪题型", "x", "", ""],
    ])
    result = run_import(runner, tmp_path, data, "--bank", "xl2", "--json", name="q.xlsx")
    report = json.loads(result.output)
    assert result.exit_code == 1 and report["imported"] == 0
    assert [e["row"] for e in report["errors"]] == [4, 5, 6]
    assert [a["text"] for a in report["questions"][0]["answers"]] == ["电压", "电流", "电阻"]
    assert report["questions"][1]["answers"][1]["fraction"] == 1.0
    assert db.session.scalar(select(func.count()).select_from(Question)) == 0


def test_excel_template_has_dropdowns_and_round_trips(client, login_as, runner, tmp_path):
    login_as("teacher")
    response = client.get("/questions/template.xlsx")
    assert response.status_code == 200 and "filename*=UTF-8''" in response.headers["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    sheet = workbook["题目"]
    validations = [str(v.formula1) for v in sheet.data_validations.dataValidation]
    assert any("单选" in f and "多选" in f and "判断" in f for f in validations)
    assert any("1,2,3,4,5" in f for f in validations)
    result = run_import(runner, tmp_path, response.data, "--bank", "tpl", "--json", name="t.xlsx")
    report = json.loads(result.output)
    assert result.exit_code == 0, report["errors"]
    assert {q["type"] for q in report["questions"]} == {"single_choice", "multiple_choice", "true_false",
                                                        "fill_blank", "numerical", "matching", "essay"}


def test_excel_export_neutralises_formulas(runner, tmp_path):
    data = xlsx([["题型", "题干", "选项A", "选项B", "正确答案"], ["单选", "=HYPERLINK(\"http://x\")", "+1", "@SUM(A1)", "A"]])
    assert run_import(runner, tmp_path, data, "--bank", "formula", name="f.xlsx").exit_code == 0
    out = tmp_path / "out.xlsx"
    assert runner.invoke(args=["questions", "export", "--bank", "formula", "--format", "xlsx", "-o", str(out)]).exit_code == 0
    sheet = openpyxl.load_workbook(out).active
    values = [c.value for c in sheet[2]]
    assert values[1].startswith("'=") and values[2] == "'+1" and values[3].startswith("'@")
    again = json.loads(run_import(runner, tmp_path, out.read_bytes(), "--bank", "formula", "--json",
                                  name="out.xlsx").output)
    assert again["unchanged"] == 1 and again["created"] == 0  # the quote is taken off again on import


def test_xlsx_zip_bomb_is_refused(runner, tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (200 * 1024 * 1024))
    data = buffer.getvalue()
    assert len(data) < 400 * 1024
    result = run_import(runner, tmp_path, data, "--bank", "bomb", "--json", name="bomb.xlsx")
    report = json.loads(result.output)
    assert result.exit_code == 1 and report["imported"] == 0
    assert "压缩" in report["errors"][0]["message"] or "过大" in report["errors"][0]["message"]


def empty_rows_workbook(rows: int) -> bytes:
    """One question, then ``rows`` formatted but empty rows, as Excel saves a sheet someone scrolled through."""
    cells = ('<row r="1"><c r="A1" t="inlineStr"><is><t>题型</t></is></c><c r="B1" t="inlineStr"><is><t>题干</t></is></c>'
             '<c r="C1" t="inlineStr"><is><t>选项A</t></is></c><c r="D1" t="inlineStr"><is><t>选项B</t></is></c>'
             '<c r="E1" t="inlineStr"><is><t>正确答案</t></is></c></row>'
             '<row r="2"><c r="A2" t="inlineStr"><is><t>单选</t></is></c><c r="B2" t="inlineStr"><is><t>只有一道题</t></is></c>'
             '<c r="C2" t="inlineStr"><is><t>甲</t></is></c><c r="D2" t="inlineStr"><is><t>乙</t></is></c>'
             '<c r="E2" t="inlineStr"><is><t>A</t></is></c></row>')
    empty = "".join(f'<row r="{n}"><c r="A{n}" s="0"/></row>' for n in range(3, rows + 3))
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    parts = {
        "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '</Types>',
        "_rels/.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<?xml version="1.0"?><workbook {ns} {rel}><sheets><sheet name="题目" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": f'<?xml version="1.0"?><worksheet {ns}><sheetData>{cells}{empty}</sheetData></worksheet>',
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_xlsx_with_100000_empty_rows(runner, tmp_path):
    result = run_import(runner, tmp_path, empty_rows_workbook(100_000), "--bank", "empty-rows", "--json", name="e.xlsx")
    report = json.loads(result.output)
    assert result.exit_code == 0, report["errors"]
    assert len(report["questions"]) == 1


AIKEN = """A) 孤立的选项
选项后没有 ANSWER 的题
A) 一
这是第一题
A) 甲
B) 乙
ANSWER: B
只有一个选项的题
A. 仅此一项
ANSWER: A
答案越界的题
A) 甲
B) 乙
ANSWER: D
忘了写答案的题
A) 甲
B) 乙
下一题
A) 丙
B) 丁
ANSWER: A
ANSWER: A
结尾没有答案
A) x
B) y
"""


def test_aiken_errors_name_their_lines(runner, tmp_path):
    result = run_import(runner, tmp_path, AIKEN, "--bank", "aiken", "--json", "--format", "aiken", name="a.txt")
    report = json.loads(result.output)
    assert result.exit_code == 1
    assert [e["line"] for e in report["errors"]] == [1, 2, 10, 14, 15, 22, 23]
    good = "这是第一题" + AIKEN.split("只有一个选项的题")[0].split("这是第一题")[1]
    ok = run_import(runner, tmp_path, good, "--bank", "aiken", "--json", name="b.txt")
    report = json.loads(ok.output)
    assert ok.exit_code == 0 and report["format"] == "aiken"
    assert [(a["text"], a["fraction"]) for a in report["questions"][0]["answers"]] == [("甲", 0.0), ("乙", 1.0)]


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE quiz [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<quiz><question type="essay"><name><text>&xxe;</text></name><questiontext><text>&xxe;</text></questiontext></question></quiz>
"""
LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<quiz><question type="essay"><questiontext><text>&lol4;</text></questiontext></question></quiz>
"""


def test_moodle_xml_entities_are_refused(runner, tmp_path):
    for name, data in (("xxe.xml", XXE), ("laughs.xml", LAUGHS)):
        result = run_import(runner, tmp_path, data, "--bank", "xml-attack", "--json", name=name)
        report = json.loads(result.output)
        assert result.exit_code == 1 and report["imported"] == 0 and report["questions"] == []
        assert "DTD" in report["errors"][0]["message"]
        assert "root:" not in result.output


PNG = base64.b64encode(
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde\x00\x00"
    b"\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82").decode()
MOODLE_XML = f"""<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="category"><category><text>$course$/top/电工/仪表</text></category></question>
  <question type="multichoice">
    <name><text>看图</text></name>
    <questiontext format="html"><text><![CDATA[<p>图中是什么？<img src="@@PLUGINFILE@@/meter.png"><script>x()</script></p>]]></text>
      <file name="meter.png" path="/" encoding="base64">{PNG}</file></questiontext>
    <defaultgrade>2</defaultgrade><idnumber>XML-1</idnumber><single>true</single>
    <answer fraction="100" format="html"><text>万用表</text><feedback format="html"><text>对</text></feedback></answer>
    <answer fraction="0" format="html"><text>扳手</text></answer>
    <tags><tag><text>仪表</text></tag></tags>
  </question>
  <question type="shortanswer"><name><text>sa</text></name><questiontext format="html"><text>电阻单位</text></questiontext>
    <usecase>0</usecase><answer fraction="100"><text>欧姆</text></answer><answer fraction="50"><text>Ω</text></answer></question>
  <question type="numerical"><name><text>num</text></name><questiontext format="html"><text>g?</text></questiontext>
    <answer fraction="100"><text>9.8</text><tolerance>0.1</tolerance></answer><answer fraction="0"><text>*</text></answer></question>
  <question type="match"><name><text>m</text></name><questiontext format="html"><text>配对</text></questiontext>
    <subquestion format="html"><text>V</text><answer><text>电压</text></answer></subquestion>
    <subquestion format="html"><text>A</text><answer><text>电流</text></answer></subquestion>
    <subquestion format="html"><text></text><answer><text>电阻</text></answer></subquestion></question>
  <question type="essay"><name><text>e</text></name><questiontext format="html"><text>拍照上传</text></questiontext>
    <responseformat>noinline</responseformat><attachments>2</attachments><attachmentsrequired>1</attachmentsrequired></question>
  <question type="truefalse"><name><text>tf</text></name><questiontext format="html"><text>对吗</text></questiontext>
    <answer fraction="0"><text>true</text><feedback><text>不对</text></feedback></answer>
    <answer fraction="100"><text>false</text><feedback><text>对了</text></feedback></answer></question>
</quiz>
"""


def test_moodle_xml_with_embedded_picture(runner, tmp_path, app):
    result = run_import(runner, tmp_path, MOODLE_XML, "--bank", "xml", "--json", name="q.xml")
    report = json.loads(result.output)
    assert result.exit_code == 0, report["errors"]
    assert [q["type"] for q in report["questions"]] == ["single_choice", "fill_blank", "numerical", "matching",
                                                        "essay", "true_false"]
    assert report["questions"][0]["category"] == "电工/仪表" and report["questions"][0]["points"] == 2.0
    assert report["questions"][1]["answers"][1]["fraction"] == 0.5
    assert report["questions"][3]["pairs"][2] == {"prompt": "", "answer": "电阻"}
    stored = db.session.scalar(select(Question).where(Question.id_number == "XML-1"))
    record = db.session.scalars(select(QuestionFile)).one()
    assert record.content_type == "image/png"
    assert f'src="/questions/files/{record.id}"' in stored.current_version.text
    assert "<script>" not in stored.current_version.text and "@@PLUGINFILE@@" not in stored.current_version.text
    essay = db.session.scalar(select(Question).where(Question.type == "essay")).current_version.data
    assert essay["response_format"] == "none" and essay["attachments"] == 2 and essay["require_attachment"]
    again = json.loads(run_import(runner, tmp_path, MOODLE_XML, "--bank", "xml", "--json", name="q.xml").output)
    assert again["created"] == 0 and db.session.scalar(select(func.count()).select_from(QuestionFile)) == 1


def test_cloze_alone_is_refused_with_a_clear_message(runner, tmp_path):
    data = ('<?xml version="1.0"?><quiz><question type="cloze"><name><text>c</text></name>'
            '<questiontext><text>{1:SHORTANSWER:=a}</text></questiontext></question></quiz>')
    report = json.loads(run_import(runner, tmp_path, data, "--bank", "cloze", "--json", name="c.xml").output)
    assert "Cloze" in report["warnings"][0] and "“c”" in report["warnings"][0]
    assert report["imported"] == 0 and report["errors"][0]["message"]


def test_json_format_round_trip_of_the_cli_output(runner, tmp_path):
    first = run_import(runner, tmp_path, "::a::题一{=甲 ~乙}\n\n::b::题二{F}\n", "--bank", "j1", "--json")
    document = first.output
    result = run_import(runner, tmp_path, document, "--bank", "j2", "--json", name="q.json")
    report = json.loads(result.output)
    assert result.exit_code == 0 and report["format"] == "json" and report["imported"] == 2
    bad = run_import(runner, tmp_path, '{"questions": [{"type": "nope", "text": "x"}]}', "--bank", "j3", "--json",
                     name="bad.json")
    assert bad.exit_code == 1 and json.loads(bad.output)["errors"][0]["row"] == 1


def test_unknown_binary_file_is_refused(runner, tmp_path):
    result = run_import(runner, tmp_path, b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "--bank", "png", "--json", name="x.png")
    assert result.exit_code == 1 and json.loads(result.output)["errors"][0]["message"]
