"""``checklist``: items to tick (tools received, safety checks done)."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.workbooks.fields import FieldError, FieldType, integer, register, string_list


@register
class ChecklistField(FieldType):
    name = "checklist"
    label = _l("检查清单")
    template = "workbooks/fields/checklist.html"
    pdf_template = "workbooks/fields/pdf_checklist.html"
    options = frozenset({"items", "min_checked"})

    def _validate_options(self, raw: dict) -> dict:
        items = string_list(raw, "items", max_items=50, max_length=200, required=True)
        if len(set(items)) != len(items):
            raise FieldError(_("清单项不能重复"), "items")
        return {"items": items, "min_checked": integer(raw, "min_checked", 0, 0, len(items))}

    def validate_response(self, definition: dict, value) -> list[int]:
        """An answer is the list of ticked item indexes (0-based)."""
        if not isinstance(value, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in value):
            raise FieldError(_("答案必须是所勾选项的序号列表"))
        ticked = sorted(set(value))
        if any(i < 0 or i >= len(definition["items"]) for i in ticked):
            raise FieldError(_("勾选了不存在的清单项"))
        if len(ticked) < definition["min_checked"]:
            raise FieldError(_("至少勾选 %(n)s 项", n=definition["min_checked"]))
        return ticked
