"""Request-wide protections: CSRF on every state change, security headers, safe redirects."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, current_app, g, request
from flask_login import current_user

from app.errors import render_unauthenticated
from app.extensions import csrf

SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}

CSP = ("default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; object-src 'none'; "
       "base-uri 'self'; form-action 'self'; frame-ancestors 'self'")


def register(app: Flask) -> None:
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)

    @app.before_request
    def _csrf_protect():
        # Token-authenticated API calls carry no cookie, so they cannot be forged cross-site.
        if request.method in SAFE_METHODS or g.get("auth_via_token"):
            return None
        if request.path.startswith("/api/") and not current_user.is_authenticated:
            # No token and no session: the caller must log in first (401), whatever its CSRF token says.
            return render_unauthenticated()
        if not current_app.config.get("WTF_CSRF_ENABLED", True):
            return None
        csrf.protect()
        return None

    @app.after_request
    def _headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if request.endpoint != "static" and "Cache-Control" not in headers:
            headers["Cache-Control"] = "no-store" if getattr(g, "_login_user_id", None) else "no-cache"
        return response


def safe_next_url(target: str | None, default: str) -> str:
    """Return ``target`` only when it is a path on this site (no scheme, no host, no ``//`` or ``\\`` tricks)."""
    if not target:
        return default
    target = target.strip()
    if target.startswith(("//", "\\", "/\\")) or "\\" in target or any(ord(c) < 32 for c in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/"):
        return default
    return target
