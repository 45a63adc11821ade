"""GIFT, as Moodle reads and writes it (question/format/gift/format.php; docs.moodle.org "GIFT format").

Questions are separated by blank lines; lines starting with ``//`` are comments, and ``[id:...]`` /
``[tag:...]`` in the comments right before a question set its ID number and tags. Escapes ``\\~ \\= \\# \\{ \\}
\\: \\n`` and ``\\\\``; ``::name::``; ``[html]``/``[markdown]``/``[plain]``/``[moodle]`` text formats; answer
weights ``%50%``; ``####general feedback``; ``$CATEGORY: path``. Types are decided the way Moodle does:
no braces -> description, ``{}`` -> essay, ``{#`` -> numerical, ``~`` -> multiple choice (single when some
answer starts with ``=``), ``=`` with ``->`` -> matching, ``T``/``TRUE``/``F``/``FALSE`` -> true/false, else
short answer (our fill_blank). ``{TRUE#a#b}``: ``a`` is the feedback for a wrong answer, ``b`` for the right
one. Text before and after the braces becomes a missing-word question with ``_____`` in its place.
"""
from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.questions import sanitize
from app.questions.formats import (Format, ParseResult, answer, category_path, looks_binary, new_question,
                                   number_text, register)
from app.core.tabular import decode_text

_ESCAPES = {"\\:": "\x01058", "\\#": "\x01035", "\\=": "\x01061", "\\{": "\x01123", "\\}": "\x01125",
            "\\~": "\x01126", "\\n": "\x01010"}
_RESTORE = {"\x01058": ":", "\x01035": "#", "\x01061": "=", "\x01123": "{", "\x01125": "}", "\x01126": "~",
            "\x01010": "\n"}
_ESCAPE_RE = re.compile(r"\\[:#={}~n]")
_RESTORE_RE = re.compile("\x01(?:058|035|061|123|125|126|010)")
_WEIGHT = re.compile(r"^%(-*[0-9]{1,2}\.?[0-9]*)%")
_TAG = re.compile(r"\[tag:([^\]]+)\]")
_ID = re.compile(r"\[id:((?:\\.|[^\]\\])+)\]")
_FORMATS = {"html": "html", "markdown": "markdown", "plain": "plain", "moodle": "moodle"}
_TF = {"T": True, "TRUE": True, "F": False, "FALSE": False}


class GiftError(Exception):
    pass


def escape_pre(text: str) -> str:
    """Moodle's escapedchar_pre: ``\\\\`` stays a backslash; escaped specials become placeholders."""
    text = text.replace("\\\\", "\x02")
    text = _ESCAPE_RE.sub(lambda m: _ESCAPES[m.group(0)], text)
    return text.replace("\x02", "\\")


def escape_post(text: str) -> str:
    return _RESTORE_RE.sub(lambda m: _RESTORE[m.group(0)], text)


def parse_text(text: str, default: str = "moodle") -> tuple[str, str]:
    """``(text, format)`` from ``[format]text`` (Moodle's parse_text_with_format)."""
    fmt = default
    if text.startswith("["):
        end = text.find("]")
        name = text[1:end] if end > 0 else ""
        if name in _FORMATS:
            fmt, text = _FORMATS[name], text[end + 1:]
    return escape_post(text).strip(), fmt


def html(text: str, default: str = "moodle") -> tuple[str, str]:
    value, fmt = parse_text(text, default)
    return sanitize.to_html(value, fmt), fmt


def plain(text: str, default: str = "moodle") -> str:
    value, _fmt = parse_text(text, default)
    return value


def comment_split(text: str, default: str) -> tuple[str, str]:
    """``answer#feedback`` -> (answer HTML, feedback HTML)."""
    head, sep, tail = text.partition("#")
    return html(head.strip(), default)[0], (html(tail.strip(), default)[0] if sep else "")


def weight(text: str) -> tuple[float | None, str]:
    match = _WEIGHT.match(text)
    if not match:
        return None, text
    raw = match.group(1)
    negative = raw.startswith("-")
    value = float(raw.lstrip("-") or 0) / 100
    return (-value if negative else value), text[match.end():]


def split_answers(answertext: str, sep: str) -> list[str]:
    parts = answertext.split(sep)
    if parts and not parts[0].strip():
        parts = parts[1:]
    return parts


