"""``table``: a grid to fill in (measurements per position, a plan with steps and times)."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.workbooks.fields import (FieldError, FieldType, boolean, integer, key_value, register, response_text,
                                  string_list, text)

COLUMN_TYPES = ("text", "number")
MAX_ROWS = 50


@register
class TableField(FieldType):
    name = "table"
    label = _l("表格")
    template = "workbooks/fields/table.html"
    pdf_template = "workbooks/fields/pdf_table.html"
    options = frozenset({"columns", "rows", "row_labels", "allow_add_rows"})

    def _validate_options(self, raw: dict) -> dict:
        columns = raw.get("columns")
        if not isinstance(columns, list) or not 1 <= len(columns) <= 12:
            raise FieldError(_("“columns”必须是 1 到 12 列的列表"), "columns")
        out_columns, keys = [], set()
        for i, column in enumerate(columns):
            out_columns.append(self._column(column, f"columns[{i}]", keys))
        row_labels = string_list(raw, "row_labels", max_items=MAX_ROWS, max_length=100, required=False)
        rows = len(row_labels) if row_labels else integer(raw, "rows", 3, 1, MAX_ROWS)
        if row_labels and "rows" in raw and raw["rows"] != len(row_labels):
            raise FieldError(_("“rows”与“row_labels”的行数不一致"), "rows")
        return {"columns": out_columns, "rows": rows, "row_labels": row_labels,
                "allow_add_rows": boolean(raw, "allow_add_rows", False)}

    @staticmethod
    def _column(column, path: str, keys: set) -> dict:
        if isinstance(column, str):
            column = {"label": column, "key": f"c{len(keys) + 1}"}
        if not isinstance(column, dict):
            raise FieldError(_("每列必须是文字或“key/label/type”映射"), path)
        unknown = set(column) - {"key", "label", "type", "unit"}
        if unknown:
            raise FieldError(_("不认识的属性：%(names)s", names=", ".join(sorted(map(str, unknown)))), path)
        try:
            key = key_value(column.get("key"), "key")
            if key in keys:
                raise FieldError(_("列标识“%(key)s”重复", key=key), "key")
            kind = column.get("type", "text")
            if kind not in COLUMN_TYPES:
                raise FieldError(_("列类型必须是 text 或 number"), "type")
            out = {"key": key, "label": text(column, "label", 100, required=True), "type": kind,
                   "unit": text(column, "unit", 20)}
        except FieldError as exc:
            raise FieldError(exc.message, f"{path}.{exc.path}") from None
        keys.add(key)
        return out

    def validate_response(self, definition: dict, value) -> list[dict]:
        """An answer is a list of rows, each a mapping of column key to text (numbers as numbers)."""
        limit = MAX_ROWS if definition["allow_add_rows"] else definition["rows"]
        if not isinstance(value, list) or len(value) > limit:
            raise FieldError(_("表格最多 %(n)s 行", n=limit))
        rows = []
        for r, row in enumerate(value):
            if not isinstance(row, dict):
                raise FieldError(_("每行必须是“列: 值”的映射"), f"[{r}]")
            unknown = set(row) - {c["key"] for c in definition["columns"]}
            if unknown:
                raise FieldError(_("不存在的列：%(names)s", names=", ".join(sorted(map(str, unknown)))), f"[{r}]")
            rows.append({c["key"]: self._cell(c, row.get(c["key"]), f"[{r}].{c['key']}")
                         for c in definition["columns"]})
        return rows

    @staticmethod
    def _cell(column: dict, value, path: str):
        if column["type"] == "number" and value not in (None, ""):
            if isinstance(value, bool):
                raise FieldError(_("必须是数字"), path)
            try:
                return float(value) if not isinstance(value, int) else value
            except (TypeError, ValueError):
                raise FieldError(_("必须是数字"), path) from None
        try:
            return response_text(value, 500, multiline=False)
        except FieldError as exc:
            raise FieldError(exc.message, path) from None
