"""填空 fill_blank: one or more blanks, each with accepted answers (Moodle's short answer imports here).

Comparison rules, per question: ``case_sensitive`` (default false), ``normalize_width`` (default true: NFKC,
so full-width ＡＢＣ１２３ and half-width ABC123 match), ``whitespace``: ``collapse`` (default: trim and
turn runs of spaces into one), ``ignore`` (remove all spaces — useful for Chinese answers) or ``exact``.
An accepted answer may contain ``*`` as a wildcard for any characters, and ``\\*`` for a literal asterisk (as in
Moodle's short answer: ``P=U\\*I``).
A blank scores the best fraction among the accepted answers it matches; the question scores the mean
over its blanks.
"""
from __future__ import annotations

import re
from functools import lru_cache

from flask_babel import lazy_gettext as _l

from app.questions.types import register
from app.questions.types.base import (QuestionType, clamp_fraction, fail, fraction_of, html_of, label_of, nfkc,
                                      percent_of, plain, text_of, yes_no)

WHITESPACE_RULES = ("collapse", "ignore", "exact")
WHITESPACE_LABELS = {"collapse": _l("去掉首尾空格，连续空格视为一个"), "ignore": _l("忽略所有空格"),
                     "exact": _l("空格必须一致")}
_SPACES = re.compile(r"\s+")
MAX_BLANKS = 50


def normalise(value: str, case_sensitive: bool, width: bool, whitespace: str) -> str:
    """Apply a question's comparison rules to an answer or a response."""
    if width:
        value = nfkc(value)
    if not case_sensitive:
        value = value.casefold()
    if whitespace == "collapse":
        value = _SPACES.sub(" ", value).strip()
    elif whitespace == "ignore":
        value = _SPACES.sub("", value)
    return value


_LITERAL_STAR = "\x00"


@lru_cache(maxsize=4096)
def _wildcard(pattern: str):
    pattern = pattern.replace("\\*", _LITERAL_STAR)
    return re.compile(".*".join(re.escape(part).replace(_LITERAL_STAR, "\\*") for part in pattern.split("*")),
                      re.DOTALL)


