"""Wiring of Flask-Login to server-side sessions and bearer tokens."""
from __future__ import annotations

from flask import Flask, g, request, session
from flask_babel import lazy_gettext as _l

from app.auth import services
from app.errors import render_error
from app.extensions import db, login_manager

login_manager.login_view = "auth.login"
login_manager.login_message = _l("请先登录。")
login_manager.login_message_category = "warning"
# Session protection is done by server-side session records; Flask-Login's "strong" mode would also log
# people out when their mobile network changes IP.
login_manager.session_protection = None


@login_manager.user_loader
def _load_user(token: str):
    record = services.load_session(token)
    if record is None:
        return None
    g.user_session = record
    _best_effort(lambda: services.touch_session(record) and db.session.commit())
    return record.user


def _best_effort(write) -> None:
    """Run a bookkeeping write (last_seen_at / last_used_at). Under write contention SQLite refuses to turn this
    request's read transaction into a write one ("database is locked"); the timestamp is a hint, so skip it
    rather than fail the request."""
    from sqlalchemy.exc import OperationalError

    try:
        write()
    except OperationalError:
        db.session.rollback()


@login_manager.unauthorized_handler
def _unauthorized():
    from flask import flash, redirect, url_for

    from app.errors import render_unauthenticated, wants_json

    if wants_json():
        return render_unauthenticated()
    flash(str(login_manager.login_message), "warning")
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def register(app: Flask) -> None:
    @app.before_request
    def _bearer_token():
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        g.bearer_request = True
        user = services.authenticate_token(header[7:].strip())
        if user is None:
            return render_error(401, str(_l("访问令牌无效或已撤销。")))
        if db.session.dirty:  # last_used_at (committing otherwise would only expire the user we just loaded)
            _best_effort(db.session.commit)
        g.auth_via_token = True
        g.csrf_valid = True  # Flask-WTF forms skip their own CSRF check: a bearer token cannot be forged cross-site
        g._login_user = user  # Flask-Login's per-request user: the token wins over any cookie
        return None

    @app.after_request
    def _no_cookie_for_token_requests(response):
        # A token caller has no browser session; rendering a page must not create one.
        if g.get("bearer_request"):
            session.modified = False
        return response
