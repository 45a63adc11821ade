"""Moodle XML (docs.moodle.org "Moodle XML format"), read through defusedxml with DTDs forbidden, so
entity expansion (billion laughs) and external entities are refused before anything is expanded.

Categories (``$course$/top/A/B``) become knowledge point paths; embedded ``<file encoding="base64">`` parts
(and the old ``<image>``/``<image_base64>`` pair) are decoded and kept for the importer, which stores them
and rewrites ``@@PLUGINFILE@@/name`` links. Matching is read under both names Moodle uses (``match``,
``matching``), its distractors (a subquestion without text) kept; a numerical ``*`` answer (Moodle's "any
other answer") is kept with its feedback. Cloze (multianswer) and other types we have no equivalent for are
skipped one by one with a warning naming the question, so the rest of the file still imports.
"""
from __future__ import annotations

import base64
import binascii
import re
import xml.etree.ElementTree as ET
from xml.parsers.expat import errors as expat_errors

import defusedxml
from defusedxml.ElementTree import fromstring
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.questions import sanitize
from app.questions.formats import Format, ParseResult, answer, category_path, new_question, register

_FORMATS = {"html": "html", "moodle_auto_format": "auto", "plain_text": "plain", "markdown": "markdown"}
_QUESTION_TAG = re.compile(rb"<question[\s>/]")
_TRUE_WORDS = {"true", "1", "yes"}


class XmlQuestionError(Exception):
    pass


class UnsupportedQuestion(Exception):
    """A question of a type we have no equivalent for: skipped with a warning, the rest is imported."""


def _text(element, path: str = "text") -> str:
    node = element.find(path) if element is not None else None
    return (node.text or "") if node is not None else ""


def _files(element, result: ParseResult) -> None:
    if element is None:
        return
    for node in element.findall("file"):
        name = (node.get("path") or "/").strip("/") + "/" + (node.get("name") or "")
        name = name.lstrip("/")
        try:
            result.files[name] = base64.b64decode((node.text or "").strip(), validate=False)
        except (binascii.Error, ValueError):
            raise XmlQuestionError(_("附件 %(name)s 的 base64 编码已损坏。", name=name)) from None


def _rich(element, result: ParseResult, default: str = "html") -> str:
    """Sanitised HTML of a text-bearing element (``<questiontext format=...><text>``), files collected."""
    if element is None:
        return ""
    _files(element, result)
    fmt = _FORMATS.get(element.get("format") or "", default)
    return sanitize.to_html(_text(element), fmt)


def _number(value: str, what: str) -> float:
    try:
        return float((value or "").strip())
    except ValueError:
        raise XmlQuestionError(_("%(what)s 不是数字：%(value)s", what=what, value=(value or "")[:40])) from None


def _fraction(node) -> float:
    return _number(node.get("fraction") or "0", "fraction") / 100


def _flag(element, tag: str, default: bool) -> bool:
    node = element.find(tag)
    if node is None or node.text is None:
        return default
    return node.text.strip().lower() in _TRUE_WORDS


def _choice(el, q, result):
    for node in el.findall("answer"):
        q["answers"].append(answer(_rich(node, result, "html"), _fraction(node),
                                   _rich(node.find("feedback"), result)))
    single = _flag(el, "single", True)
    q["type"] = "single_choice" if single else "multiple_choice"
    if not single:
        q["scoring"] = "fractions"
    q["shuffle"] = _flag(el, "shuffleanswers", True)


def _truefalse(el, q, result):
    for node in el.findall("answer"):
        word = _text(node).strip().lower()
        q["answers"].append(answer("True" if word == "true" else "False" if word == "false" else word,
                                   _fraction(node), _rich(node.find("feedback"), result)))
    q["type"] = "true_false"


def _shortanswer(el, q, result):
    for node in el.findall("answer"):
        q["answers"].append(answer(_text(node).strip(), _fraction(node), _rich(node.find("feedback"), result)))
    q["case_sensitive"] = _flag(el, "usecase", False)
    q["type"] = "fill_blank"