def _multichoice(q, answertext, fmt):
    single = "=" in answertext
    parts = split_answers(answertext.replace("=", "~="), "~")
    if len(parts) < 2:
        raise GiftError(_("选择题至少需要两个选项。"))
    for part in parts:
        part = part.strip()
        if part.startswith("="):
            fraction, part = 1.0, part[1:]
        else:
            fraction, part = weight(part)
            fraction = fraction or 0.0
        text, feedback = comment_split(part, fmt)
        q["answers"].append(answer(text, fraction, feedback))
    q["type"] = "single_choice" if single else "multiple_choice"
    if not single:
        q["scoring"] = "fractions"


def _match(q, answertext, fmt):
    parts = split_answers(answertext, "=")
    if len(parts) < 2:
        raise GiftError(_("匹配题至少需要两对。"))
    for part in parts:
        part = part.strip()
        if "->" not in part:
            raise GiftError(_("匹配题的每一对都要写成“题目 -> 答案”。"))
        prompt, _sep, target = part.partition("->")
        q["pairs"].append({"prompt": html(prompt.strip(), fmt)[0], "answer": escape_post(target).strip()})
    q["type"] = "matching"


def _truefalse(q, answertext, fmt):
    bits = answertext.split("#", 2)
    value = _TF[plain(bits[0].strip(), fmt)]
    wrong = html(bits[1].strip(), fmt)[0] if len(bits) > 1 else ""
    right = html(bits[2].strip(), fmt)[0] if len(bits) > 2 else ""
    # Moodle: the first feedback is shown for the wrong answer, the second for the right one.
    q["answers"] = [answer("True", 1.0 if value else 0.0, right if value else wrong),
                    answer("False", 0.0 if value else 1.0, wrong if value else right)]
    q["type"] = "true_false"


def _shortanswer(q, answertext, fmt):
    parts = split_answers(answertext, "=")
    if not parts:
        raise GiftError(_("填空题至少需要一个答案。"))
    for part in parts:
        fraction, part = weight(part.strip())
        head, sep, tail = part.partition("#")
        q["answers"].append(answer(plain(head.strip(), fmt), 1.0 if fraction is None else fraction,
                                   html(tail.strip(), fmt)[0] if sep else ""))
    q["type"] = "fill_blank"


def _number(text: str) -> float:
    try:
        return float(text.strip())
    except ValueError:
        raise GiftError(_("数值题的答案不是数字：%(text)s", text=text.strip())) from None


def _numerical(q, answertext, fmt):
    answertext = answertext[1:]
    wrong_at = answertext.find("~")
    other = None
    if wrong_at >= 0:
        # "~#feedback": Moodle's "any other answer" (worth 0), kept as a "*" answer with its feedback.
        _head, sep, tail = answertext[wrong_at + 1:].partition("#")
        other = answer("*", 0.0, html(tail.strip(), fmt)[0] if sep else "")
        answertext = answertext[:wrong_at]
    parts = split_answers(answertext, "=")
    if not parts:
        raise GiftError(_("数值题没有答案。"))
    for part in parts:
        fraction, part = weight(part.strip())
        head, sep, tail = part.partition("#")
        value = plain(head.strip(), fmt)
        if value.find("..") > 0:
            low, high = (_number(v) for v in value.split("..", 1))
            mid, tol = (low + high) / 2, (high - low) / 2
        elif value.find(":") > 0:
            mid_text, tol_text = value.split(":", 1)
            mid, tol = _number(mid_text), _number(tol_text)
        else:
            mid, tol = _number(value), 0.0
        q["answers"].append(answer(number_text(mid),
                                   1.0 if fraction is None else fraction,
                                   html(tail.strip(), fmt)[0] if sep else "", float(number_text(abs(tol)))))
    if other is not None:
        q["answers"].append(other)
    q["type"] = "numerical"


def _kind(answertext: str) -> str:
    if answertext == "":
        return "essay"
    if answertext[0] == "#":
        return "numerical"
    if "~" in answertext:
        return "multichoice"
    if "=" in answertext and "->" in answertext:
        return "match"
    check = answertext
    if answertext.find("#") > 0:
        check = answertext[:answertext.find("#")].strip()
    return "truefalse" if check in _TF else "shortanswer"


_READERS = {"multichoice": _multichoice, "match": _match, "truefalse": _truefalse, "shortanswer": _shortanswer,
            "numerical": _numerical}


