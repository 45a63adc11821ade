"""Locale selection and the formatting helpers templates use (Chinese first)."""
from __future__ import annotations

import functools
from decimal import ROUND_HALF_UP, Decimal

from flask import current_app, request, session
from flask_babel import format_date, format_datetime, format_decimal
from flask_babel import lazy_gettext as _l  # noqa: F401  (re-exported for forms)

LOCALE_SESSION_KEY = "locale"


def select_locale() -> str:
    """The session's explicit choice, else zh_CN: the platform speaks Chinese unless asked otherwise."""
    choice = session.get(LOCALE_SESSION_KEY) if request else None
    if choice in current_app.config["LANGUAGES"]:
        return choice
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    from app.core import clock

    return clock.zone_name()


def fmt_date(value) -> str:
    """2026年11月22日 in zh_CN, Nov 22, 2026 in English. A datetime shows its LOCAL date (clock.local_date)."""
    from app.core import clock

    return format_date(clock.local_date(value), "long") if value else ""


def fmt_datetime(value) -> str:
    """A stored (UTC) datetime in the configured zone: 2026-03-02 03:30."""
    if not value:
        return ""
    from app.core import clock

    return format_datetime(clock.to_local(value), "yyyy-MM-dd HH:mm")


def fmt_local_input(value) -> str:
    """A stored datetime as the value of an ``<input type="datetime-local">`` (local wall time)."""
    from app.core import clock

    return clock.local_input(value)


def fmt_number(value) -> str:
    """Thousands separators."""
    return format_decimal(value or 0)


def fmt_score(value) -> str:
    """A score, points, a weight or a percentage as a person writes it: at most two decimals, rounded half up,
    no trailing zeros, thousands separators (28.33, 27.67, 5, 1,234.5); empty for None. Every page that shows
    one uses this (the ``score`` filter); exports keep the numbers themselves."""
    if value is None or value == "":
        return ""
    try:
        rounded = Decimal(repr(float(value))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except (TypeError, ValueError, ArithmeticError):
        return str(value)
    if not rounded.is_finite():
        return str(value)
    if rounded == 0:
        return "0"  # never "-0"
    if -1000 < rounded < 1000:  # the common case, without Babel: the gradebook formats a thousand cells a page
        return f"{rounded:f}".rstrip("0").rstrip(".")  # quantized: always has two decimals to strip
    return format_decimal(rounded, "#,##0.##")
# --- ordering Chinese names ------------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=4096)
def pinyin_key(text: str) -> tuple:
    """Sort key that orders Chinese text as a Chinese reader expects: by pinyin (光伏 < 健康 < 信息), not by code
    point (信息 < 健康 < 光伏). Latin letters and digits sort by themselves, case-insensitively; ties keep the text."""
    from pypinyin import Style, lazy_pinyin

    text = text or ""
    return tuple(s.lower() for s in lazy_pinyin(text, style=Style.TONE3, errors="default")), text


def by_pinyin(items, key=lambda item: item):
    """``items`` sorted by the pinyin of ``key(item)`` (a name); stable, so equal names keep their order."""
    return sorted(items, key=lambda item: pinyin_key(str(key(item) or "")))


def sort_choices(choices):
    """Drop-down choices ``[(value, label), ...]`` sorted by the pinyin of their labels; the entries without a
    value (“（无）”, “请选择专业”) stay in front, in their order."""
    head = [c for c in choices if not c[0]]
    return head + by_pinyin([c for c in choices if c[0]], key=lambda c: c[1])
