"""Registry of resource providers: other domains (workbooks, media, questions) contribute the resources linked to
learning tasks, without standards importing them.

A provider registers from its own domain (e.g. at the bottom of ``app/media/models.py`` or in its ``views.py``)::

    from app.standards.resources import ResourceLink, register_resource_provider

    def videos_for_tasks(task_ids):                     # one or two statements, whatever len(task_ids)
        rows = db.session.execute(select(Video.id, Video.title, Video.learning_task_id)
                                  .where(Video.learning_task_id.in_(task_ids), published(Video)))
        out = {}
        for vid, title, task_id in rows:
            out.setdefault(task_id, []).append(ResourceLink("video", title, url_for("media.video", video_id=vid)))
        return out

    register_resource_provider("video", videos_for_tasks, label=_l("教学视频"), search=search_videos)

Rules for providers: return APPROVED resources only (learners see this list); use a constant number of SQL
statements; key the result by the learning task id the resource is linked to. ``task_ids`` contains every row of
each task's lineage (the same task in older versions of the standard), so links made against an older version
keep showing after a new version is approved.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from app.extensions import db
from app.standards.models import LearningTask


@dataclass(frozen=True)
class ResourceLink:
    #: The provider kind (``workbook_page``, ``video``, ``document``, ``questions`` ...).
    kind: str
    title: str
    url: str
    #: Short extra text shown after the title (duration, version, number of questions ...).
    detail: str = ""
    #: The learning stage key it belongs to, if any (``inform`` ... or a custom key).
    stage_key: str | None = None


@dataclass
class ResourceProvider:
    kind: str
    #: ``fn(task_ids) -> {task_id: [ResourceLink]}``.
    links: Callable
    #: Display label (lazy string), e.g. 教学视频.
    label: object
    #: ``search(q, task_ids) -> {task_id: [ResourceLink]}`` matching title and text, or None.
    search: Callable | None = None
    #: Whether the coverage view reports tasks lacking this kind.
    coverage: bool = True
    #: ``visible() -> bool``: whether the current user may know of this kind at all (e.g. exam questions are
    #: for staff only); None = everybody. A kind they may not see is left out of lists, filters and coverage.
    visible: Callable | None = None


PROVIDERS: dict[str, ResourceProvider] = {}


def register_resource_provider(kind: str, fn: Callable, *, label, search: Callable | None = None,
                               coverage: bool = True, visible: Callable | None = None) -> ResourceProvider:
    """Register (or replace) the provider of resources of ``kind``."""
    provider = ResourceProvider(kind=kind, links=fn, label=label, search=search, coverage=coverage,
                                visible=visible)
    PROVIDERS[kind] = provider
    return provider


def url_maker(endpoint: str, arg: str):
    """``make(id) -> url`` for ``url_for(endpoint, **{arg: id})``, building the URL once: the package page lists
    over a thousand resources, and ``url_for`` for each costs more than the rest of their link."""
    from flask import url_for

    sentinel = 987654321987
    prefix, _, suffix = url_for(endpoint, **{arg: sentinel}).partition(str(sentinel))
    return lambda value: f"{prefix}{value}{suffix}"


def providers(kinds: list[str] | None = None) -> list[ResourceProvider]:
    """The providers (of ``kinds``) the current user may know of."""
    return [p for k, p in PROVIDERS.items() if (not kinds or k in kinds) and _visible(p)]


def _visible(provider: ResourceProvider) -> bool:
    from flask import has_request_context

    return provider.visible is None or not has_request_context() or bool(provider.visible())


def lineage_map(tasks) -> dict[int, int]:
    """{any task row id in the tasks' lineages: the id of the given (current) task}. One statement.
    ``tasks`` are LearningTask objects or rows with ``id`` and ``lineage_id``."""
    by_lineage = {t.lineage_id or t.id: t.id for t in tasks}
    if not by_lineage:
        return {}
    rows = db.session.execute(select(LearningTask.id, LearningTask.lineage_id)
                              .where(LearningTask.lineage_id.in_(list(by_lineage))))
    out = {t.id: t.id for t in tasks}
    for task_id, lineage_id in rows:
        out.setdefault(task_id, by_lineage[lineage_id])
    return out


def _gather(tasks, call) -> dict[int, list[ResourceLink]]:
    """Call each provider once with every id of the tasks' lineages; key the answers by the given tasks."""
    mapping = lineage_map(tasks)
    out: dict[int, list[ResourceLink]] = {t.id: [] for t in tasks}
    if not mapping:
        return out
    ids = sorted(mapping)
    for provider in call:
        seen = set()
        for task_id, links in (provider(ids) or {}).items():
            current = mapping.get(task_id)
            if current is None:
                continue
            for link in links:
                if (current, link.kind, link.url) not in seen:
                    seen.add((current, link.kind, link.url))
                    out[current].append(link)
    return out


def resources_for_tasks(tasks: list[LearningTask], kinds: list[str] | None = None) -> dict[int, list[ResourceLink]]:
    """Approved resources per given learning task, from every provider (or only ``kinds``)."""
    return _gather(tasks, [p.links for p in providers(kinds)])


def search_resources(q: str, tasks: list[LearningTask], kinds: list[str] | None = None):
    """Resources whose title or text matches ``q``, per given learning task (providers that support search)."""
    return _gather(tasks, [(lambda ids, p=p: p.search(q, ids)) for p in providers(kinds) if p.search])


def coverage(tasks: list[LearningTask], resources: dict[int, list[ResourceLink]]) -> dict[int, dict[str, int]]:
    """{task id: {kind: number of linked resources}} for the kinds the coverage view reports."""
    kinds = [p.kind for p in providers() if p.coverage]
    out = {}
    for task in tasks:
        counts = {k: 0 for k in kinds}
        for link in resources.get(task.id, []):
            if link.kind in counts:
                counts[link.kind] += 1
        out[task.id] = counts
    return out
