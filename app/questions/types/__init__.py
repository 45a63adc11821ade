"""Question-type registry: one module per type, each registering a :class:`QuestionType` subclass.

Every type provides the same operations, so exams, grading and import/export never branch on the type:

* ``validate_data(data) -> dict``: check (and normalise) the authoring data; ValidationError otherwise.
* ``public_view(version) -> dict``: what a student may see before answering — never answers or feedback.
* ``validate_response(data, response)``: shape check of a student's response; returns it normalised.
* ``grade(data, response, points, *, scoring=None) -> (score, fraction)``: pure and fast, no database.
  ``(None, None)`` for types graded by hand.
* ``correct_answer_view(data) -> dict``: the right answer, for reviews the exam's policy allows.
* ``review(data, options, response) -> dict``: response and right answer in the terms the student saw (option
  letters in the attempt's order), for the result and grading pages.
* ``data_lines(data) -> list[str]``: the data as labelled lines, for the reviewers' diff between versions.
* ``is_auto_graded`` / ``has_points`` flags.

The data JSON of each type is documented in docs/question-types.md.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

import importlib

from app.questions.types.base import QuestionType, fail  # noqa: F401  (re-exported)

#: type name -> QuestionType instance, in display order.
TYPES: dict[str, QuestionType] = {}

_MODULES = ("single_choice", "multiple_choice", "true_false", "fill_blank", "numerical", "matching", "essay",
            "description")


def register(cls: type[QuestionType]) -> type[QuestionType]:
    """Class decorator: add a type to the registry under ``cls.name``."""
    TYPES[cls.name] = cls()
    return cls


def get_type(name: str) -> QuestionType:
    """The registered type called ``name``; ValidationError for unknown names."""
    try:
        return TYPES[name]
    except KeyError:
        fail(_l("未知的题型：%(name)s"), name=name)


def grade(type_name: str, data: dict, response, points: float, *, scoring: str | None = None):
    """Grade one response with its type (see QuestionType.grade)."""
    return TYPES[type_name].grade(data, response, points, scoring=scoring)


for _name in _MODULES:
    importlib.import_module(f"{__name__}.{_name}")
