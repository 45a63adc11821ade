"""单选 single_choice: one option is chosen; its fraction is the score (usually one option at 1)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.questions.sanitize import clean_html
from app.questions.types import register
from app.questions.types.base import (ZERO, QuestionType, choice_review, clamp_fraction, fail, label_of,
                                      option_lines, public_options, table_grader, validate_options, yes_no)


@register
class SingleChoice(QuestionType):
    name = "single_choice"
    label = _l("单选题")

    def validate_data(self, data: dict) -> dict:
        options = validate_options((data or {}).get("options"))
        if not any(o["fraction"] >= 1.0 for o in options):
            fail(_l("单选题必须有一个完全正确的选项。"))
        return {"options": options, "shuffle": bool((data or {}).get("shuffle", True))}

    def from_interchange(self, question: dict) -> dict:
        data = {"options": [{"text": a.get("text"), "fraction": a.get("fraction", 0),
                             "feedback": a.get("feedback") or ""} for a in question.get("answers") or []]}
        if question.get("shuffle") is not None:
            data["shuffle"] = bool(question["shuffle"])
        return data

    def to_interchange(self, data: dict) -> dict:
        return {"answers": [{"text": o["text"], "fraction": o["fraction"], "feedback": o["feedback"],
                             "tolerance": None} for o in data["options"]],
                "pairs": [], "shuffle": data.get("shuffle", True)}

    def public_view(self, version) -> dict:
        view = super().public_view(version)
        view["options"] = public_options(version.data["options"])
        return view

    def validate_response(self, data: dict, response):
        if response is None or response == "":
            return None
        if not isinstance(response, str) or not any(o["key"] == response for o in data["options"]):
            fail(_l("请选择一个有效的选项。"))
        return response

    def grade(self, data, response, points, *, scoring=None):
        for option in data["options"]:
            if option["key"] == response:
                fraction = option["fraction"]
                if fraction <= 0:
                    return 0.0, 0.0
                fraction = clamp_fraction(fraction)
                return points * fraction, fraction
        return 0.0, 0.0

    def feedback(self, data: dict, response) -> str:
        return next((o["feedback"] for o in data["options"] if o["key"] == response), "")

    def grader(self, data, points, *, scoring=None):
        table = {None: ZERO}  # unanswered
        for option in data["options"]:
            fraction = clamp_fraction(option["fraction"])
            table[option["key"]] = (points * fraction if fraction else 0.0, fraction)
        return table_grader(table)

    def correct_answer_view(self, data: dict) -> dict:
        best = max(data["options"], key=lambda o: o["fraction"])
        return {"keys": [best["key"]], "text": clean_html(best["text"])}

    def data_lines(self, data: dict) -> list[str]:
        return option_lines(data["options"]) + [label_of(_l("打乱选项：%(v)s", v=yes_no(data.get("shuffle", True))))]

    def review(self, data: dict, options: list[dict], response) -> dict:
        return choice_review(options, [response] if response else [],
                             [o["key"] for o in data["options"] if o["fraction"] >= 1.0])

