"""``/healthz``, ``/readyz``, ``/metrics`` and the request hooks that time and log every request.

``/healthz`` answers 200 as long as the process runs (no database: a load balancer must not take every node out
because the database restarts). ``/readyz`` answers 200 when the database, the rate-limit store (Redis when
configured) and the storage backend answer, else 503 with the failing parts named in JSON. ``/metrics`` serves
Prometheus text to a caller presenting ``Authorization: Bearer <METRICS_TOKEN>``; without ``METRICS_TOKEN``
configured it does not exist (404).
"""
from __future__ import annotations

import hmac
import time

from flask import Blueprint, Flask, Response, abort, current_app, g, jsonify, request

from app.ops import logs, metrics
from app.ops.health import readiness

bp = Blueprint("ops", __name__)

#: Endpoints that are neither timed nor logged (probes every few seconds would drown the rest).
QUIET_ENDPOINTS = {"ops.healthz", "ops.readyz", "ops.metrics_view"}


@bp.get("/healthz")
def healthz():
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz():
    ok, results, failing = readiness()
    body = {"status": "ok" if ok else "unavailable", "checks": results}
    if not ok:
        body["failing"] = failing
    response = jsonify(body)
    response.status_code = 200 if ok else 503
    response.headers["Cache-Control"] = "no-store"
    return response


def _token_ok() -> bool:
    expected = current_app.config.get("METRICS_TOKEN")
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return False
    return hmac.compare_digest(header[len("Bearer "):].strip().encode(), str(expected).encode())


@bp.get("/metrics")
def metrics_view():
    if not current_app.config.get("METRICS_TOKEN"):
        abort(404)  # the same answer as any unknown address
    if not _token_ok():
        return Response("Unauthorized\n", status=401, mimetype="text/plain",
                        headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    body, content_type = metrics.render()
    return Response(body, content_type=content_type, headers={"Cache-Control": "no-store"})


def _start():
    g.gx_started = time.perf_counter()
    g.gx_request_id = logs.new_request_id(request.headers.get(logs.HEADER))
    if request.endpoint in QUIET_ENDPOINTS:
        # Answer probes and scrapes before the other hooks: no session, no API-token lookup (the metrics token
        # is a Bearer token too, which the API-token hook would refuse), no database unless the check needs it.
        return current_app.view_functions[request.endpoint](**(request.view_args or {}))
    return None


def _finish(response):
    started = g.pop("gx_started", None)
    rid = g.get("gx_request_id")
    if rid:
        response.headers[logs.HEADER] = rid
    if started is None or request.endpoint in QUIET_ENDPOINTS:
        return response
    seconds = time.perf_counter() - started
    rule = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
    metrics.observe(endpoint=request.endpoint, route=rule, method=request.method, status=response.status_code,
                    seconds=seconds)
    if current_app.config.get("LOG_JSON"):
        logs.log_request(method=request.method, route=rule, status=response.status_code,
                         duration_ms=seconds * 1000)
    return response


@bp.record_once
def _install(state) -> None:
    app: Flask = state.app
    logs.configure(app)
    # First of all before_request hooks, so that a request refused by an earlier hook (rate limit, CSRF, login)
    # is still timed and carries its id; after_request hooks run in reverse order, so this one runs last.
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request_funcs.setdefault(None, []).insert(0, _finish)
    # Probes must not be rate limited: a load balancer polling /readyz would use up the limit of its address.
    from app.extensions import limiter

    for view in (healthz, readyz, metrics_view):
        limiter.exempt(view)
