"""Benchmark scenarios: one module per scenario, each registering itself in :data:`SCENARIOS`.

A scenario is a function ``run(ctx: Context) -> list[Table]``. To add one, create ``bench/scenarios/<name>.py``
with a function decorated by ``@scenario("<name>", "what it measures")`` and add the module name to
:data:`MODULES`.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.table import Table


@dataclass
class Context:
    """Options shared by every scenario (set from the command line of ``python -m bench.run``)."""

    seconds: int = 10
    connections: int = 8
    rounds: int = 3
    workers: int = 2
    threads: int = 4
    #: gunicorn worker class: gthread (threads per worker) or sync (one request at a time, as in production
    #: behind nginx; README "Production")
    worker_class: str = "gthread"
    #: Database for the HTTP scenarios; None: bench/out/national.db, generated on first use.
    database_url: str | None = None
    log: Callable[[str], None] = print
    extra: dict = field(default_factory=dict)


@dataclass
class Scenario:
    name: str
    description: str
    run: Callable[[Context], list[Table]]


#: name -> Scenario, in registration order.
SCENARIOS: dict[str, Scenario] = {}

#: Scenario modules, imported by :func:`load`; later issues append theirs.
MODULES = ["users", "imports", "startup", "video", "profession", "dashboard", "workbench"]


def scenario(name: str, description: str):
    """Register the decorated ``run(ctx)`` function as scenario ``name``."""
    def deco(fn):
        SCENARIOS[name] = Scenario(name, description, fn)
        return fn
    return deco


def load() -> dict[str, Scenario]:
    for module in MODULES:
        importlib.import_module(f"bench.scenarios.{module}")
    return SCENARIOS
