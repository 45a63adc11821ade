"""Registry of grade-item kinds (grade sources). One module per kind registers itself with :func:`register`.

A source computes the points of its items for many learners at once::

    source.compute(items, user_ids) -> {(item_id, user_id): points or None}

with a fixed number of queries. ``manual`` items have no source computation: a teacher enters them. Other
domains plug in their kind: exams (adapter here, loaded when the exams domain is installed) and work tasks
(the tasks domain registers ``work_task`` from its own package, as it comes after grading's dependencies).
"""
from __future__ import annotations

import importlib
from collections.abc import Iterable

from flask_babel import lazy_gettext as _l


class GradeSource:
    name: str = ""
    label = _l("成绩项")
    #: Whether teachers type the points in (manual) rather than the platform computing them.
    entered_by_hand: bool = False
    #: Whether the item points at an object of another domain (``targets(course)`` lists them).
    needs_target: bool = False

    def compute(self, items, user_ids: Iterable[int]) -> dict[tuple[int, int], float | None]:
        return {}

    def targets(self, course) -> list[tuple[int, str]]:
        return []

    def source_label(self, item) -> str:
        """What ``Grade.source`` records for a computed value, e.g. ``exam:12``."""
        return f"{self.name}:{item.target_id or ''}"


SOURCES: dict[str, GradeSource] = {}


def register(source_class):
    SOURCES[source_class.name] = source_class()
    return source_class


def get_source(name: str) -> GradeSource | None:
    return SOURCES.get(name)


def choices() -> list[tuple[str, str]]:
    return [(s.name, str(s.label)) for s in SOURCES.values()]


BUILTIN = ("manual",)
#: Adapter module -> the domain that must be installed for it to load.
ADAPTERS = {"exam": "exams"}


def load_sources(domains: Iterable[str]) -> None:
    installed = set(domains)
    for module in BUILTIN:
        importlib.import_module(f"{__name__}.{module}")
    for module, domain in ADAPTERS.items():
        if domain in installed:
            importlib.import_module(f"{__name__}.{module}")
