"""判断 true_false: the response is ``true`` or ``false``."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.questions.types import register
from app.questions.types.base import QuestionType, fail, ZERO, html_of, label_of, plain, table_grader

#: Spellings accepted as a response (API callers and imported files use all of these).
_TRUE = {"true", "t", "1", "对", "正确", "√", "是", "yes"}
_FALSE = {"false", "f", "0", "错", "错误", "×", "否", "no"}


@register
class TrueFalse(QuestionType):
    name = "true_false"
    label = _l("判断题")

    def validate_data(self, data: dict) -> dict:
        data = data or {}
        answer = data.get("answer")
        if not isinstance(answer, bool):
            fail(_l("判断题必须给出正确答案（对或错）。"))
        return {"answer": answer,
                "feedback_true": html_of(data.get("feedback_true"), "feedback", required=False),
                "feedback_false": html_of(data.get("feedback_false"), "feedback", required=False)}

    def from_interchange(self, question: dict) -> dict:
        data = {"answer": None, "feedback_true": "", "feedback_false": ""}
        for answer in question.get("answers") or []:
            word = str(answer.get("text") or "").strip().lower()
            says_true = word in _TRUE
            if not says_true and word not in _FALSE:
                fail(_l("判断题的答案只能是“对/错”（或 True/False）。"))
            data["feedback_true" if says_true else "feedback_false"] = answer.get("feedback") or ""
            if (answer.get("fraction") or 0) > 0:
                data["answer"] = says_true
        if data["answer"] is None:
            fail(_l("判断题必须给出正确答案（对或错）。"))
        return data

    def to_interchange(self, data: dict) -> dict:
        return {"answers": [
            {"text": "True", "fraction": 1.0 if data["answer"] else 0.0, "feedback": data["feedback_true"],
             "tolerance": None},
            {"text": "False", "fraction": 0.0 if data["answer"] else 1.0, "feedback": data["feedback_false"],
             "tolerance": None}], "pairs": []}

    def public_view(self, version) -> dict:
        view = super().public_view(version)
        view["options"] = [{"key": "true", "text": label_of(_l("对"))}, {"key": "false", "text": label_of(_l("错"))}]
        return view

    def validate_response(self, data: dict, response):
        if response is None or response == "":
            return None
        if isinstance(response, bool):
            return response
        if isinstance(response, str):
            lowered = response.strip().lower()
            if lowered in _TRUE:
                return True
            if lowered in _FALSE:
                return False
        fail(_l("判断题的答案应为 true 或 false。"))

    def grade(self, data, response, points, *, scoring=None):
        if response is data["answer"]:
            return points, 1.0
        return 0.0, 0.0

    def feedback(self, data: dict, response) -> str:
        # feedback_true is shown to a student who answered "true", whether or not that is right.
        if response is None:
            return ""
        return data["feedback_true"] if response else data["feedback_false"]

    def grader(self, data, points, *, scoring=None):
        # Validated responses are True, False or None (unanswered): all three are in the table, so no lookup
        # falls through to the slower __missing__.
        answer = data["answer"]
        return table_grader({answer: (points, 1.0), not answer: ZERO, None: ZERO})

    def data_lines(self, data: dict) -> list[str]:
        lines = [label_of(_l("正确答案：%(v)s", v=label_of(_l("对")) if data["answer"] else label_of(_l("错"))))]
        if data.get("feedback_true"):
            lines.append(label_of(_l("答“对”时的反馈：%(v)s", v=plain(data["feedback_true"]))))
        if data.get("feedback_false"):
            lines.append(label_of(_l("答“错”时的反馈：%(v)s", v=plain(data["feedback_false"]))))
        return lines

    def review(self, data: dict, options: list[dict], response) -> dict:
        word = {True: label_of(_l("对")), False: label_of(_l("错"))}
        return {"options": [], "response": word.get(response) if isinstance(response, bool) else None,
                "right": word[data["answer"]], "rows": []}

    def correct_answer_view(self, data: dict) -> dict:
        return {"answer": data["answer"], "key": "true" if data["answer"] else "false",
                "text": label_of(_l("对")) if data["answer"] else label_of(_l("错"))}
