"""Locale selection and the formatting helpers templates use (Chinese first)."""
from __future__ import annotations

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
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def fmt_date(value) -> str:
    """2026年11月22日 in zh_CN, Nov 22, 2026 in English."""
    return format_date(value, "long") if value else ""


def fmt_datetime(value) -> str:
    if not value:
        return ""
    from app.core.clock import as_utc

    return format_datetime(as_utc(value), "yyyy-MM-dd HH:mm")


def fmt_number(value) -> str:
    """Thousands separators."""
    return format_decimal(value or 0)
