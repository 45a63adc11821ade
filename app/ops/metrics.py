"""Prometheus metrics (prometheus-client).

Request latency is a histogram per route — the URL rule such as ``/attempts/<int:attempt_id>``, never the raw
path, so that the number of series stays bounded — and method and status class; the exam autosave (``PUT
/api/v1/attempts/<id>/items/<slot>``) has its own histogram with finer buckets, since it is the hot path of an
exam peak.

Under gunicorn every worker is a process with its own counters. Set ``PROMETHEUS_MULTIPROC_DIR`` to an empty
folder (wiped at each start; deploy/gunicorn.conf.py does this and marks dead workers) and the client library
writes the values to files there, which :func:`render` merges, so any worker answers for all of them.
"""
from __future__ import annotations

import os

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client import REGISTRY as DEFAULT_REGISTRY

#: Seconds; a page should answer well under a second, an autosave under 300 ms at p99.
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
AUTOSAVE_BUCKETS = (0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 5.0)
#: The endpoint of the exam autosave (app/exams/api.py:save_item).
AUTOSAVE_ENDPOINT = "exams.api.save_item"

REQUEST_LATENCY = Histogram(
    "gongxue_request_duration_seconds", "Time from the first request hook to the response, by route.",
    ["route", "method", "status"], buckets=REQUEST_BUCKETS)
AUTOSAVE_LATENCY = Histogram(
    "gongxue_exam_autosave_duration_seconds", "Exam autosave latency, by outcome (saved, refused, error).",
    ["outcome"], buckets=AUTOSAVE_BUCKETS)


def status_class(status: int) -> str:
    return f"{status // 100}xx"


def observe(*, endpoint: str | None, route: str, method: str, status: int, seconds: float) -> None:
    """Record one answered request."""
    klass = status_class(status)
    REQUEST_LATENCY.labels(route, method, klass).observe(seconds)
    if endpoint == AUTOSAVE_ENDPOINT:
        outcome = "saved" if status < 300 else ("error" if status >= 500 else "refused")
        AUTOSAVE_LATENCY.labels(outcome).observe(seconds)


def render() -> tuple[bytes, str]:
    """The exposition text: this process's metrics, or every worker's when ``PROMETHEUS_MULTIPROC_DIR`` is set."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = DEFAULT_REGISTRY
    return generate_latest(registry), CONTENT_TYPE_LATEST
