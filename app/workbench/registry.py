"""The registry of to-do providers.

A to-do is never stored: it is computed, when a page or the API asks, from the state of the domain it belongs to
(a stage open and due, an essay waiting for a mark, a review queue). A provider is a function
``provider(user, now) -> list[TodoItem]`` registered with :func:`todo_provider`; it must cost a constant number of
SQL statements (one, as a rule) whatever the amount of data, because the workbench runs all of them on every
visit. Providers live in :mod:`app.workbench.providers`, which may import the services and models of every
lower domain (the workbench sits after them in ``DOMAINS``); a new domain registers its own there, or in its own
module imported by it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from app.core import clock


@dataclass(frozen=True)
class TodoItem:
    """One thing a user should do, with where it is done."""

    #: The provider's key (``tasks.stage``, ``exams.open`` ...), stable for API callers.
    kind: str
    #: What to do, in the user's language.
    title: str
    #: Where it is done (a path on this site).
    url: str
    #: When it is due (UTC), or None when it has no deadline.
    due_at: datetime | None = None
    #: A short second line (a comment, a count, a course).
    detail: str = ""

    def is_overdue(self, now: datetime) -> bool:
        return self.due_at is not None and clock.as_utc(self.due_at) < now

    def as_json(self) -> dict:
        due = clock.as_utc(self.due_at)
        return {"kind": self.kind, "title": self.title, "due_at": due.isoformat() if due else None,
                "url": self.url}


Provider = Callable[[object, datetime], list[TodoItem]]


@dataclass(frozen=True)
class TodoProvider:
    name: str
    #: Label of the kind of to-do (lazy string), shown beside each item.
    label: object
    #: Roles whose users are asked (None: every user); the provider itself checks finer conditions.
    roles: frozenset | None
    run: Provider = field(compare=False)


PROVIDERS: dict[str, TodoProvider] = {}


def todo_provider(name: str, *, label, roles: set[str] | None = None) -> Callable[[Provider], Provider]:
    """Register ``fn(user, now) -> list[TodoItem]`` under ``name`` (``"<domain>.<what>"``)."""

    def decorate(fn: Provider) -> Provider:
        PROVIDERS[name] = TodoProvider(name, label, frozenset(roles) if roles else None, fn)
        return fn

    return decorate


def label_of(kind: str) -> str:
    provider = PROVIDERS.get(kind)
    return str(provider.label) if provider else ""


def _sort_key(item: TodoItem):
    due = clock.as_utc(item.due_at)
    return (due is None, due or datetime.min, item.title)


def todos_for(user, now: datetime | None = None) -> list[TodoItem]:
    """Every to-do of ``user``, soonest due first (items without a deadline last)."""
    now = now or clock.now()
    roles = user.role_names
    items: list[TodoItem] = []
    for provider in PROVIDERS.values():
        if provider.roles is not None and not roles & provider.roles:
            continue
        items.extend(provider.run(user, now))
    items.sort(key=_sort_key)
    return items