def _numerical(el, q, result):
    for node in el.findall("answer"):
        value = _text(node).strip()
        if value == "*":
            # Moodle's "any other answer": worth nothing, its feedback shown when no other answer matches.
            q["answers"].append(answer("*", 0.0, _rich(node.find("feedback"), result)))
            continue
        _number(value, _("数值答案"))
        tolerance = abs(_number(_text(node, "tolerance") or "0", "tolerance"))
        q["answers"].append(answer(value, _fraction(node), _rich(node.find("feedback"), result), tolerance))
    q["type"] = "numerical"


def _matching(el, q, result):
    for node in el.findall("subquestion"):
        q["pairs"].append({"prompt": _rich(node, result), "answer": _text(node.find("answer")).strip()})
    q["shuffle"] = _flag(el, "shuffleanswers", True)
    q["type"] = "matching"


def _essay(el, q, result):
    fmt = (_text(el, "responseformat") or el.findtext("responseformat") or "editor").strip()
    q["response_format"] = "none" if fmt == "noinline" else "text"
    attachments = int(_number(el.findtext("attachments") or "0", "attachments"))
    q["attachments"] = max(0, min(20, attachments if attachments >= 0 else 20))
    q["require_attachment"] = int(_number(el.findtext("attachmentsrequired") or "0", "attachmentsrequired")) > 0
    q["grader_info"] = _rich(el.find("graderinfo"), result)
    q["response_template"] = sanitize.html_to_text(_rich(el.find("responsetemplate"), result))
    q["type"] = "essay"


def _description(el, q, result):
    q["type"] = "description"
    q["points"] = 0


_READERS = {"multichoice": _choice, "truefalse": _truefalse, "shortanswer": _shortanswer,
            "numerical": _numerical, "match": _matching, "matching": _matching, "essay": _essay,
            "description": _description}
_REFUSED = {"cloze": "cloze", "multianswer": "cloze"}


def read_question(el, category: str, result: ParseResult) -> dict:
    kind = el.get("type") or ""
    if kind in _REFUSED:
        raise UnsupportedQuestion(_("是完形填空（Cloze / multianswer）题，暂不支持，已跳过；请在 Moodle 中把它拆成"
                                    "填空题或选择题后再导出"))
    if kind not in _READERS:
        raise UnsupportedQuestion(_("是不支持的 Moodle 题型（%(type)s），已跳过", type=kind or "?"))
    text = _rich(el.find("questiontext"), result)
    image = (el.findtext("image") or "").strip()
    image_data = (el.findtext("image_base64") or "").strip()
    if image and image_data:
        try:
            result.files[image] = base64.b64decode(image_data)
        except (binascii.Error, ValueError):
            raise XmlQuestionError(_("附件 %(name)s 的 base64 编码已损坏。", name=image)) from None
        text += f'<p><img src="@@PLUGINFILE@@/{image}" alt=""></p>'
    tags = [t.strip() for t in (node.text or "" for node in el.findall("tags/tag/text")) if t.strip()]
    points = el.findtext("defaultgrade")
    q = new_question(kind, text, name=_text(el.find("name")).strip(), category=category,
                     id_number=(el.findtext("idnumber") or "").strip() or None, tags=tags,
                     points=_number(points, "defaultgrade") if points and points.strip() else None,
                     general_feedback=_rich(el.find("generalfeedback"), result))
    _READERS[kind](el, q, result)
    return q


