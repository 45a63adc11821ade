"""URL converters shared by every blueprint."""
from __future__ import annotations

from werkzeug.routing import IntegerConverter

#: The largest id a primary key holds on every supported database (PostgreSQL ``integer``).
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<int:...>`` that matches only numbers a database id can hold.

    Werkzeug's converter takes any length of digits, and ``/exams/99999999999999999999`` then failed inside the
    database driver (SQLite's OverflowError, PostgreSQL's "out of range for type integer") as a 500. Capped,
    such an address simply matches no route: a 404 like any other id that does not exist."""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):  # noqa: A002 - werkzeug's names
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=MAX_ID if max is None else max, signed=signed)


def register(app) -> None:
    """Install the converters; must run before any route is added."""
    app.url_map.converters["int"] = IdConverter
