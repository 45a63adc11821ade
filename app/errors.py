"""Domain exceptions and their HTTP answers (HTML or JSON by Accept); a 500 rolls the session back."""
from __future__ import annotations

from flask import Flask, flash, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from app.extensions import db


class DomainError(Exception):
    """Base of errors a service raises for a caller to see. ``message`` is user-facing (already translated)."""

    status = 400

    def __init__(self, message: str, *, details=None):
        super().__init__(message)
        self.message = message
        self.details = details


class ValidationError(DomainError):
    status = 400

    @classmethod
    def from_form(cls, form, default: str = "") -> "ValidationError":
        """One error carrying every field error of a WTForms form (FieldList rows included)."""
        return cls(form_error_text(form) or default)


def form_error_text(form) -> str:
    """All field errors of a form, nested ones too, joined into one user-facing message."""
    def flatten(errors):
        if isinstance(errors, dict):
            for value in errors.values():
                yield from flatten(value)
        elif isinstance(errors, (list, tuple)):
            for value in errors:
                yield from flatten(value)
        elif errors:
            yield str(errors)
    return "；".join(flatten(form.errors))


class PermissionDenied(DomainError):
    status = 403


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


class TooLarge(DomainError):
    status = 413


def wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


_TITLES = {
    400: lambda: _("请求有误"),
    401: lambda: _("需要登录"),
    403: lambda: _("没有权限"),
    404: lambda: _("页面不存在"),
    405: lambda: _("不支持的操作"),
    409: lambda: _("操作冲突"),
    413: lambda: _("文件过大"),
    429: lambda: _("操作过于频繁"),
    500: lambda: _("服务器内部错误"),
}

_MESSAGES = {
    400: lambda: _("提交的内容无法处理，请检查后重试。"),
    401: lambda: _("请先登录后再访问。"),
    403: lambda: _("您没有访问此页面的权限。如需访问，请联系管理员。"),
    404: lambda: _("您访问的页面不存在或已被删除。"),
    405: lambda: _("此页面不支持该操作。"),
    409: lambda: _("数据已被其他人修改，请刷新后重试。"),
    413: lambda: _("上传的文件超过了允许的大小。"),
    429: lambda: _("请求过于频繁，请稍后再试。"),
    500: lambda: _("服务器出现问题，我们已记录该错误，请稍后重试。"),
}


def render_error(status: int, message: str | None = None, details=None):
    title = _TITLES.get(status, _TITLES[500])()
    message = message or _MESSAGES.get(status, _MESSAGES[500])()
    if wants_json():
        body = {"error": {"status": status, "title": title, "message": message}}
        if details is not None:
            body["error"]["details"] = details
        return jsonify(body), status
    return render_template("errors/error.html", status=status, title=title, message=message), status


#: The status of a form shown again after a refusal the user can correct: it is the page they were on, with their
#: input and the reason, not an error page (one status for every form, like a form that failed its validators).
FORM_REFUSED_STATUS = 200


def form_refused(exc: DomainError, template, *, form=None, field=None, **context):
    """The one answer to a refusal the user can correct (a typo, a taken key, a missing comment, a stale version):
    roll back, then render ``template`` again with ``form`` and ``context`` — so everything typed is kept — and
    the reason beside ``field`` (a field name of ``form``, a WTForms field of any form on the page, or
    ``exc.details["field"]``), else on top of the page. Not-allowed and not-found refusals (401/403/404) and
    JSON callers get the usual error answer instead. Views use it as
    ``except DomainError as exc: return form_refused(exc, "x/form.html", form=form, ...)``.

    A form that posts to an action route of its own (grant, revoke, add a partner) sits on another page:
    ``template`` is then that page's view function and ``context`` its arguments. The view runs inside this
    POST request, so Flask-WTF fills the forms it builds with what was sent: the page comes back as typed."""
    if exc.status in (401, 403, 404) or wants_json():
        raise exc
    db.session.rollback()
    if field is None and isinstance(exc.details, dict):
        field = exc.details.get("field")
    if isinstance(field, str):
        field = form[field] if form is not None and field in form else None
    if field is not None:
        field.errors = [*field.errors, exc.message]
    else:
        flash(exc.message, "danger")
    if callable(template):
        response = make_response(template(**context))
        response.status_code = FORM_REFUSED_STATUS
        return response
    if form is not None:
        context["form"] = form
    return render_template(template, **context), FORM_REFUSED_STATUS


def render_unauthenticated():
    """The answer to a request that needs a logged-in user and has none: 401 ``{"error": {...}}`` for JSON
    callers (the /api/ routes always), so an API client learns to authenticate rather than to fix a CSRF token."""
    return render_error(401, _("需要登录"))


def register(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):
        db.session.rollback()
        return render_error(exc.status, exc.message, exc.details)

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError):
        return render_error(400, _("表单已过期或来源无效，请刷新页面后重新提交。"))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        if exc.code and exc.code < 400:
            return exc
        db.session.rollback()
        return render_error(exc.code or 500)

    @app.errorhandler(IntegrityError)
    def _integrity(exc: IntegrityError):
        # A unique constraint refused a second copy: the same request sent twice at once (a double click, a
        # replay) whose twin committed first, after both passed the service's own "already there?" check.
        db.session.rollback()
        if is_unique_violation(exc):
            return render_error(409, _("这项操作已经完成（可能重复提交了），请刷新页面查看最新状态。"))
        return _unexpected(exc)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        db.session.rollback()
        app.logger.exception("Unhandled error")
        if app.config.get("PROPAGATE_EXCEPTIONS") and not app.config.get("TESTING"):
            raise exc
        return render_error(500)


def is_unique_violation(exc: IntegrityError) -> bool:
    """Whether the database refused a duplicate of a unique key (PostgreSQL SQLSTATE 23505, SQLite's message)."""
    orig = getattr(exc, "orig", None)
    if getattr(orig, "sqlstate", None) == "23505":
        return True
    return "UNIQUE constraint failed" in str(orig)


def get_or_raise(model, ident, message: str, *, belongs_to: dict | None = None, **options):
    """The row of ``model`` with primary key ``ident``, or :class:`NotFound` with ``message`` (a 404 page or
    JSON answer); the one way services and views load an object by id. ``belongs_to`` ({"course_id": 7})
    also answers 404 for a row of another parent, so an id from another course is never reached through this
    one. ``options`` go to ``Session.get``."""
    obj = db.session.get(model, ident, **options)
    if obj is None or any(getattr(obj, name) != value for name, value in (belongs_to or {}).items()):
        raise NotFound(message)
    return obj
