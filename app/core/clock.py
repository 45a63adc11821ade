"""The one source of "now". Tests freeze or move it with ``clock.set_now``; code never calls datetime.now()."""
from __future__ import annotations

from datetime import date, datetime, timezone

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
