"""多选 multiple_choice: several options may be chosen.

Scoring modes (``data["scoring"]``, overridable by the exam through ``grade(..., scoring=...)``):

* ``all_or_nothing``: full points only when exactly the right options are chosen.
* ``proportional``: 少选得部分分、错选不得分 — any wrong option gives 0, otherwise the share of right
  options chosen.
* ``fractions``: the sum of the chosen options' fractions (Moodle's way; imported weights such as
  ``%33.33333%`` and negative ``%-50%``), kept within 0..1.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.core.i18n import fmt_score
from app.questions.sanitize import clean_html
from app.questions.types import register
from app.questions.types.base import (QuestionType, choice_review, clamp_fraction, fail, label_of, option_lines,
                                      public_options, validate_options, yes_no)

SCORING_MODES = ("all_or_nothing", "proportional", "fractions")
SCORING_LABELS = {"all_or_nothing": _l("全对才得分"), "proportional": _l("少选按比例得分，错选不得分"),
                  "fractions": _l("按各选项的得分比例")}


@register
class MultipleChoice(QuestionType):
    name = "multiple_choice"
    label = _l("多选题")

    def validate_data(self, data: dict) -> dict:
        data = data or {}
        options = validate_options(data.get("options"))
        if not any(o["fraction"] > 0 for o in options):
            fail(_l("多选题至少需要一个正确选项。"))
        scoring = data.get("scoring") or "all_or_nothing"
        if scoring not in SCORING_MODES:
            fail(_l("未知的多选题计分方式：%(mode)s"), mode=scoring)
        positive = sum(o["fraction"] for o in options if o["fraction"] > 0)
        if scoring == "fractions" and abs(positive - 1.0) > 1e-6:
            # Moodle refuses such a question too ("fractionsaddwrong"): nobody could earn full marks.
            fail(_l("按权重计分时，各正确选项的得分比例之和必须为 100%%（现为 %(total)s%%）。"),
                 total=fmt_score(positive * 100))
        return {"options": options, "scoring": scoring, "shuffle": bool(data.get("shuffle", True))}

    def from_interchange(self, question: dict) -> dict:
        data = {"options": [{"text": a.get("text"), "fraction": a.get("fraction", 0),
                             "feedback": a.get("feedback") or ""} for a in question.get("answers") or []]}
        if question.get("shuffle") is not None:
            data["shuffle"] = bool(question["shuffle"])
        if question.get("scoring"):
            data["scoring"] = question["scoring"]
        return data

    def to_interchange(self, data: dict) -> dict:
        return {"answers": [{"text": o["text"], "fraction": o["fraction"], "feedback": o["feedback"],
                             "tolerance": None} for o in data["options"]],
                "pairs": [], "shuffle": data.get("shuffle", True), "scoring": data["scoring"]}

    def public_view(self, version) -> dict:
        view = super().public_view(version)
        view["options"] = public_options(version.data["options"])
        view["multiple"] = True
        return view

    def validate_response(self, data: dict, response):
        if response is None or response == "" or response == []:
            return []
        if isinstance(response, str):
            response = list(response)
        if not isinstance(response, list) or not all(isinstance(k, str) for k in response):
            fail(_l("多选题的答案应为选项标识的列表，例如 [\"A\", \"C\"]。"))
        keys = {o["key"] for o in data["options"]}
        chosen = sorted(set(response))
        if any(k not in keys for k in chosen):
            fail(_l("请选择有效的选项。"))
        return chosen

    def grade(self, data, response, points, *, scoring=None):
        if not response:
            return 0.0, 0.0
        mode = scoring or data.get("scoring", "all_or_nothing")
        options = data["options"]
        chosen = set(response)
        if mode == "fractions":
            fraction = clamp_fraction(sum(o["fraction"] for o in options if o["key"] in chosen))
        else:
            right = {o["key"] for o in options if o["fraction"] > 0}
            if mode == "all_or_nothing":
                fraction = 1.0 if chosen == right else 0.0
            elif chosen - right:
                fraction = 0.0
            else:
                fraction = len(chosen) / len(right)
        return points * fraction, fraction

    def feedback(self, data: dict, response) -> str:
        chosen = set(response or ())
        return " ".join(o["feedback"] for o in data["options"] if o["key"] in chosen and o["feedback"])

    def grader(self, data, points, *, scoring=None):
        if (scoring or data.get("scoring", "all_or_nothing")) != "all_or_nothing":
            return super().grader(data, points, scoring=scoring)
        right = sorted(o["key"] for o in data["options"] if o["fraction"] > 0)
        full, zero = (points, 1.0), (0.0, 0.0)
        # validate_response returns the keys sorted and unique, so a list comparison is exact.
        return lambda response: full if response == right else zero

    def correct_answer_view(self, data: dict) -> dict:
        right = [o for o in data["options"] if o["fraction"] > 0]
        return {"keys": [o["key"] for o in right], "text": "; ".join(clean_html(o["text"]) for o in right)}

    def data_lines(self, data: dict) -> list[str]:
        scoring = data.get("scoring", "all_or_nothing")
        return option_lines(data["options"]) + [
            label_of(_l("计分方式：%(v)s", v=label_of(SCORING_LABELS.get(scoring, scoring)))),
            label_of(_l("打乱选项：%(v)s", v=yes_no(data.get("shuffle", True))))]

    def review(self, data: dict, options: list[dict], response) -> dict:
        return choice_review(options, list(response or []),
                             [o["key"] for o in data["options"] if o["fraction"] > 0])

    def blank_response(self):
        return []
