"""``long_text``: several paragraphs (an analysis, a plan, a reflection)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.workbooks.fields import FieldType, integer, register, response_text, text


@register
class LongTextField(FieldType):
    name = "long_text"
    label = _l("多行文字")
    template = "workbooks/fields/long_text.html"
    pdf_template = "workbooks/fields/pdf_long_text.html"
    options = frozenset({"max_length", "lines", "placeholder"})

    def _validate_options(self, raw: dict) -> dict:
        return {"max_length": integer(raw, "max_length", 5000, 1, 20000),
                "lines": integer(raw, "lines", 5, 2, 30), "placeholder": text(raw, "placeholder", 200)}

    def validate_response(self, definition: dict, value) -> str:
        return response_text(value, definition["max_length"], multiline=True)
