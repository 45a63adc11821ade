"""Locale selection and the formatting helpers templates use (Chinese first)."""
from __future__ import annotations

import functools

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
