"""Aiken, as Moodle reads it (question/format/aiken/format.php; docs.moodle.org "Aiken format").

A question is one line of text, then options ``A) ...`` or ``A. ...`` (a capital letter, ``)`` or ``.``, then
a space or tab), then ``ANSWER: X``. Lines shorter than two characters are skipped. Every error case Moodle
knows is reported with its line number: an option or ANSWER line with no question before it, fewer than
two options, an answer letter with no option, a new question before the previous one got its ANSWER, and a
question left without ANSWER at the end of the file.
"""
from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core.tabular import decode_text
from app.questions import sanitize
from app.questions.formats import Format, looks_binary, ParseResult, answer, new_question, register

_OPTION = re.compile(r"^[A-Z][).][ \t]")
_ANSWER = re.compile(r"^ANSWER:")


@register
class Aiken(Format):
    name = "aiken"
    label = _l("Aiken 格式")
    extensions = (".txt",)

    def sniff(self, filename: str, data: bytes) -> int:
        if looks_binary(data) or data.lstrip()[:1] in (b"<", b"{"):
            return 0
        head = data[:65536]
        lines = head.splitlines()
        has_answer = any(_ANSWER.match(line.strip().decode("latin-1")) for line in lines)
        has_option = any(_OPTION.match(line.strip().decode("latin-1")) for line in lines)
        return 8 if has_answer and has_option and b"{" not in head else 0

    def parse(self, data: bytes, filename: str = "") -> ParseResult:
        text, encoding = decode_text(data)
        result = ParseResult(format=self.name, encoding=encoding)
        question = None
        for number, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1):
            line = raw.strip()
            if len(line) < 2:
                continue
            if _OPTION.match(line):
                if question is None:
                    result.errors.append({"line": number, "message": _("选项前面没有题干。")})
                    continue
                question["answers"].append(answer(sanitize.plain_to_html(line[2:].strip()), 0.0))
            elif _ANSWER.match(line):
                if question is None:
                    result.errors.append({"line": number, "message": _("ANSWER 行前面没有题目。")})
                    continue
                if len(question["answers"]) < 2:
                    result.errors.append({"line": number, "message": _("这道题的选项少于两个。")})
                    question = None
                    continue
                letter = line[line.index(":") + 1:].strip()[:1]
                index = ord(letter) - ord("A") if letter else -1
                if not 0 <= index < len(question["answers"]):
                    result.errors.append({"line": number, "message": _("答案“%(letter)s”没有对应的选项。",
                                                                       letter=letter or "?")})
                    question = None
                    continue
                question["answers"][index]["fraction"] = 1.0
                result.questions.append(question)
                question = None
            else:
                if question is not None:
                    result.errors.append({"line": question["_line"],
                                          "message": _("这道题缺少 ANSWER 行（第 %(n)s 行开始了下一题）。", n=number)})
                text_html = sanitize.plain_to_html(line)
                question = new_question("single_choice", text_html, _line=number)
        if question is not None:
            result.errors.append({"line": question["_line"], "message": _("文件结束时这道题还没有 ANSWER 行。")})
        return result
