"""The fast path for published media files: a WSGI middleware in front of Flask.

Streaming a video is many small Range requests. A published file needs no session, no CSRF, no rate-limit
bookkeeping and no routing table: this middleware recognises the three file URLs, reads the file's facts with
one prebuilt statement, and answers with :func:`app.core.fileserve.send_stored` (file wrapper + sendfile, or
X-Accel-Redirect, or a presigned URL). Anything else — an unpublished or unknown file, another method, another
URL — goes on to the Flask application unchanged, where the normal views authorise it. ``MEDIA_FAST_PATH =
False`` turns it off. The URLs and the answers are the same either way (the views below serve them too).
"""
from __future__ import annotations

import re
import time

from werkzeug.wrappers import Request

from app.core import fileserve
from app.media import services

#: Seconds the fast path remembers a published file's facts (per process). Published files are already sent
#: with ``Cache-Control: public, max-age=300``, so unpublishing reaches players within minutes at worst; this
#: short memory adds nothing to that window and saves the lookup on most Range requests of a playing video.
DEFAULT_FACTS_TTL = 5.0
_MAX_REMEMBERED = 10_000
_remembered: dict[tuple[str, int], tuple[float, object]] = {}

#: path -> (resource kind, which file).
_ROUTES = [
    (re.compile(r"^/media/videos/(\d{1,18})/file$"), "video", "file"),
    (re.compile(r"^/media/videos/(\d{1,18})/poster\.jpg$"), "video", "poster"),
    (re.compile(r"^/media/documents/(\d{1,18})/file$"), "document", "file"),
    (re.compile(r"^/media/images/(\d{1,18})/file$"), "image", "file"),
]

#: The headers app.core.security adds to every response; the fast path skips Flask's after_request hooks.
_SECURITY_HEADERS = {
    "X-Frame-Options": "SAMEORIGIN",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def published_file_response(kind: str, part: str, resource_id: int, req=None, ttl: float = 0.0):
    """The response for a published resource's file, or None (unknown or unpublished: the views decide)."""
    try:
        facts = _published_facts(kind, resource_id, ttl)
        if facts is None:
            return None
        return serve(facts, kind, part, req=req)
    except Exception:  # noqa: BLE001 - unknown id, missing file, database hiccup: the full application
        return None    # answers (and logs) it through its error handlers


def _published_facts(kind: str, resource_id: int, ttl: float):
    now = time.monotonic()
    key = (kind, resource_id)
    hit = _remembered.get(key) if ttl > 0 else None
    if hit is not None and hit[0] > now:
        return hit[1]
    facts = services.delivery(kind, resource_id)
    if facts.review_state != "approved":
        _remembered.pop(key, None)
        return None
    if ttl > 0:
        if len(_remembered) >= _MAX_REMEMBERED:
            _remembered.clear()
        _remembered[key] = (now + ttl, facts)
    return facts


def forget(kind: str, resource_id: int) -> None:
    """Drop remembered facts (this process) when a resource changes state or is deleted."""
    _remembered.pop((kind, resource_id), None)


def serve(facts, kind: str, part: str, req=None):
    """Send the file ``part`` (``file`` or ``poster``) of a resource whose ``facts`` come from
    :func:`services.delivery`; the caller has authorised it."""
    public = facts.review_state == "approved"
    if part == "poster":
        if not facts.preview_key:
            return None
        return fileserve.send_stored(facts.preview_key, mimetype="image/jpeg", public=public, req=req)
    attachment = kind == "document"
    return fileserve.send_stored(facts.storage_key, mimetype=facts.mime, etag=facts.sha256[:32],
                                 filename=facts.original_name if attachment else None, attachment=attachment,
                                 public=public, req=req)


class FastPath:
    """WSGI middleware; see the module docstring."""

    def __init__(self, app, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        route = self._match(environ)
        if route is not None and self.app.config.get("MEDIA_FAST_PATH", True):
            kind, part, resource_id = route
            # An application context only: no session, login or rate-limit machinery on this path.
            with self.app.app_context():
                ttl = float(self.app.config.get("MEDIA_FACTS_TTL", 0 if self.app.testing else DEFAULT_FACTS_TTL))
                response = published_file_response(kind, part, resource_id, req=Request(environ), ttl=ttl)
                if response is not None:
                    for name, value in _SECURITY_HEADERS.items():
                        response.headers.setdefault(name, value)
                    return response(environ, start_response)
        return self.wsgi_app(environ, start_response)

    @staticmethod
    def _match(environ):
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return None
        path = environ.get("PATH_INFO", "")
        if not path.startswith("/media/"):
            return None
        for pattern, kind, part in _ROUTES:
            found = pattern.match(path)
            if found:
                return kind, part, int(found.group(1))
        return None


def install(app) -> None:
    """Put the fast path in front of ``app`` (once)."""
    if not isinstance(app.wsgi_app, FastPath):
        app.wsgi_app = FastPath(app, app.wsgi_app)
