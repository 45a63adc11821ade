"""Keyset-free, count-once pagination for list pages."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request
from sqlalchemy import Select, func, select

from app.extensions import db


@dataclass
class Page:
    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    def window(self, size: int = 2) -> list[int]:
        lo, hi = max(1, self.page - size), min(self.pages, self.page + size)
        return list(range(lo, hi + 1))


def paginate(stmt: Select, *, per_page: int | None = None, page: int | None = None) -> Page:
    """Run ``stmt`` for one page: exactly two statements (count and rows) whatever the table size."""
    per_page = per_page or current_app.config["PAGE_SIZE"]
    if page is None:
        page = request.args.get("page", 1, type=int) or 1
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    # A page past the end (or a number too large for the database's OFFSET, ?page=99999999999999999999)
    # shows the last page rather than failing.
    page = min(max(1, page), max(1, -(-total // per_page)))
    items = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).unique().all()
    return Page(list(items), page, per_page, total)
