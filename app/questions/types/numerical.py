"""数值 numerical: a number within ``value ± tolerance`` of an accepted answer (ranges are stored as their
midpoint with half their width as tolerance). The best matching answer's fraction counts.

Moodle's "any other answer" (``*`` in Moodle XML, ``~#feedback`` in GIFT) earns nothing but carries feedback
shown when no other answer matches: stored as ``other_feedback``, written back as a ``*`` answer worth 0 in
the interchange shape."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.questions.types import register
from app.questions.types.base import (QuestionType, clamp_fraction, display_number, label_of, fail, fraction_of,
                                      html_of, nfkc, number, percent_of, plain)


def parse_number(value) -> float:
    """A student's number: full-width digits, ``，`` as thousands separator and spaces are accepted."""
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, (int, float)):
        result = float(value)
    else:
        text = nfkc(str(value)).replace(",", "").replace(" ", "").strip()
        result = float(text)
    if result != result or result in (float("inf"), float("-inf")):
        raise ValueError
    return result


#: The interchange text of Moodle's "any other answer".
OTHER = "*"


def _is_other(answer) -> bool:
    return isinstance(answer, dict) and str(answer.get("value", answer.get("text")) or "").strip() == OTHER


def _format(value: float) -> str:
    return f"{float(value):.15g}"


@register
class Numerical(QuestionType):
    name = "numerical"
    label = _l("数值题")

    def validate_data(self, data: dict) -> dict:
        answers = (data or {}).get("answers")
        if not isinstance(answers, list) or not answers:
            fail(_l("数值题至少需要一个参考答案。"))
        clean = []
        other = (data or {}).get("other_feedback") or ""
        for index, answer in enumerate(answers, start=1):
            if not isinstance(answer, dict):
                fail(_l("数值题的参考答案格式错误。"))
            if _is_other(answer):
                other = answer.get("feedback") or other
                continue
            what = _l("参考答案 %(n)s", n=index)
            if "min" in answer and "max" in answer:
                low, high = number(answer["min"], what), number(answer["max"], what)
                if low > high:
                    fail(_l("%(what)s 的范围下限大于上限。"), what=label_of(what))
                value, tolerance = (low + high) / 2, (high - low) / 2
            else:
                value = number(answer.get("value"), what)
                tolerance = abs(number(answer.get("tolerance") or 0, what))
            clean.append({"value": value, "tolerance": tolerance,
                          "fraction": fraction_of(answer.get("fraction", 1.0), what),
                          "feedback": html_of(answer.get("feedback"), "feedback", required=False)})
        if not any(a["fraction"] >= 1.0 for a in clean):
            fail(_l("数值题必须有一个完全正确的参考答案。"))
        result = {"answers": clean}
        other = html_of(other, _l("其他答案的反馈"), required=False)
        if other:
            result["other_feedback"] = other
        return result

    def from_interchange(self, question: dict) -> dict:
        answers = question.get("answers") or []
        data = {"answers": [{"value": a.get("text"), "tolerance": a.get("tolerance") or 0,
                             "fraction": a.get("fraction", 1.0), "feedback": a.get("feedback") or ""}
                            for a in answers if not _is_other(a)]}
        other = next((a.get("feedback") or "" for a in answers if _is_other(a)), "")
        if other:
            data["other_feedback"] = other
        return data

    def to_interchange(self, data: dict) -> dict:
        answers = [{"text": _format(a["value"]), "fraction": a["fraction"], "feedback": a["feedback"],
                    "tolerance": a["tolerance"]} for a in data["answers"]]
        if data.get("other_feedback"):
            answers.append({"text": OTHER, "fraction": 0.0, "feedback": data["other_feedback"], "tolerance": None})
        return {"answers": answers, "pairs": []}

    def validate_response(self, data: dict, response):
        # Blank (or only spaces, including the full-width space of Chinese IMEs) means unanswered, not an error.
        if response is None or (isinstance(response, str) and not nfkc(response).strip()):
            return None
        try:
            return parse_number(response)
        except (TypeError, ValueError):
            fail(_l("请输入一个数字。"))

    def grade(self, data, response, points, *, scoring=None):
        if response is None:
            return 0.0, 0.0
        best = 0.0
        for answer in data["answers"]:
            # A tiny relative slack so that 0.1 + 0.2 style float noise never costs a student points.
            if abs(response - answer["value"]) <= answer["tolerance"] + 1e-9 * max(1.0, abs(answer["value"])) \
                    and answer["fraction"] > best:
                best = answer["fraction"]
        fraction = clamp_fraction(best)
        return points * fraction, fraction

    def feedback(self, data: dict, response) -> str:
        if response is None:
            return ""
        for answer in sorted(data["answers"], key=lambda a: -a["fraction"]):
            if abs(response - answer["value"]) <= answer["tolerance"] + 1e-9 * max(1.0, abs(answer["value"])):
                return answer["feedback"]
        # No answer matches: Moodle's "any other answer" feedback.
        return data.get("other_feedback") or ""

    def correct_answer_view(self, data: dict) -> dict:
        best = max(data["answers"], key=lambda a: a["fraction"])
        return {"value": best["value"], "tolerance": best["tolerance"]}

    def data_lines(self, data: dict) -> list[str]:
        lines = []
        for n, answer in enumerate(data["answers"], start=1):
            value = answer.get("value")
            shown = display_number(value) if isinstance(value, (int, float)) else str(value)
            if answer.get("tolerance"):
                shown += f" ± {display_number(answer['tolerance'])}"
            lines.append(label_of(_l("参考答案 %(n)s：%(v)s（得分 %(p)s）", n=n, v=shown,
                                      p=percent_of(answer.get("fraction", 0)))))
            if answer.get("feedback"):
                lines.append(label_of(_l("参考答案 %(n)s 的反馈：%(v)s", n=n, v=plain(answer["feedback"]))))
        return lines

    def review(self, data: dict, options: list[dict], response) -> dict:
        best = self.correct_answer_view(data)
        right = display_number(best["value"])
        if best["tolerance"]:
            right += f" ± {display_number(best['tolerance'])}"
        given = response if isinstance(response, (int, float)) and not isinstance(response, bool) else None
        return {"options": [], "response": None if given is None else display_number(given), "right": right,
                "rows": []}
