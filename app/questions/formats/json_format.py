"""Our own JSON: the object ``flask questions import --json`` prints (or just its ``questions`` list).

Questions are located by their position (``row`` 1, 2, 3 ...) in error messages.
"""
from __future__ import annotations

import json

from flask_babel import gettext as _

from app.questions.formats import Format, ParseResult, new_question, register

_LIST_KEYS = ("tags", "answers", "pairs")
#: Keys whose value must be text (or absent/null).
_TEXT_KEYS = ("text", "name", "category", "general_feedback", "explanation")


@register
class JsonFormat(Format):
    name = "json"
    label = "JSON"
    extensions = (".json",)
    can_export = True
    mimetype = "application/json"

    def sniff(self, filename: str, data: bytes) -> int:
        head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:200]
        # "{ =Asia } is ..." is GIFT; a JSON object opens with a quoted key (or is empty).
        if head.startswith(b"{") and head[1:].lstrip()[:1] in (b'"', b"}"):
            return 9
        # "[markdown]..." is GIFT; a JSON list starts with "[" then "{" or "]".
        if head.startswith(b"[") and head[1:].lstrip()[:1] in (b"{", b"]"):
            return 9
        return 0

    def parse(self, data: bytes, filename: str = "") -> ParseResult:
        result = ParseResult(format=self.name)
        try:
            document = json.loads(data.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError) as exc:
            result.errors.append({"line": getattr(exc, "lineno", 1), "message": _("JSON 格式错误：%(msg)s",
                                                                                 msg=str(exc)[:200])})
            return result
        items = document.get("questions") if isinstance(document, dict) else document
        if not isinstance(items, list):
            result.errors.append({"line": 1, "message": _("JSON 中没有 questions 列表。")})
            return result
        for index, item in enumerate(items, start=1):
            if not isinstance(item, dict) or not isinstance(item.get("type"), str):
                result.errors.append({"row": index, "message": _("第 %(n)s 题不是带 type 的对象。", n=index)})
                continue
            if any(not isinstance(item.get(k) or [], list) for k in _LIST_KEYS):
                result.errors.append({"row": index, "message": _("tags、answers 和 pairs 必须是列表。")})
                continue
            if not all(isinstance(a, dict) for a in (item.get("answers") or []) + (item.get("pairs") or [])):
                result.errors.append({"row": index, "message": _("answers 和 pairs 的每一项都必须是对象。")})
                continue
            wrong = [k for k in _TEXT_KEYS if item.get(k) is not None and not isinstance(item[k], str)]
            if item.get("id_number") is not None and not isinstance(item["id_number"], (str, int)):
                wrong.append("id_number")
            if wrong:
                result.errors.append({"row": index, "message": _("%(keys)s 必须是文本。", keys="、".join(wrong))})
                continue
            question = new_question(item["type"], str(item.get("text") or ""), _row=index)
            question.update({k: v for k, v in item.items() if not k.startswith("_") and k != "text"})
            result.questions.append(question)
        return result

    def export(self, questions: list[dict], *, bank_name: str = "") -> bytes:
        document = {"format": self.name, "imported": 0, "questions": questions, "errors": []}
        return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")