#: What expat's (English) parse errors mean, in words a teacher exporting from Moodle can act on.
_XML_ERRORS = {
    "XML_ERROR_SYNTAX": _l("语法错误"),
    "XML_ERROR_NO_ELEMENTS": _l("没有找到任何 XML 元素（文件可能是空的或不完整）"),
    "XML_ERROR_INVALID_TOKEN": _l("含有不合法的字符或标记（例如未转义的“<”或“&”）"),
    "XML_ERROR_UNCLOSED_TOKEN": _l("标记没有闭合（文件可能在此处被截断）"),
    "XML_ERROR_PARTIAL_CHAR": _l("字符不完整（文件编码可能有误）"),
    "XML_ERROR_TAG_MISMATCH": _l("结束标签与开始标签不匹配"),
    "XML_ERROR_DUPLICATE_ATTRIBUTE": _l("同一个属性出现了两次"),
    "XML_ERROR_JUNK_AFTER_DOC_ELEMENT": _l("根元素结束后还有多余的内容"),
    "XML_ERROR_UNDEFINED_ENTITY": _l("使用了未定义的实体（例如 &nbsp;，请改为 &#160;）"),
    "XML_ERROR_UNCLOSED_CDATA_SECTION": _l("CDATA 段没有结束"),
    "XML_ERROR_INCORRECT_ENCODING": _l("文件的实际编码与声明的编码不符"),
    "XML_ERROR_UNKNOWN_ENCODING": _l("不支持文件声明的编码"),
    "XML_ERROR_XML_DECL": _l("XML 声明的格式不正确"),
    "XML_ERROR_MISPLACED_XML_PI": _l("XML 声明必须位于文件的最开头"),
    "XML_ERROR_UNBOUND_PREFIX": _l("使用了未声明的命名空间前缀"),
    "XML_ERROR_BAD_CHAR_REF": _l("字符引用指向不允许的字符"),
    "XML_ERROR_INVALID_ARGUMENT": _l("语法错误"),
}
#: expat error code -> message.
_XML_ERROR_CODES = {expat_errors.codes[getattr(expat_errors, key)]: text for key, text in _XML_ERRORS.items()
                    if hasattr(expat_errors, key)}


def xml_error_message(exc: ET.ParseError) -> tuple[int, str]:
    """``(line, Chinese message)`` for an XML parse error: the line and column, and what the error means."""
    line, column = getattr(exc, "position", (1, 0))
    reason = _XML_ERROR_CODES.get(getattr(exc, "code", None)) or _l("语法错误")
    return line, _("XML 格式错误（第 %(line)s 行第 %(column)s 列）：%(reason)s。", line=line, column=column + 1,
                   reason=reason)


def _line_numbers(data: bytes) -> list[int]:
    lines, last, line = [], 0, 1
    for match in _QUESTION_TAG.finditer(data):
        line += data.count(b"\n", last, match.start())
        last = match.start()
        lines.append(line)
    return lines


@register
class MoodleXml(Format):
    name = "moodlexml"
    label = "Moodle XML"
    extensions = (".xml",)
    can_export = True
    mimetype = "application/xml"

    def sniff(self, filename: str, data: bytes) -> int:
        head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
        if not head.startswith(b"<"):
            return 0
        return 10 if b"<quiz" in data[:65536] else 1

    def parse(self, data: bytes, filename: str = "") -> ParseResult:
        result = ParseResult(format=self.name)
        try:
            root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
        except defusedxml.DefusedXmlException:
            result.errors.append({"line": 1, "message": _("XML 文件包含 DTD 或实体声明（可能是 XML 炸弹或外部实体攻击），已拒绝。")})
            return result
        except ET.ParseError as exc:
            line, message = xml_error_message(exc)
            result.errors.append({"line": line, "message": message})
            return result
        if root.tag != "quiz":
            result.errors.append({"line": 1, "message": _("这不是 Moodle XML 文件（根元素应为 <quiz>）。")})
            return result
        lines = _line_numbers(data)
        category = ""
        for index, el in enumerate(root.findall("question")):
            line = lines[index] if index < len(lines) else 0
            if el.get("type") == "category":
                category = category_path(_text(el.find("category")))
                continue
            try:
                q = read_question(el, category, result)
            except XmlQuestionError as exc:
                result.errors.append({"line": line, "message": str(exc)})
                continue
            except UnsupportedQuestion as exc:
                name = _text(el.find("name")).strip()
                result.warnings.append(
                    _("第 %(line)s 行的试题“%(name)s”%(reason)s。", line=line, name=name, reason=str(exc)) if name
                    else _("第 %(line)s 行的试题%(reason)s。", line=line, reason=str(exc)))
                continue
            q["_line"] = line
            result.questions.append(q)
        return result

    def export(self, questions: list[dict], *, bank_name: str = "") -> bytes:
        from app.questions.formats.moodlexml_writer import write

        return write(questions)
