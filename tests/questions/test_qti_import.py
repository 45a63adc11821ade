"""QTI 3.0 and 2.1: items and content packages imported through the CLI (detected or ``--format qti``),
interactions we cannot represent refused by name while the rest is imported, unsafe packages refused, and a
bank exported as a QTI 3.0 package that is well-formed, namespaced, lists every file, and re-imports here
without loss."""
from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

from defusedxml.ElementTree import fromstring
from sqlalchemy import func, select

from app.extensions import db
from app.questions.models import Question, QuestionFile
from tests.conftest import require_or_skip
from tests.questions.test_docx_import import make_docx

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "conformance"
QTI3 = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
CP3 = "http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1"


def run(runner, path: Path, *args):
    result = runner.invoke(args=["questions", "import", str(path), "--json", *args])
    return result.exit_code, json.loads(result.output)


def write(tmp_path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def package(files: dict[str, bytes | str], manifest: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("imsmanifest.xml", manifest)
        for name, content in files.items():
            zf.writestr(name, content)
    return out.getvalue()


def manifest(*resources: tuple[str, list[str]]) -> str:
    body = "".join(f'<resource identifier="r{i}" type="imsqti_item_xmlv3p0" href="{href}">'
                   + "".join(f'<file href="{f}"/>' for f in [href, *files]) + "</resource>"
                   for i, (href, files) in enumerate(resources))
    return f'<manifest xmlns="{CP3}" identifier="m"><organizations/><resources>{body}</resources></manifest>'


ITEM = (f'<qti-assessment-item xmlns="{QTI3}" identifier="{{id}}" title="{{title}}" adaptive="false" '
        'time-dependent="false"><qti-response-declaration identifier="RESPONSE" cardinality="single" '
        'base-type="identifier"><qti-correct-response><qti-value>B</qti-value></qti-correct-response>'
        '</qti-response-declaration><qti-item-body><p>扳手的用途？<img src="{src}" alt=""/></p>'
        '<qti-choice-interaction response-identifier="RESPONSE" max-choices="1">'
        '<qti-simple-choice identifier="A">焊接</qti-simple-choice>'
        '<qti-simple-choice identifier="B">拧螺栓</qti-simple-choice></qti-choice-interaction>'
        '</qti-item-body></qti-assessment-item>')
ORDER = (f'<qti-assessment-item xmlns="{QTI3}" identifier="ord" title="排序" adaptive="false" time-dependent="false">'
         '<qti-item-body><qti-order-interaction response-identifier="RESPONSE">'
         '<qti-simple-choice identifier="A">一</qti-simple-choice></qti-order-interaction></qti-item-body>'
         '</qti-assessment-item>')


def test_shared_conformance_qti21_and_qti30_files_import_or_refuse_by_name(runner, tmp_path):
    require_or_skip(CORPUS.is_dir(), f"conformance corpus not found at {CORPUS}")
    expected = {"choice.xml": "single_choice", "choice_multiple.xml": "multiple_choice",
                "extended_text.xml": "essay", "gap_match.xml": "fill_blank", "inline_choice.xml": "single_choice",
                "match.xml": "matching", "text_entry.xml": "fill_blank"}
    for version in ("qti21", CORPUS / "qti30" / "items"):
        folder = CORPUS / version
        for name, qtype in expected.items():
            code, report = run(runner, folder / name, "--bank", "qti", "--dry-run")
            assert code == 0 and report["format"] == "qti", (folder, name, report["errors"])
            assert [q["type"] for q in report["questions"]] == [qtype], (folder, name)
        code, report = run(runner, folder / "order.xml", "--bank", "qti", "--dry-run")
        assert code == 1 and "不支持的 QTI 交互：orderInteraction" in report["errors"][0]["message"]
    # map_response weights: H and O right, Cl costs (QTI 3.0 choice_multiple: H=1 O=1 Cl=-1).
    _, report = run(runner, CORPUS / "qti30" / "items" / "choice_multiple.xml", "--bank", "qti", "--dry-run")
    weighted = report["questions"][0]
    assert [a["fraction"] for a in weighted["answers"]] == [0.5, 0.0, 0.0, 0.5, 0.0, -0.5]
    assert weighted["scoring"] == "fractions" and weighted["name"] == "Composition of Water"
    _, report = run(runner, CORPUS / "qti21" / "text_entry.xml", "--bank", "qti", "--dry-run")
    assert [(a["text"], a["fraction"]) for a in report["questions"][0]["answers"]] == [("York", 1.0), ("york", 0.5)]
    # Numeric text entry (ONYX test) -> 数值.
    sachsen = CORPUS / "qti21" / "tests" / "interaction_mix_sachsen"
    _, report = run(runner, sachsen / "TextEntrynumeric_770468849.xml", "--bank", "qti", "--dry-run")
    assert report["questions"][0]["type"] == "numerical"
    # A package: the picture is stored through the upload service; the unsupported items are named, the rest
    # imported.
    code, report = run(runner, CORPUS / "qti30" / "packages" / "simple" / "simple.zip", "--bank", "qti")
    assert code == 0 and report["imported"] == 1
    stored = db.session.scalar(select(QuestionFile))
    assert stored is not None and stored.content_type == "image/png"
    code, report = run(runner, CORPUS / "qti30" / "packages" / "test_package_minfiles" / "test_package_minfiles.zip",
                       "--bank", "qti-min", "--format", "qti")
    assert code == 0 and [q["type"] for q in report["questions"]] == ["single_choice", "multiple_choice"]
    assert any("hotspotInteraction" in w for w in report["warnings"])


def test_qti_package_imports_the_rest_and_names_each_refused_interaction(runner, tmp_path):
    data = package({"items/a.xml": ITEM.format(id="a1", title="扳手", src="../img/w.png"), "items/o.xml": ORDER},
                   manifest(("items/a.xml", []), ("items/o.xml", [])))
    code, report = run(runner, write(tmp_path, "p.zip", data), "--bank", "mix")
    assert code == 0 and report["imported"] == 1 and report["questions"][0]["id_number"] == "a1"
    assert report["warnings"] == ["items/o.xml：不支持的 QTI 交互：orderInteraction，这道题没有导入。"]
    assert db.session.scalar(select(func.count()).select_from(Question)) == 1


def test_qti_unsafe_packages_and_items_are_refused_and_nothing_imported(runner, tmp_path):
    item = ITEM.format(id="a1", title="扳手", src="w.png")
    climbing = package({"items/a.xml": item}, manifest(("items/a.xml", ["../../etc/passwd"])))
    code, report = run(runner, write(tmp_path, "up.zip", climbing), "--bank", "bad")
    assert code == 1 and "不安全" in report["errors"][0]["message"] and "../../etc/passwd" in report["errors"][0]["message"]
    missing = package({"items/a.xml": item}, manifest(("items/a.xml", []), ("items/gone.xml", [])))
    code, report = run(runner, write(tmp_path, "missing.zip", missing), "--bank", "bad")
    assert code == 1 and "items/gone.xml" in report["errors"][0]["message"] and "不在压缩包中" in report["errors"][0]["message"]
    xxe = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
           + ITEM.format(id="a1", title="&e;", src="w.png"))
    code, report = run(runner, write(tmp_path, "xxe.xml", xxe.encode()), "--bank", "bad", "--format", "qti")
    assert code == 1 and "外部实体" in report["errors"][0]["message"]
    in_package = package({"items/a.xml": xxe}, manifest(("items/a.xml", [])))
    code, report = run(runner, write(tmp_path, "xxe.zip", in_package), "--bank", "bad")
    assert code == 1 and "外部实体" in report["errors"][0]["message"]
    assert db.session.scalar(select(func.count()).select_from(Question)) == 0


BANK_JSON = {"questions": [
    {"type": "single_choice", "text": "单选：扳手用来？", "category": "钳工/工具", "tags": ["工具", "期末"],
     "difficulty": 2, "points": 2, "explanation": "拧螺栓。", "id_number": "Q-1", "shuffle": False,
     "answers": [{"text": "拧螺栓", "fraction": 1}, {"text": "焊接", "fraction": 0, "feedback": "不对"}]},
    {"type": "multiple_choice", "text": "多选：防护用品", "scoring": "fractions", "points": 3,
     "answers": [{"text": "安全帽", "fraction": 0.6}, {"text": "护目镜", "fraction": 0.4},
                 {"text": "扳手", "fraction": -0.5}]},
    {"type": "multiple_choice", "text": "多选：全对才得分", "scoring": "all_or_nothing",
     "answers": [{"text": "甲", "fraction": 0.5}, {"text": "乙", "fraction": 0.5}, {"text": "丙", "fraction": 0}]},
    {"type": "true_false", "text": "判断：砂轮机要戴护目镜。", "general_feedback": "安全第一",
     "answers": [{"text": "True", "fraction": 1}, {"text": "False", "fraction": 0}]},
    {"type": "fill_blank", "text": "填空：游标卡尺由____和____组成。", "case_sensitive": True,
     "answers": [{"text": "主尺", "fraction": 1, "blank": 1}, {"text": "尺身", "fraction": 0.5, "blank": 1},
                 {"text": "游标", "fraction": 1, "blank": 2}]},
    {"type": "numerical", "text": "数值：g=?", "answers": [{"text": "9.8", "fraction": 1, "tolerance": 0.1}]},
    {"type": "matching", "text": "匹配：工具与用途",
     "pairs": [{"prompt": "万用表", "answer": "测电压"}, {"prompt": "扳手", "answer": "拧螺栓"},
               {"prompt": "", "answer": "焊接"}]},
    {"type": "essay", "text": "简答：划线的作用。", "grader_info": "确定加工位置。", "points": 10},
    {"type": "description", "text": "以下为说明材料。"},
]}


def bank_json(runner, tmp_path, key: str) -> list[dict]:
    path = tmp_path / f"{key}.json"
    result = runner.invoke(args=["questions", "export", "--bank", key, "--format", "json", "-o", str(path)])
    assert result.exit_code == 0, result.output
    questions = json.loads(path.read_text("utf-8"))["questions"]
    text = json.dumps(questions, ensure_ascii=False)
    return json.loads(re.sub(r"/questions/files/\d+", "FILE", text))


def test_qti3_export_is_a_well_formed_package_that_reimports_without_loss(runner, tmp_path):
    code, report = run(runner, write(tmp_path, "bank.json", json.dumps(BANK_JSON, ensure_ascii=False).encode()),
                       "--bank", "origin")
    assert code == 0, report["errors"]
    # A picture in a stem and in an option (from Word).
    lines = ["一、单选题", "1. 看图：", "A. ", "B. 螺母", "答案：A"]
    code, report = run(runner, write(tmp_path, "pic.docx", make_docx(lines, picture_in={1: "", 2: ""})),
                       "--bank", "origin")
    assert code == 0, report["errors"]
    out = tmp_path / "bank.zip"
    result = runner.invoke(args=["questions", "export", "--bank", "origin", "--format", "qti3", "-o", str(out)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
        root = fromstring(zf.read("imsmanifest.xml"), forbid_dtd=True)
        assert root.tag == f"{{{CP3}}}manifest"
        resources = root.findall(f".//{{{CP3}}}resource")
        listed = {f.get("href") for f in root.iter(f"{{{CP3}}}file")}
        assert listed == names - {"imsmanifest.xml"}  # every file listed, nothing listed that is missing
        items = [r for r in resources if r.get("type") == "imsqti_item_xmlv3p0"]
        assert len(items) == 10
        assert any(r.get("type") == "webcontent" for r in resources)
        for resource in items:
            item = fromstring(zf.read(resource.get("href")), forbid_dtd=True)
            assert item.tag == f"{{{QTI3}}}qti-assessment-item"
            assert item.find(f"{{{QTI3}}}qti-item-body") is not None
    code, report = run(runner, out, "--bank", "copy")
    assert code == 0 and report["format"] == "qti" and report["imported"] == 10, report["errors"]
    assert bank_json(runner, tmp_path, "copy") == bank_json(runner, tmp_path, "origin")
    assert db.session.scalar(select(func.count()).select_from(QuestionFile).where(QuestionFile.bank_id.isnot(None))) >= 2
    # Importing the package again creates nothing.
    code, report = run(runner, out, "--bank", "copy")
    assert report["created"] == 0 and report["unchanged"] == 10


def test_qti3_export_standard_parts_alone_read_back_as_the_same_questions(runner, tmp_path):
    """What another QTI 3.0 consumer reads (without our GX_QUESTION copy): the same types and right answers."""
    run(runner, write(tmp_path, "bank.json", json.dumps(BANK_JSON, ensure_ascii=False).encode()), "--bank", "std")
    out = tmp_path / "std.zip"
    runner.invoke(args=["questions", "export", "--bank", "std", "--format", "qti3", "-o", str(out)])
    stripped = io.BytesIO()
    with zipfile.ZipFile(out) as zf, zipfile.ZipFile(stripped, "w") as target:
        for name in zf.namelist():
            content = zf.read(name).decode("utf-8")
            target.writestr(name, re.sub(r'<qti-outcome-declaration identifier="GX_QUESTION".*?'
                                         r"</qti-outcome-declaration>", "", content, flags=re.S))
    code, report = run(runner, write(tmp_path, "stripped.zip", stripped.getvalue()), "--bank", "std2", "--dry-run")
    assert code == 0, report["errors"]
    from app.questions.sanitize import html_to_text

    got = {html_to_text(q["text"]).split("：")[0]: q for q in report["questions"]}
    assert {k: q["type"] for k, q in got.items()} == {
        "单选": "single_choice", "多选": "multiple_choice", "判断": "single_choice", "填空": "fill_blank",
        "数值": "numerical", "匹配": "matching", "简答": "essay", "以下为说明材料。": "description"}
    assert [a["fraction"] for a in got["多选"]["answers"]] in ([0.6, 0.4, -0.5], [0.5, 0.5, 0.0])
    weighted = next(q for q in report["questions"] if "防护用品" in q["text"])
    assert [a["fraction"] for a in weighted["answers"]] == [0.6, 0.4, -0.5] and weighted["scoring"] == "fractions"
    first = got["单选"]
    assert [a["fraction"] for a in first["answers"]] == [1.0, 0.0] and first["points"] == 2.0
    assert [a["fraction"] for a in got["判断"]["answers"]] == [1.0, 0.0]
    assert [(a["text"], a["fraction"], a["blank"]) for a in got["填空"]["answers"]] == [
        ("主尺", 1.0, 1), ("尺身", 0.5, 1), ("游标", 1.0, 2)]
    assert got["数值"]["answers"][0]["text"] == "9.8"
    assert got["匹配"]["pairs"] == [{"prompt": "万用表", "answer": "测电压"}, {"prompt": "扳手", "answer": "拧螺栓"},
                                   {"prompt": "", "answer": "焊接"}]


def test_bank_page_offers_the_qti3_download(client, login_as, runner, tmp_path):
    from app.questions import services

    teacher = login_as("teacher")
    bank = services.create_bank(key="web-qti", name="电工题库", school_id=teacher.school_id, actor=teacher)
    db.session.commit()
    run(runner, write(tmp_path, "bank.json", json.dumps(BANK_JSON, ensure_ascii=False).encode()), "--bank", "web-qti")
    page = client.get(f"/questions/banks/{bank.id}").get_data(as_text=True)
    assert f"/questions/banks/{bank.id}/export/qti3" in page and "QTI 3.0" in page
    response = client.get(f"/questions/banks/{bank.id}/export/qti3")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert ".zip" in response.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(response.data)) as zf:
        assert len([n for n in zf.namelist() if n.startswith("items/")]) == len(BANK_JSON["questions"])
