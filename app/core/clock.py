"""The one source of "now", and the one place where UTC becomes local time.

Tests freeze or move the clock with ``clock.set_now``; code never calls datetime.now().

Times are stored in UTC. What people read, print or download is in the configured zone (``TIMEZONE``, from the
environment variable ``GX_TIMEZONE``; default Asia/Shanghai), and a date without a time (an issue date, an
effective date, "today") is the local date: a certificate issued at 03:30 Beijing time is dated that day, not
the previous one as the UTC date would say. Templates use the ``date``, ``datetime`` and ``local_input``
filters built on these helpers; exports, PDFs, badges and file names call them directly.
"""
from __future__ import annotations

import os
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Asia/Shanghai"
#: Zones whose clocks read Beijing time; exports call their times 北京时间 instead of naming the offset.
BEIJING_ZONES = {"Asia/Shanghai", "Asia/Chongqing", "Asia/Chungking", "Asia/Harbin", "PRC"}
#: The value format of ``<input type="datetime-local">`` (minutes).
INPUT_FORMAT = "%Y-%m-%dT%H:%M"

_frozen: datetime | None = None


def now() -> datetime:
    """Current time, timezone-aware UTC."""
    return _frozen if _frozen is not None else datetime.now(timezone.utc)


def set_now(value: datetime | None) -> None:
    """Freeze the clock at ``value`` (aware datetime), or unfreeze with ``None``."""
    global _frozen
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    _frozen = value


def as_utc(value: datetime | None) -> datetime | None:
    """Databases such as SQLite return naive datetimes; everything stored is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


# -- the configured zone ----------------------------------------------------------------------------------------

@lru_cache(maxsize=16)
def _zone_named(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def zone_name() -> str:
    """The configured zone's name: the application's ``TIMEZONE`` setting, else ``GX_TIMEZONE``, else Shanghai."""
    from flask import current_app, has_app_context

    name = current_app.config.get("TIMEZONE") if has_app_context() else None
    return name or os.environ.get("GX_TIMEZONE") or DEFAULT_ZONE


def zone() -> ZoneInfo:
    """The configured zone (``ZoneInfo``)."""
    return _zone_named(zone_name())


def check_zone(name: str) -> str:
    """``name`` if it is a known IANA zone, else ValueError (the application refuses to start with a typo)."""
    try:
        _zone_named(name)
    except (KeyError, ValueError) as exc:
        raise ValueError(f"Unknown time zone {name!r} (GX_TIMEZONE); use an IANA name such as Asia/Shanghai.") \
            from exc
    return name


# -- UTC -> local ------------------------------------------------------------------------------------------------

def to_local(value: datetime | None) -> datetime | None:
    """A stored (UTC, aware or naive) datetime as an aware datetime in the configured zone."""
    if value is None:
        return None
    return as_utc(value).astimezone(zone())


def local_now() -> datetime:
    """Now, in the configured zone (aware)."""
    return now().astimezone(zone())


def local_today() -> date:
    """Today's date in the configured zone: the date a person there writes on a form or a certificate."""
    return local_now().date()


def today() -> date:
    """Today's LOCAL date (same as ``local_today``; kept for existing callers). A date-only value is always
    the local date: the UTC date is the previous day for the first eight hours of a Beijing morning."""
    return local_today()


def local_date(value: datetime | date | None) -> date | None:
    """The local calendar date of a stored datetime; a date passes unchanged (it is already local)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return to_local(value).date()
    return value


def local_text(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    """A stored datetime written in local time for exports and plain text ("" for None)."""
    return "" if value is None else to_local(value).strftime(fmt)


def stamp(fmt: str = "%Y%m%d") -> str:
    """The local date (or time) for file names such as ``成绩-20260302.xlsx``."""
    return local_now().strftime(fmt)


# -- local -> UTC ------------------------------------------------------------------------------------------------

def from_local(value: datetime | None) -> datetime | None:
    """A naive datetime typed in the configured zone (e.g. a datetime-local input) as aware UTC. An aware value is
    only converted."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone())
    return value.astimezone(timezone.utc)


def parse_local_input(value: str | None) -> datetime | None:
    """A ``datetime-local`` string (``2026-03-02T11:00``) typed in the configured zone -> aware UTC; None when
    empty; ValueError when it is not such a string."""
    if not value:
        return None
    return from_local(datetime.strptime(value.strip()[:16], INPUT_FORMAT))


def local_input(value: datetime | None) -> str:
    """A stored datetime as the value of a ``datetime-local`` input (local wall time, minutes)."""
    return "" if value is None else to_local(value).strftime(INPUT_FORMAT)


def local_naive(value: datetime | None) -> datetime | None:
    """A stored datetime as a naive local datetime (what WTForms' DateTimeLocalField displays)."""
    return None if value is None else to_local(value).replace(tzinfo=None)


def start_of_local_day(day: date) -> datetime:
    """Midnight at the start of ``day`` in the configured zone (aware)."""
    return datetime.combine(day, time.min, tzinfo=zone())


def end_of_local_day(day: date) -> datetime:
    """The last second of ``day`` in the configured zone (aware)."""
    return start_of_local_day(day + timedelta(days=1)) - timedelta(seconds=1)


def utc_range_of_local_days(first: date, last: date) -> tuple[datetime, datetime]:
    """``[start, end)`` in naive UTC (how columns store it) covering the local days ``first`` to ``last``: for
    comparing stored datetimes with date-only periods (a phase from 2026-01-01 to 2026-06-30 Beijing time)."""
    start = start_of_local_day(first).astimezone(timezone.utc).replace(tzinfo=None)
    end = start_of_local_day(last + timedelta(days=1)).astimezone(timezone.utc).replace(tzinfo=None)
    return start, end


# -- naming the zone ---------------------------------------------------------------------------------------------

def utc_offset_label(at: datetime | None = None) -> str:
    """``UTC+08:00``: the configured zone's offset at ``at`` (default now)."""
    offset = (as_utc(at) if at else now()).astimezone(zone()).utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def zone_label() -> str:
    """How an export names the zone of its times: 北京时间 (Beijing Time in English), else the UTC offset."""
    if zone_name() in BEIJING_ZONES:
        from flask_babel import gettext

        try:
            return gettext("北京时间")
        except (RuntimeError, KeyError):  # outside a request or application: the source text
            return "北京时间"
    return utc_offset_label()


def zone_header(label: str) -> str:
    """A column header that names the zone of its times: ``提交时间（北京时间）``."""
    from flask_babel import gettext

    try:
        return gettext("%(label)s（%(zone)s）", label=label, zone=zone_label())
    except (RuntimeError, KeyError):
        return f"{label}（{zone_label()}）"