def read_block(lines: list[str], category: str) -> dict | str | None:
    """One question from its lines; a ``str`` for a ``$CATEGORY:`` block; None for a comment-only block."""
    comments = []
    body = []
    for line in lines:
        if line.startswith("//"):
            comments.append(line)
        else:
            body.append(line)
    text = "\n".join(body).strip()
    if not text:
        return None
    text = escape_pre(text)
    if text.startswith("$CATEGORY:"):
        return category_path(escape_post(text[10:].strip()))
    name = ""
    if text.startswith("::"):
        text = text[2:]
        end = text.find("::")
        if end >= 0:
            name = escape_post(text[:end]).strip()
            text = text[end + 2:].strip()
    start, finish = text.find("{"), text.find("}")
    description = False
    if start < 0 and finish < 0:
        description, answertext, questiontext = True, "", text
    elif start < 0:
        raise GiftError(_("有“}”却没有“{”：找不到答案的开始。"))
    elif finish < 0:
        raise GiftError(_("缺少“}”：答案没有结束。"))
    elif finish < start:
        raise GiftError(_("花括号顺序错误：“}”出现在“{”之前（文字中的花括号请写成 \\{ 和 \\}）。"))
    else:
        answertext = text[start + 1:finish].strip()
        if text.rstrip().endswith("}") and finish == len(text.rstrip()) - 1:
            questiontext = text[:start] + text[finish + 1:]
        else:
            questiontext = text[:start] + "_____" + text[finish + 1:]
        if "{" in text[finish + 1:] or "}" in text[finish + 1:]:
            raise GiftError(_("一道题只能有一组答案 {…}（文字中的花括号请写成 \\{ 和 \\}）。"))
    general = ""
    cut = answertext.rfind("####")
    if cut >= 0:
        general, answertext = answertext[cut + 4:], answertext[:cut].strip()
    question_html, fmt = html(questiontext.strip())
    comment = "\n".join(comments)
    tags = [t.strip() for t in _TAG.findall(comment) if t.strip()]
    id_match = _ID.search(_TAG.sub("", comment))
    q = new_question("description", question_html, name=name, category=category,
                     id_number=id_match.group(1).replace("\\]", "]").strip() if id_match else None,
                     tags=tags, general_feedback=html(general.strip(), fmt)[0] if general else "")
    if description:
        q["points"] = 0
        return q
    kind = _kind(answertext)
    if kind == "essay":
        q["type"] = "essay"
        return q
    _READERS[kind](q, answertext, fmt)
    return q


def blocks(text: str):
    """``(first line number, lines)`` of each blank-line separated block, lines stripped as Moodle does."""
    current, first = [], 0
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            if current:
                yield first, current
                current = []
            continue
        if not current:
            first = number
        current.append(line)
    if current:
        yield first, current


def split_category(first: int, lines: list[str]):
    """``(line number, lines)`` of a block, with a question written right under its ``$CATEGORY:`` line split off.

    Moodle reads a whole block that starts with ``$CATEGORY:`` as the category name, so a question typed on the
    next line (no blank line between) silently vanishes into the name. The category is its own line only; the
    question after it (with the comments above the category, which carry its ``[id:]`` and ``[tag:]``) is read
    as a question.
    """
    body = [i for i, line in enumerate(lines) if not line.startswith("//")]
    if len(body) > 1 and lines[body[0]].startswith("$CATEGORY:"):
        at = body[0]
        yield first + at, [lines[at]]
        yield first + at + 1, lines[:at] + lines[at + 1:]
    else:
        yield first, lines


@register
class Gift(Format):
    name = "gift"
    label = _l("GIFT 格式")
    extensions = (".gift", ".txt")
    can_export = True
    mimetype = "text/plain; charset=utf-8"

    def sniff(self, filename: str, data: bytes) -> int:
        if looks_binary(data) or data.lstrip()[:1] == b"<":
            return 0
        head = data[:65536]
        score = 5 if filename.lower().endswith(".gift") else 0
        if b"{" in head and b"}" in head:
            score += 3
        if b"::" in head or b"$CATEGORY:" in head:
            score += 2
        return score

    def parse(self, data: bytes, filename: str = "") -> ParseResult:
        text, encoding = decode_text(data)
        result = ParseResult(format=self.name, encoding=encoding)
        category = ""
        for line, lines in (part for block in blocks(text) for part in split_category(*block)):
            try:
                item = read_block(lines, category)
            except GiftError as exc:
                result.errors.append({"line": line, "message": str(exc)})
                continue
            except KeyError:
                result.errors.append({"line": line, "message": _("无法识别的判断题答案。")})
                continue
            if isinstance(item, str):
                category = item
            elif item is not None:
                item["_line"] = line
                result.questions.append(item)
        return result

    def export(self, questions: list[dict], *, bank_name: str = "") -> bytes:
        from app.questions.formats.gift_writer import write

        return write(questions).encode("utf-8")
