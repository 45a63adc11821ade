"""Worksheet fields (工作页填写项): a registry of field types, one module per type.

A page version stores its fields as a list of plain dicts (JSON), each validated and normalised by its type's
``validate_definition``. A later issue lets students answer them; it will call ``validate_response`` of the same
type, against the definitions of the page version the student saw. The format is documented in
docs/worksheet-fields.md.
"""
from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

#: Field keys are short identifiers: answers are stored under them.
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_FIELDS_PER_PAGE = 60
MAX_LABEL = 200
MAX_HELP = 1000
COMMON_KEYS = frozenset({"key", "type", "label", "help", "required", "stage"})


class FieldError(ValueError):
    """A definition or a response that does not fit its field type. ``path`` says where (``columns[1].key``)."""

    def __init__(self, message: str, path: str = ""):
        self.message, self.path = str(message), path
        super().__init__(f"{path}: {message}" if path else str(message))


class FieldType:
    """Base of every field type. Subclasses set ``name``, ``label``, ``template`` and ``options`` and implement
    ``_validate_options`` (the type-specific part of a definition) and ``validate_response``."""

    #: Value of ``type:`` in a definition.
    name: str = ""
    #: Human name (shown to authors).
    label = _l("填写项")
    #: Read-only rendering (page view and print) under app/templates/.
    template: str = ""
    #: The same, as the simple HTML the PDF builder understands (fpdf2 ``write_html``).
    pdf_template: str = ""
    #: Type-specific keys a definition may carry.
    options: frozenset[str] = frozenset()

    def validate_definition(self, raw: dict) -> dict:
        """Check ``raw`` and return the normalised definition (defaults filled in, unknown keys refused)."""
        unknown = set(raw) - COMMON_KEYS - self.options
        if unknown:
            raise FieldError(_("不认识的属性：%(names)s", names=", ".join(sorted(map(str, unknown)))))
        out = {"key": raw["key"], "type": self.name, "label": text(raw, "label", MAX_LABEL, required=True),
               "help": text(raw, "help", MAX_HELP), "required": boolean(raw, "required", False)}
        stage = raw.get("stage")
        if stage not in (None, ""):
            out["stage"] = key_value(stage, "stage")
        out.update(self._validate_options(raw))
        return out

    def _validate_options(self, raw: dict) -> dict:
        return {}

    def validate_response(self, definition: dict, value):
        """Check a student's answer to this field and return it normalised (raises FieldError)."""
        raise NotImplementedError

    def is_empty(self, value) -> bool:
        return value in (None, "", [], {})


# --- small validators shared by the field types -----------------------------------------------------------

def text(raw: dict, name: str, max_length: int, *, required: bool = False, default: str = "") -> str:
    value = raw.get(name)
    if value is None or value == "":
        if required:
            raise FieldError(_("缺少必填属性“%(name)s”", name=name), name)
        return default
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise FieldError(_("“%(name)s”必须是文字", name=name), name)
    value = str(value).strip()
    if len(value) > max_length:
        raise FieldError(_("“%(name)s”不能超过 %(n)s 个字", name=name, n=max_length), name)
    return value


def integer(raw: dict, name: str, default: int, lo: int, hi: int) -> int:
    value = raw.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise FieldError(_("“%(name)s”必须是 %(lo)s 到 %(hi)s 之间的整数", name=name, lo=lo, hi=hi), name)
    return value


def boolean(raw: dict, name: str, default: bool) -> bool:
    value = raw.get(name, default)
    if not isinstance(value, bool):
        raise FieldError(_("“%(name)s”必须是 true 或 false", name=name), name)
    return value


def key_value(value, path: str) -> str:
    if not isinstance(value, str) or not KEY_RE.match(value):
        raise FieldError(_("标识“%(value)s”无效：须以小写字母开头，只含小写字母、数字和下划线，最长 40 个字符",
                           value=value), path)
    return value


def string_list(raw: dict, name: str, *, max_items: int, max_length: int, required: bool) -> list[str]:
    value = raw.get(name)
    if value in (None, []):
        if required:
            raise FieldError(_("缺少必填属性“%(name)s”", name=name), name)
        return []
    if not isinstance(value, list) or len(value) > max_items:
        raise FieldError(_("“%(name)s”必须是不超过 %(n)s 项的列表", name=name, n=max_items), name)
    out = []
    for i, item in enumerate(value):
        out.append(text({"item": item}, "item", max_length, required=True).strip()
                   if not isinstance(item, (list, dict)) else _bad_item(name, i))
    return out


def _bad_item(name: str, index: int):
    raise FieldError(_("列表项必须是文字"), f"{name}[{index}]")


def response_text(value, max_length: int, *, multiline: bool) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise FieldError(_("答案必须是文字"))
    value = value.replace("\r\n", "\n").strip()
    if not multiline:
        value = " ".join(value.split())
    if len(value) > max_length:
        raise FieldError(_("答案不能超过 %(n)s 个字", n=max_length))
    return value


# --- the registry ---------------------------------------------------------------------------------------------

FIELD_TYPES: dict[str, FieldType] = {}


def register(field_type: type[FieldType]) -> type[FieldType]:
    """Class decorator: make a field type available under its ``name``."""
    FIELD_TYPES[field_type.name] = field_type()
    return field_type


def get_type(name) -> FieldType:
    try:
        return FIELD_TYPES[name]
    except (KeyError, TypeError):
        raise FieldError(_("未知的填写项类型“%(type)s”（可用：%(known)s）", type=name,
                           known=", ".join(sorted(FIELD_TYPES))), "type") from None


def validate_definitions(raw_fields, *, seen: set[str] | None = None) -> list[dict]:
    """Validate a list of field definitions; keys must be unique (also across ``seen``, shared by one page)."""
    if isinstance(raw_fields, dict):
        raw_fields = [raw_fields]
    if not isinstance(raw_fields, list) or not raw_fields:
        raise FieldError(_("填写项必须是一个列表（每项以“- key: ...”开头）"))
    seen = set() if seen is None else seen
    out = []
    for index, raw in enumerate(raw_fields):
        if not isinstance(raw, dict):
            raise FieldError(_("每个填写项必须是“属性: 值”的映射"), f"[{index}]")
        where = f"[{index}]"
        try:
            key = key_value(raw.get("key"), "key")
            where = f"{key}"
            if key in seen:
                raise FieldError(_("标识“%(key)s”重复", key=key), "key")
            definition = get_type(raw.get("type")).validate_definition(raw)
        except FieldError as exc:
            raise FieldError(exc.message, f"{where}.{exc.path}" if exc.path else where) from None
        seen.add(key)
        out.append(definition)
    if len(seen) > MAX_FIELDS_PER_PAGE:
        raise FieldError(_("一页最多 %(n)s 个填写项", n=MAX_FIELDS_PER_PAGE))
    return out


def validate_response(definition: dict, value):
    """Check one answer against the definition (as stored in the page version the student saw)."""
    field_type = get_type(definition["type"])
    if field_type.is_empty(value):
        if definition.get("required"):
            raise FieldError(_("此项必填"), definition["key"])
        return None
    try:
        return field_type.validate_response(definition, value)
    except FieldError as exc:
        raise FieldError(exc.message, definition["key"] + (f".{exc.path}" if exc.path else "")) from None


def _load_types() -> None:
    # One module per type; importing registers it.
    from app.workbooks.fields import checklist, file, long_text, photo, table, text_field  # noqa: F401


_load_types()
