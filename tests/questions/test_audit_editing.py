"""Editing an imported question in the form keeps what the form does not show: partial credit, penalties and
per-answer feedback (fixing a typo must not change how the question is graded)."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.questions import importing
from app.questions.models import Question
from tests.questions.test_pages import make_bank

GIFT = """::多选::选出防护用品 {~%50%护目镜#对，要戴 ~%50%手套 ~%-100%拖鞋#危险}

::单选::优先使用 {=扭矩扳手#正确 ~%50%套筒扳手#部分正确 ~锤子}

::填空::力矩单位是 {=Nm =%50%N#差一点}

::数值::圆周率 {#3.14:0.01#好 =%50%3:0.2}
"""


def _import(bank):
    report = importing.import_file("q.gift", GIFT.encode(), bank_key=bank.key)
    assert report.ok, report.errors
    db.session.commit()
    return {q.name: q for q in db.session.scalars(select(Question).where(Question.bank_id == bank.id))}


def _edit(client, question, fields):
    url = f"/questions/{question.id}/edit"
    data = {"text": "修订后的题干", "difficulty": "3", "knowledge_point_id": "0", "points": "1",
            "version": str(question.current_version.number), **fields}
    response = client.form(url, data, token_from=url)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    db.session.expire_all()
    return question.current_version.data


def test_editing_the_wording_keeps_imported_grading_details(client, login_as):
    teacher = login_as("teacher")
    bank = make_bank(teacher, key="imported")
    db.session.commit()
    qs = _import(bank)

    multi = _edit(client, qs["多选"], {"option_a": "护目镜", "option_b": "手套", "option_c": "拖鞋",
                                       "correct": ["A", "B"], "scoring": "fractions", "shuffle": "y"})
    assert [(o["fraction"], o["feedback"]) for o in multi["options"]] == [(0.5, "对，要戴"), (0.5, ""), (-1.0, "危险")]

    single = _edit(client, qs["单选"], {"option_a": "扭矩扳手", "option_b": "套筒扳手", "option_c": "锤子",
                                        "correct": "A"})
    assert [o["fraction"] for o in single["options"]] == [1.0, 0.5, 0.0]
    assert single["options"][1]["feedback"] == "部分正确"

    blank = _edit(client, qs["填空"], {"blanks": "Nm", "whitespace": "collapse", "normalize_width": "y"})
    assert [(a["text"], a["fraction"]) for a in blank["blanks"][0]["answers"]] == [("Nm", 1.0), ("N", 0.5)]

    number = _edit(client, qs["数值"], {"value": "3.14", "tolerance": "0.01"})
    assert [(a["value"], a["fraction"]) for a in number["answers"]] == [(3.14, 1.0), (3.0, 0.5)]
    assert number["answers"][0]["feedback"] == "好"


def test_changing_the_right_options_resets_shares_but_keeps_penalties(client, login_as):
    teacher = login_as("teacher")
    bank = make_bank(teacher, key="imported2")
    db.session.commit()
    qs = _import(bank)
    multi = _edit(client, qs["多选"], {"option_a": "护目镜", "option_b": "手套", "option_c": "拖鞋", "option_d": "安全帽",
                                       "correct": ["A", "B", "D"], "scoring": "fractions"})
    assert [round(o["fraction"], 4) for o in multi["options"]] == [0.3333, 0.3333, -1.0, 0.3333]


def test_plain_option_text_round_trips_through_the_edit_form(client, login_as):
    teacher = login_as("teacher")
    bank = make_bank(teacher, key="plain-options")
    url = f"/questions/banks/{bank.id}/new/single_choice"
    made = client.form(url, {"text": "安全电压", "option_a": "电压 < 36V & 交流", "option_b": "电压 > 220V",
                             "correct": "A", "difficulty": "3", "knowledge_point_id": "0", "points": "1"},
                       token_from=url)
    assert made.status_code == 302
    question = db.session.scalar(select(Question).where(Question.bank_id == bank.id))
    assert question.current_version.data["options"][0]["text"] == "电压 &lt; 36V &amp; 交流"
    page = client.get(f"/questions/{question.id}/edit").get_data(as_text=True)
    assert 'value="电压 &lt; 36V &amp; 交流"' in page and "&amp;lt;" not in page
