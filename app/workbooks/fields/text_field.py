"""``text``: one line of text (a measurement, a part number, a name)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.workbooks.fields import FieldType, integer, register, response_text, text


@register
class TextField(FieldType):
    name = "text"
    label = _l("单行文字")
    template = "workbooks/fields/text.html"
    pdf_template = "workbooks/fields/pdf_text.html"
    options = frozenset({"max_length", "placeholder", "unit"})

    def _validate_options(self, raw: dict) -> dict:
        return {"max_length": integer(raw, "max_length", 200, 1, 1000),
                "placeholder": text(raw, "placeholder", 100), "unit": text(raw, "unit", 20)}

    def validate_response(self, definition: dict, value) -> str:
        return response_text(value, definition["max_length"], multiline=False)
