"""Writing Moodle XML (the subset our types use), readable by Moodle and by our reader."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from app.questions.formats import split_path


def _text(parent, tag: str, value: str, fmt: str | None = "html"):
    element = ET.SubElement(parent, tag, {"format": fmt} if fmt else {})
    ET.SubElement(element, "text").text = value or ""
    return element


def _answer(parent, a: dict, fmt: str | None = "html"):
    element = ET.SubElement(parent, "answer", {"fraction": f"{a['fraction'] * 100:g}", **({"format": fmt} if fmt else {})})
    ET.SubElement(element, "text").text = a["text"]
    if a.get("tolerance") is not None:
        ET.SubElement(element, "tolerance").text = f"{a['tolerance']:g}"
    _text(element, "feedback", a.get("feedback") or "")
    return element


def _choice(el, q):
    ET.SubElement(el, "single").text = "true" if q["type"] == "single_choice" else "false"
    ET.SubElement(el, "shuffleanswers").text = "true" if q.get("shuffle", True) else "false"
    for a in q["answers"]:
        _answer(el, a)


def _true_false(el, q):
    for a in q["answers"]:
        _answer(el, {**a, "text": "true" if a["text"].lower() in ("true", "对") else "false"}, "moodle_auto_format")


def _fill_blank(el, q):
    ET.SubElement(el, "usecase").text = "1" if q.get("case_sensitive") else "0"
    for a in q["answers"]:
        _answer(el, {**a, "tolerance": None}, "moodle_auto_format")


def _numerical(el, q):
    for a in q["answers"]:
        _answer(el, a, "moodle_auto_format")


def _matching(el, q):
    for pair in q["pairs"]:
        sub = _text(el, "subquestion", pair["prompt"])
        ET.SubElement(ET.SubElement(sub, "answer"), "text").text = pair["answer"]


def _essay(el, q):
    ET.SubElement(el, "responseformat").text = "noinline" if q.get("response_format") == "none" else "editor"
    ET.SubElement(el, "attachments").text = str(q.get("attachments", 0))
    ET.SubElement(el, "attachmentsrequired").text = "1" if q.get("require_attachment") else "0"
    _text(el, "graderinfo", q.get("grader_info") or "")
    _text(el, "responsetemplate", q.get("response_template") or "")


#: our type -> (Moodle type, writer of the type-specific elements)
WRITERS = {"single_choice": ("multichoice", _choice), "multiple_choice": ("multichoice", _choice),
           "true_false": ("truefalse", _true_false), "fill_blank": ("shortanswer", _fill_blank),
           "numerical": ("numerical", _numerical), "matching": ("match", _matching),
           "essay": ("essay", _essay), "description": ("description", lambda el, q: None)}


def write(questions: list[dict]) -> bytes:
    quiz = ET.Element("quiz")
    category = None
    for q in questions:
        if q.get("category", "") != category:
            category = q.get("category", "")
            cat = ET.SubElement(quiz, "question", {"type": "category"})
            path = "/".join(["$course$", "top", *split_path(category)])
            ET.SubElement(ET.SubElement(cat, "category"), "text").text = path
        kind, writer = WRITERS[q["type"]]
        el = ET.SubElement(quiz, "question", {"type": kind})
        ET.SubElement(ET.SubElement(el, "name"), "text").text = q["name"]
        _text(el, "questiontext", q["text"])
        _text(el, "generalfeedback", q.get("general_feedback") or "")
        ET.SubElement(el, "defaultgrade").text = f"{q.get('points') or 0:g}"
        ET.SubElement(el, "idnumber").text = q.get("id_number") or ""
        writer(el, q)
        if q.get("tags"):
            tags = ET.SubElement(el, "tags")
            for tag in q["tags"]:
                ET.SubElement(ET.SubElement(tags, "tag"), "text").text = tag
    ET.indent(quiz)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(quiz, encoding="utf-8", xml_declaration=False)
