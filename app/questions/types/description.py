"""说明 description: text shown between questions (a case, a drawing); no answer and no points."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.questions.types import register
from app.questions.types.base import QuestionType


@register
class Description(QuestionType):
    name = "description"
    label = _l("说明")
    has_points = False

    def validate_data(self, data: dict) -> dict:
        return {}

    def validate_response(self, data: dict, response):
        return None

    def grade(self, data, response, points, *, scoring=None):
        return 0.0, 0.0

    def data_lines(self, data: dict) -> list[str]:
        return []

    def correct_answer_view(self, data: dict) -> dict:
        return {}
