"""The base class of question types and small helpers they share."""
from __future__ import annotations

import math
import unicodedata

from flask_babel import gettext, lazy_gettext as _l
from markupsafe import Markup

from app.errors import ValidationError
from app.questions.sanitize import clean_html, html_to_text

#: Option keys, as printed on paper.
OPTION_KEYS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def label_of(what) -> str:
    """A field label given as text or as a lazy string (translated only when an error is reported)."""
    try:
        return str(what)
    except Exception:  # a lazy string outside an application context
        return what._args[0] % what._kwargs if getattr(what, "_kwargs", None) else str(what._args[0])


def fail(message, **params):
    """Raise a ValidationError with a translated message (``message`` is a lazy string; works outside an
    application too, in Chinese)."""
    try:
        template = str(message)
    except Exception:  # no application context (pure use in scripts and benches)
        template = message._args[0] if hasattr(message, "_args") else str(message)
    raise ValidationError(template % params if params else template)


def number(value, what: str) -> float:
    """A finite float from authoring data; ValidationError naming ``what`` otherwise."""
    if isinstance(value, bool):
        fail(_l("%(what)s 必须是数字。"), what=label_of(what))
    try:
        result = float(value)
    except (TypeError, ValueError):
        fail(_l("%(what)s 必须是数字。"), what=label_of(what))
    if not math.isfinite(result):
        fail(_l("%(what)s 必须是有限的数字。"), what=label_of(what))
    return result


def fraction_of(value, what: str) -> float:
    """A Moodle fraction: -1..1 (negative marks a wrong answer that costs)."""
    result = number(value, what)
    if not -1.0 <= result <= 1.0:
        fail(_l("%(what)s 的得分比例必须在 -1 到 1 之间。"), what=label_of(what))
    return result


def clamp_fraction(value: float) -> float:
    """A question's total fraction is kept within 0..1 (negative marks never make a question negative)."""
    return 0.0 if value < 0 else 1.0 if value > 1 else value


def text_of(value, what: str, *, required: bool = True, limit: int = 20000) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        fail(_l("%(what)s 必须是文本。"), what=label_of(what))
    value = value.strip()
    if required and not value:
        fail(_l("%(what)s 不能为空。"), what=label_of(what))
    if len(value) > limit:
        fail(_l("%(what)s 过长（上限 %(n)s 字）。"), what=label_of(what), n=limit)
    return value


def html_of(value, what, *, required: bool = True, limit: int = 20000) -> str:
    """Rich text of authoring data (option texts, matching prompts, feedback): sanitised HTML, like the question
    text. Plain text comes out escaped (``a < b`` -> ``a &lt; b``), so pages render every such field as HTML."""
    return clean_html(text_of(value, what, required=required, limit=limit))


def nfkc(value: str) -> str:
    """Full-width letters, digits and punctuation to half-width (Ａ１，→ A1,), as typed on Chinese IMEs."""
    return unicodedata.normalize("NFKC", value)


class QuestionType:
    """A question type. Subclasses set ``name`` and ``label`` and override the operations."""

    #: Registry key and the value of ``QuestionVersion.type``.
    name: str = ""
    #: Chinese label (lazy) shown in forms and lists.
    label = _l("题目")
    #: Whether :meth:`grade` scores it (False: a teacher grades it by hand).
    is_auto_graded: bool = True
    #: Whether it carries points at all (description does not).
    has_points: bool = True

    def validate_data(self, data: dict) -> dict:
        """Check authoring data; return the normalised dict to store. ValidationError otherwise."""
        raise NotImplementedError

    def public_view(self, version) -> dict:
        """What a student sees before answering: ``{"type", "text", "points", "options": [{key, text}] ...}``."""
        return {"type": self.name, "text": version.text, "points": version.points if self.has_points else 0,
                "options": []}

    def validate_response(self, data: dict, response):
        """Return the response normalised; ValidationError when its shape is wrong for this question."""
        raise NotImplementedError

    def grade(self, data: dict, response, points: float, *, scoring: str | None = None):
        """``(score, fraction)`` of a validated response; ``(None, None)`` when graded by hand."""
        raise NotImplementedError

    def correct_answer_view(self, data: dict) -> dict:
        """The right answer as shown in a review."""
        raise NotImplementedError

    def grader(self, data: dict, points: float, *, scoring: str | None = None):
        """A function ``response -> (score, fraction)`` equal to :meth:`grade` for this data and points.

        Grading many attempts of one question version (submit storms, regrading) should build it once per
        version and call it per response: types whose key fits a lookup table precompute one.
        """
        grade = self.grade
        return lambda response: grade(data, response, points, scoring=scoring)

    def from_interchange(self, question: dict) -> dict:
        """Authoring data from an interchange question (the import/export JSON shape: answers, pairs)."""
        return {}

    def to_interchange(self, data: dict) -> dict:
        """``{"answers": [...], "pairs": [...], ...extras}`` for exports; the inverse of from_interchange."""
        return {"answers": [], "pairs": []}

    def blank_response(self):
        """The response of a student who answered nothing."""
        return None

    def feedback(self, data: dict, response) -> str:
        """Feedback attached to the chosen answer(s) (HTML), for reviews that show feedback."""
        return ""

    def data_lines(self, data: dict) -> list[str]:
        """The authoring data as labelled lines in the reader's language (options, answers, settings), for the
        reviewer's diff between versions: never raw JSON or internal keys. Types override this; the default
        lists whatever the data holds readably."""
        return [f"{key}：{display_value(value) or ''}" for key, value in sorted((data or {}).items())]

    def review(self, data: dict, options: list[dict], response) -> dict:
        """A response and the right answer in the terms the student saw, for review pages.

        ``options`` are the public options in the order this student saw them; the exam page letters them by
        position (A, B, C ...), so a review names them by those letters (:func:`seen_letters`), never by the
        authoring keys, which differ once options are shuffled. Returns::

            {"options": [{"letter", "text"}],   # the options as listed to the student (empty: none listed)
             "response": text | None,          # the answer as the student gave it; None when unanswered
             "right": text | None,             # the right answer
             "rows": [{"label", "response", "right"}]}  # per part (blank, matching prompt), when it has parts

        Texts are plain strings (escaped when shown) or :class:`~markupsafe.Markup` of sanitised HTML. This
        default shows any JSON response readably, so a new type renders before it has its own review.
        """
        right = self.correct_answer_view(data).get("text")
        return {"options": [], "response": display_value(response),
                "right": Markup(clean_html(right)) if right else None, "rows": []}


