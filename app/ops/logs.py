"""Request ids and JSON logs.

Every request gets an id: the ``X-Request-ID`` header sent by nginx (``proxy_set_header X-Request-ID
$request_id``) or a client when it looks sane, else a fresh one. It is echoed in the response header, so a user's
complaint, nginx's access log and the application's log lines can be joined. With ``LOG_JSON`` (``GX_LOG_JSON=1``)
the application logs one JSON object per line to stderr, and one line per request (logger ``gongxue.access``)
with the request id, method, route (the URL rule, not the raw path), status and duration in milliseconds.
"""
from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from datetime import datetime, timezone

from flask import Flask, g, has_request_context

#: Header carrying the request id, in and out.
HEADER = "X-Request-ID"
_SANE = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")
ACCESS_LOGGER = "gongxue.access"


def new_request_id(incoming: str | None) -> str:
    """The caller's id when it is a plausible token (no spaces, control characters or log injection), else new."""
    if incoming and _SANE.match(incoming):
        return incoming
    return uuid.uuid4().hex


def request_id() -> str | None:
    """The current request's id (None outside a request); jobs started by a request should carry it along."""
    if has_request_context():
        return g.get("gx_request_id")
    return None


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO), level, logger, message, request id and any ``extra`` fields."""

    _STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = getattr(record, "request_id", None) or request_id()
        if rid:
            out["request_id"] = rid
        for key, value in vars(record).items():
            if key not in self._STANDARD and key not in out:
                out[key] = value
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


def configure(app: Flask) -> None:
    """Send the root logger's output as JSON lines to stderr when ``LOG_JSON`` is on (once per process)."""
    if not app.config.get("LOG_JSON"):
        return
    root = logging.getLogger()
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > logging.INFO:
        root.setLevel(logging.INFO)
    # Flask's own handler would print the same record a second time in plain text.
    from flask.logging import default_handler

    app.logger.removeHandler(default_handler)


def log_request(*, method: str, route: str, status: int, duration_ms: float) -> None:
    logging.getLogger(ACCESS_LOGGER).info(
        "%s %s %s", method, route, status,
        extra={"method": method, "route": route, "status": status, "duration_ms": round(duration_ms, 1)})
