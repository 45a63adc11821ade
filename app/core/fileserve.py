"""Serving stored files fast and safely: HTTP Range without reading the body in Python, X-Accel-Redirect,
presigned URLs for object stores, and the headers every served upload carries.

For a local file the response body is the WSGI server's file wrapper around the open file, already seeked to
the range start, with ``Content-Length`` set to the range length: gunicorn then hands the bytes to the kernel
with ``sendfile()``; other servers read it in large chunks, bounded by :class:`FileSlice`. With
``MEDIA_X_ACCEL_PREFIX`` set (e.g. ``/_protected/``), the app only authorises and names the file, and nginx
serves it from an ``internal`` location that aliases the storage folder::

    location /_protected/ { internal; alias /srv/gongxue/instance/storage/; }
"""
from __future__ import annotations

import os
from urllib.parse import quote

from flask import Response, current_app, redirect, request
from werkzeug.wsgi import wrap_file

from app.core import storage
from app.core.exports import download_name as _download_headers
from app.errors import NotFound

#: Served files are never interpreted by the browser as anything else, nor run scripts if opened directly.
SANDBOX_CSP = "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox"
#: Read size for servers without sendfile.
BUFFER = 256 * 1024


class FileSlice:
    """A file object that ends after ``length`` bytes, yet still exposes ``fileno()`` for sendfile.

    gunicorn's sendfile path uses the descriptor's current offset and the response's Content-Length; other
    servers iterate ``read()``, which this class bounds to the range.
    """

    def __init__(self, fh, length: int):
        self._fh = fh
        self._left = length

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        size = self._left if size is None or size < 0 else min(size, self._left)
        data = self._fh.read(size)
        self._left -= len(data)
        return data

    def fileno(self) -> int:
        return self._fh.fileno()

    def close(self) -> None:
        self._fh.close()


def _common_headers(response: Response, *, filename: str | None, attachment: bool, public: bool,
                    max_age: int) -> None:
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = SANDBOX_CSP
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    if attachment:
        response.headers.update(_download_headers(filename or "download"))
    elif filename:
        response.headers["Content-Disposition"] = "inline; filename*=UTF-8''" + quote(filename)
    response.headers["Cache-Control"] = (f"public, max-age={max_age}" if public else "private, no-cache")
    response.headers["Accept-Ranges"] = "bytes"


def send_stored(key: str, *, mimetype: str, etag: str | None = None, filename: str | None = None,
                attachment: bool = False, public: bool = False, max_age: int = 300, req=None) -> Response:
    """The response for stored file ``key``: X-Accel-Redirect, a Range-aware local file, or a redirect to a
    presigned URL, by configuration and storage backend. ``public`` allows shared caches (published files).
    ``req`` is the request (default: Flask's; a bare ``werkzeug.Request`` works, for WSGI middleware)."""
    req = req if req is not None else request
    store = storage.get_storage()
    path = store.path(key)
    if path is None:
        url = store.url(key, expires=current_app.config.get("MEDIA_URL_EXPIRES", 300),
                        filename=filename if attachment else None, mimetype=mimetype)
        if url is None:
            raise NotFound("file not available")
        response = redirect(url, 302)
        response.headers["Cache-Control"] = "private, no-store"
        return response
    prefix = current_app.config.get("MEDIA_X_ACCEL_PREFIX")
    if prefix:
        response = Response(b"", mimetype=mimetype)
        response.headers["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + quote(key)
        _common_headers(response, filename=filename, attachment=attachment, public=public, max_age=max_age)
        return response
    return _send_local(req, path, mimetype=mimetype, etag=etag, filename=filename, attachment=attachment,
                       public=public, max_age=max_age)


def _send_local(request, path: str, *, mimetype: str, etag: str | None, filename: str | None, attachment: bool,
                public: bool, max_age: int) -> Response:
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        raise NotFound("file missing") from None
    size = stat.st_size
    etag = etag or f"{int(stat.st_mtime)}-{size}"
    response = Response(mimetype=mimetype, direct_passthrough=True)
    response.set_etag(etag)
    response.last_modified = int(stat.st_mtime)
    _common_headers(response, filename=filename, attachment=attachment, public=public, max_age=max_age)
    if request.if_none_match and request.if_none_match.contains(etag):
        response.status_code = 304
        return response
    start, length = 0, size
    byte_range = request.range
    if byte_range is not None and request.if_range.etag not in (None, etag):
        byte_range = None  # the client's copy is stale: send the whole new file (RFC 9110 If-Range)
    if byte_range is not None and byte_range.units == "bytes" and len(byte_range.ranges) == 1:
        bounds = byte_range.range_for_length(size)
        if bounds is None and byte_range.ranges[0][0] < 0 and size:
            bounds = (0, size)  # a suffix longer than the file means the whole file (RFC 9110 §14.1.2), not 416
        if bounds is None:
            response.status_code = 416
            response.headers["Content-Range"] = f"bytes */{size}"
            response.content_length = 0
            return response
        start, stop = bounds
        length = stop - start
        response.status_code = 206
        response.headers["Content-Range"] = f"bytes {start}-{stop - 1}/{size}"
    response.content_length = length
    if request.method == "HEAD":
        return response
    fh = open(path, "rb")
    if start:
        fh.seek(start)
    response.response = wrap_file(request.environ, FileSlice(fh, length), buffer_size=BUFFER)
    return response
