"""The one source of "now". Tests freeze or move it with ``clock.set_now``; code never calls datetime.now()."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

#: The zone of every calendar day the product counts in (中国标准时间, no daylight saving).
BEIJING = ZoneInfo("Asia/Shanghai")

_frozen: datetime | None = None


def now() -> datetime:
    """Current time, timezone-aware UTC."""
    return _frozen if _frozen is not None else datetime.now(timezone.utc)


def today() -> date:
    return now().date()


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


def beijing_today() -> date:
    """Today's date in Beijing (the day a Chinese user means by 今天)."""
    return now().astimezone(BEIJING).date()


def beijing_day_bounds(day: date | None = None) -> tuple[datetime, datetime]:
    """``[start, end)`` of a Beijing calendar day (today by default) as naive UTC datetimes, to compare with
    stored (naive UTC) timestamps."""
    day = day or beijing_today()
    start = datetime(day.year, day.month, day.day, tzinfo=BEIJING).astimezone(timezone.utc).replace(tzinfo=None)
    return start, start + timedelta(days=1)