def seen_letters(options: list[dict]) -> dict:
    """``{option key: letter}`` for options in the order shown: the first shown is A, whatever its key."""
    return {o["key"]: OPTION_KEYS[i] for i, o in enumerate(options[:len(OPTION_KEYS)])}


def display_number(value: float) -> str:
    """A number as typed (2.3, 9.81, 1e-06), without float noise such as 0.30000000000000004."""
    return f"{float(value):.12g}"


def display_value(value) -> str | None:
    """Any JSON response as readable text (None when it holds no answer)."""
    if value is None or value == "" or value == [] or value == {}:
        return None
    if isinstance(value, bool):
        return label_of(_l("对")) if value else label_of(_l("错"))
    if isinstance(value, (int, float)):
        return display_number(value)
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "，".join(display_value(v) or "" for v in value)
    if isinstance(value, dict):
        return "，".join(f"{k}：{display_value(v) or ''}" for k, v in value.items())
    return str(value)


def plain(html: str | None) -> str:
    """Rich text (sanitised HTML) as one line of plain text, for diffs."""
    return " ".join(html_to_text(html or "").split())


def yes_no(value) -> str:
    return label_of(_l("是")) if value else label_of(_l("否"))


def percent_of(fraction: float) -> str:
    """A fraction (0.5) as the percentage people type (50%)."""
    from app.core.i18n import fmt_score

    return f"{fmt_score(fraction * 100)}%"


def option_lines(options: list[dict]) -> list[str]:
    """Choice options for a diff: ``选项 A：text（得分 100%）`` and their feedback."""
    lines = []
    for o in options:
        lines.append(label_of(_l("选项 %(key)s：%(text)s（得分 %(p)s）", key=o["key"], text=plain(o.get("text")),
                                  p=percent_of(o.get("fraction", 0)))))
        if o.get("feedback"):
            lines.append(label_of(_l("选项 %(key)s 的反馈：%(text)s", key=o["key"], text=plain(o["feedback"]))))
    return lines


def choice_review(options: list[dict], chosen: list[str], right: list[str]) -> dict:
    """The review of a choice question: the options lettered as shown, the chosen and the right letters."""
    letters = seen_letters(options)

    def lettered(keys):
        return "，".join(sorted(letters.get(k, "?") for k in keys)) or None

    return {"options": [{"letter": letters[o["key"]], "text": Markup(clean_html(o["text"]))} for o in options
                        if o["key"] in letters],
            "response": lettered(chosen), "right": lettered(right), "rows": []}


#: The grade of a response that earns nothing.
ZERO = (0.0, 0.0)


class ScoreTable(dict):
    """A grader that is a lookup table ``{response: (score, fraction)}``; any other response scores zero.

    ``ScoreTable(...).__getitem__`` is called as the grader: a C-level dict lookup with no Python frame per
    response, which is what keeps grading a submit storm close to a bare comparison loop (bench/grading.py).
    Only for types whose validated responses are hashable (a key string, a bool, None).
    """

    __slots__ = ()

    def __missing__(self, response):
        return ZERO


def table_grader(table: dict):
    """The grader function of a lookup table (see :class:`ScoreTable`)."""
    return ScoreTable(table).__getitem__


def validate_options(raw, *, minimum: int = 2) -> list[dict]:
    """Options of a choice question: ``[{"key", "text", "fraction", "feedback"}]``; keys default to A, B, C ..."""
    if not isinstance(raw, list) or len(raw) < minimum:
        fail(_l("至少需要 %(n)s 个选项。"), n=minimum)
    if len(raw) > len(OPTION_KEYS):
        fail(_l("选项最多 %(n)s 个。"), n=len(OPTION_KEYS))
    options, seen = [], set()
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            fail(_l("选项格式错误。"))
        key = str(item.get("key") or OPTION_KEYS[index]).strip().upper()
        if key in seen:
            fail(_l("选项标识 %(key)s 重复。"), key=key)
        seen.add(key)
        label = _l("选项 %(key)s", key=key)
        options.append({
            "key": key,
            "text": html_of(item.get("text"), label),
            "fraction": fraction_of(item.get("fraction", 0), label),
            "feedback": html_of(item.get("feedback"), "feedback", required=False),
        })
    return options


def public_options(options: list[dict]) -> list[dict]:
    """Keys and texts (sanitised HTML) of choice options. Sanitised again here because versions stored before
    option texts were sanitised on save may hold raw markup; views are cached per version, so this is cheap."""
    return [{"key": o["key"], "text": clean_html(o["text"])} for o in options]


def gettext_safe(message: str, **params) -> str:
    try:
        return gettext(message, **params)
    except Exception:
        return message % params if params else message
