"""Locale selection and the formatting helpers templates use (Chinese first)."""
from __future__ import annotations

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
