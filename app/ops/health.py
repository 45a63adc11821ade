"""Readiness checks: can this node serve requests? Each check raises when its part is unreachable.

The database is asked ``SELECT 1``; the rate-limit store (Redis when ``RATELIMIT_STORAGE_URI=redis://...``, else
the local SQLite file) is asked through the limits library's own check; ``REDIS_URL``, when set and the
``redis`` package is installed, is pinged; the storage backend is asked whether its folder is writable or its
bucket reachable, without writing anything (probes run every few seconds).
"""
from __future__ import annotations

import os
from collections.abc import Callable

from flask import current_app
from sqlalchemy import text

from app.core import storage as storage_module
from app.extensions import db, limiter


def check_database() -> None:
    try:
        db.session.execute(text("SELECT 1")).scalar_one()
    finally:
        db.session.rollback()


def check_ratelimit() -> None:
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    store = limiter.storage
    if store is None or not store.check():
        raise RuntimeError("rate-limit store did not answer")


def check_redis() -> None:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return
    import redis  # only needed when REDIS_URL is configured

    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    finally:
        client.close()


def check_storage() -> None:
    store = storage_module.get_storage()
    if isinstance(store, storage_module.FileSystemStorage):
        if not os.path.isdir(store.root) or not os.access(store.root, os.W_OK | os.X_OK):
            raise RuntimeError("storage folder is missing or not writable")
    elif isinstance(store, storage_module.S3Storage):
        store.client.head_bucket(Bucket=store.bucket)
    else:
        store.exists("readyz-probe")


def checks() -> dict[str, Callable[[], None]]:
    """Name -> check. Redis is listed only when something is configured to use it."""
    out = {"database": check_database}
    uri = str(current_app.config.get("RATELIMIT_STORAGE_URI") or "")
    if uri.startswith(("redis", "rediss", "valkey")):
        out["redis"] = check_ratelimit
    else:
        out["ratelimit"] = check_ratelimit
    if current_app.config.get("REDIS_URL"):
        out["redis_url"] = check_redis
    out["storage"] = check_storage
    return out


def readiness() -> tuple[bool, dict[str, str], list[str]]:
    """Run every check: (all ok, name -> "ok" or "failed", names that failed)."""
    results, failing = {}, []
    for name, check in checks().items():
        try:
            check()
        except Exception as exc:  # noqa: BLE001 - any failure makes the node not ready; the reason is reported
            # The reason goes to the log only: it may name hosts and accounts, and /readyz is unauthenticated.
            current_app.logger.warning("readyz: %s failed: %s: %s", name, type(exc).__name__, str(exc)[:300])
            results[name] = "failed"
            failing.append(name)
        else:
            results[name] = "ok"
    return not failing, results, failing