@register
class FillBlank(QuestionType):
    name = "fill_blank"
    label = _l("填空题")

    def validate_data(self, data: dict) -> dict:
        data = data or {}
        blanks = data.get("blanks")
        if not isinstance(blanks, list) or not blanks:
            fail(_l("填空题至少需要一个空。"))
        if len(blanks) > MAX_BLANKS:
            fail(_l("填空题最多 %(n)s 个空。"), n=MAX_BLANKS)
        whitespace = data.get("whitespace") or "collapse"
        if whitespace not in WHITESPACE_RULES:
            fail(_l("未知的空白处理规则：%(rule)s"), rule=whitespace)
        clean = []
        for number, blank in enumerate(blanks, start=1):
            answers = blank.get("answers") if isinstance(blank, dict) else None
            if not isinstance(answers, list) or not answers:
                fail(_l("第 %(n)s 空至少需要一个参考答案。"), n=number)
            items = []
            text_label, fraction_label = _l("第 %(n)s 空的参考答案", n=number), _l("第 %(n)s 空", n=number)
            for answer in answers:
                if isinstance(answer, str):
                    answer = {"text": answer}
                if not isinstance(answer, dict):
                    fail(_l("第 %(n)s 空的参考答案格式错误。"), n=number)
                items.append({
                    "text": text_of(answer.get("text"), text_label, limit=1000),
                    "fraction": fraction_of(answer.get("fraction", 1.0), fraction_label),
                    "feedback": html_of(answer.get("feedback"), "feedback", required=False),
                })
            if not any(a["fraction"] >= 1.0 for a in items):
                fail(_l("第 %(n)s 空必须有一个完全正确的参考答案。"), n=number)
            clean.append({"answers": items})
        return {"blanks": clean, "case_sensitive": bool(data.get("case_sensitive", False)),
                "normalize_width": bool(data.get("normalize_width", True)), "whitespace": whitespace}

    def from_interchange(self, question: dict) -> dict:
        blanks: dict[int, list] = {}
        for answer in question.get("answers") or []:
            blanks.setdefault(int(answer.get("blank") or 1), []).append(
                {"text": answer.get("text"), "fraction": answer.get("fraction", 1.0),
                 "feedback": answer.get("feedback") or ""})
        data = {"blanks": [{"answers": blanks[n]} for n in sorted(blanks)]}
        for key in ("case_sensitive", "normalize_width", "whitespace"):
            if question.get(key) is not None:
                data[key] = question[key]
        return data

    def to_interchange(self, data: dict) -> dict:
        answers = []
        for number, blank in enumerate(data["blanks"], start=1):
            for a in blank["answers"]:
                item = {"text": a["text"], "fraction": a["fraction"], "feedback": a["feedback"], "tolerance": None}
                if len(data["blanks"]) > 1:
                    item["blank"] = number
                answers.append(item)
        return {"answers": answers, "pairs": [], "case_sensitive": data["case_sensitive"],
                "normalize_width": data["normalize_width"], "whitespace": data["whitespace"]}

    def public_view(self, version) -> dict:
        view = super().public_view(version)
        view["blanks"] = len(version.data["blanks"])
        return view

    def validate_response(self, data: dict, response):
        count = len(data["blanks"])
        if response is None:
            return [""] * count
        if isinstance(response, str) and count == 1:
            response = [response]
        if not isinstance(response, list) or len(response) != count \
                or not all(isinstance(v, str) or v is None for v in response):
            fail(_l("填空题的答案应为 %(n)s 个文本组成的列表。"), n=count)
        if any(v and len(v) > 1000 for v in response):
            fail(_l("填空内容过长。"))
        return [v or "" for v in response]

    def grade(self, data, response, points, *, scoring=None):
        if not response:
            return 0.0, 0.0
        case, width, space = data["case_sensitive"], data["normalize_width"], data["whitespace"]
        blanks = data["blanks"]
        total = 0.0
        for blank, given in zip(blanks, response):
            if not given:
                continue
            given = normalise(given, case, width, space)
            best = 0.0
            for answer in blank["answers"]:
                expected = normalise(answer["text"], case, width, space)
                if "*" in expected:
                    matched = _wildcard(expected).fullmatch(given) is not None
                else:
                    matched = expected == given
                if matched and answer["fraction"] > best:
                    best = answer["fraction"]
            total += best
        fraction = clamp_fraction(total / len(blanks))
        return points * fraction, fraction

    def correct_answer_view(self, data: dict) -> dict:
        return {"blanks": [[a["text"].replace("\\*", "*") for a in b["answers"] if a["fraction"] >= 1.0]
                           for b in data["blanks"]]}

    def data_lines(self, data: dict) -> list[str]:
        lines = []
        for n, blank in enumerate(data["blanks"], start=1):
            answers = "；".join(f"{a['text']}（{percent_of(a['fraction'])}）" for a in blank["answers"])
            lines.append(label_of(_l("第 %(n)s 空的参考答案：%(v)s", n=n, v=answers)))
            lines += [label_of(_l("第 %(n)s 空答“%(a)s”的反馈：%(v)s", n=n, a=a["text"], v=plain(a["feedback"])))
                      for a in blank["answers"] if a.get("feedback")]
        rule = data.get("whitespace", "collapse")
        return lines + [label_of(_l("区分大小写：%(v)s", v=yes_no(data.get("case_sensitive")))),
                        label_of(_l("全角半角视为相同：%(v)s", v=yes_no(data.get("normalize_width", True)))),
                        label_of(_l("空格处理：%(v)s", v=label_of(WHITESPACE_LABELS.get(rule, rule))))]

    def review(self, data: dict, options: list[dict], response) -> dict:
        given = response if isinstance(response, list) else []
        rows = []
        for n, (blank, right) in enumerate(zip(data["blanks"], self.correct_answer_view(data)["blanks"]), start=1):
            answer = given[n - 1] if n <= len(given) and isinstance(given[n - 1], str) else ""
            rows.append({"label": label_of(_l("第 %(n)s 空", n=n)), "response": answer.strip() or None,
                         "right": " | ".join(right) or None})
        return {"options": [], "response": None, "right": None, "rows": rows}

    def blank_response(self):
        return []
