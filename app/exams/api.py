"""JSON API of the attempt engine under /api/v1 (token or session + X-CSRFToken).

Every endpoint answers someone else's attempt exactly like a missing one (404). Errors are JSON through
app/errors.py. Bodies carry the server's ``now`` so that clients count down from the server's clock.
"""
from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.core import uploads
from app.core.database import begin_write, writes_late
from app.errors import Conflict, NotFound, ValidationError
from app.exams import integrity, permissions, services
from app.extensions import db

api = Blueprint("api", __name__, url_prefix="/api/v1")
uploads.install(api)


def _own_attempt(attempt_id: int):
    attempt = services.get_attempt(attempt_id, lean=True)
    if not permissions.can_answer_attempt(current_user, attempt):
        raise NotFound(_("答卷不存在。"))
    return attempt


def _json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationError(_("请求体必须是 JSON 对象。"))
    return body


@api.post("/exams/<int:exam_id>/attempts")
@login_required
@writes_late
def start_attempt(exam_id: int):
    """Start the student's attempt, or resume the open one.

    Resuming only reads. Starting plans the draw with reads, then takes the write lock just to insert it (the
    plan carries plain values, so nothing is reloaded while the lock is held).
    """
    user = current_user._get_current_object()
    exam = services.get_exam(exam_id)
    current = services.open_attempt_brief(exam.id, user.id)
    if current is not None and services.is_overdue_deadline(current[1]):
        begin_write()
        services.close_attempt(current[0], closed_by="timeout")
        db.session.commit()
        current = None
    if current is not None:
        return jsonify(services.attempt_view(services.get_attempt(current[0], lean=True))), 200
    body = request.get_json(silent=True)
    code = body.get("access_code") if isinstance(body, dict) else None
    plan = services.plan_attempt(exam, user, code=code if isinstance(code, str) else None, ip=request.remote_addr)
    begin_write()
    attempt, created = services.create_attempt(plan)
    attempt_id = attempt.id
    # Forget the instance: reloading the expired one after the commit would bring its student and roles too.
    db.session.expunge(attempt)
    db.session.commit()
    return jsonify(services.attempt_view(services.get_attempt(attempt_id, lean=True))), 201 if created else 200


@api.get("/attempts/<int:attempt_id>")
@login_required
def get_attempt(attempt_id: int):
    """State, deadline, saved responses and whatever review the exam's policy allows now."""
    attempt = _own_attempt(attempt_id)
    if services.is_overdue(attempt):
        # The deadline passed while nobody was looking: close it now with its saved answers.
        begin_write()
        services.close_attempt(attempt_id, closed_by="timeout")
        db.session.commit()
        attempt = services.get_attempt(attempt_id)
    return jsonify(services.attempt_view(attempt))


@api.put("/attempts/<int:attempt_id>/items/<int:slot>")
@login_required
@writes_late
def save_item(attempt_id: int, slot: int):
    """Autosave one answer: ``{"response": ..., "seq": n}``; a stale seq or a closed attempt gets 409."""
    user_id = current_user.id
    body = _json_body()
    if "response" not in body or "seq" not in body:
        raise ValidationError(_("请求体需要 response 和 seq 两个字段。"))
    target = services.load_save_target(attempt_id, slot, user_id)
    try:
        response = services.check_save(target, body["response"], body["seq"])
    except Conflict as exc:
        if exc.details and exc.details.get("state") == "overdue":
            begin_write()
            services.close_attempt(attempt_id, closed_by="timeout")
            db.session.commit()
        raise
    # The write lock is taken for the guarded UPDATE only; it re-checks seq, state and deadline itself.
    begin_write()
    saved_at = services.store_response(target, response, body["seq"])
    db.session.commit()
    return jsonify({"slot": slot, "seq": body["seq"], "saved_at": services._iso(saved_at),
                    "now": services._iso(saved_at), "deadline": services._iso(target.deadline)})


@api.post("/attempts/<int:attempt_id>/items/<int:slot>/files")
@uploads.upload_endpoint(services.ATTACHMENT_KINDS)
@login_required
@writes_late
def upload_file(attempt_id: int, slot: int):
    """Attach a photo or document to an essay answer (multipart field ``file``); list its id in the answer."""
    user_id = current_user.id
    target = services.load_save_target(attempt_id, slot, user_id)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationError(_("请选择要上传的文件。"))
    begin_write()
    record = services.attach_file(target, upload)
    db.session.commit()
    return jsonify(services.file_view(record)), 201


@api.post("/attempts/<int:attempt_id>/submit")
@login_required
@writes_late
def submit(attempt_id: int):
    """Finish the attempt exactly once; every caller gets the same final attempt."""
    user_id = current_user.id
    begin_write()
    services.close_attempt(attempt_id, closed_by="student", user_id=user_id)
    db.session.commit()
    attempt = _own_attempt(attempt_id)
    return jsonify(services.attempt_view(attempt, include_now=False))


@api.post("/attempts/<int:attempt_id>/events")
@login_required
@writes_late
def record_event(attempt_id: int):
    """The exam page's integrity log: ``{"kind": "open"|"hidden"|"blur"|"fullscreen_exit"|"copy"|"paste",
    "tab": "<random id of the browser tab>"}``. Only on one's own attempt in progress (else 404 / 409).
    Never used to grade."""
    body = _json_body()
    begin_write()
    kinds = integrity.record(attempt_id, current_user.id, body.get("kind"), tab=body.get("tab"),
                             ip=request.remote_addr)
    db.session.commit()
    return jsonify({"recorded": kinds}), 201


@api.get("/csrf-token")
@login_required
def csrf_token():
    """A fresh CSRF token for a page whose token was refused (the exam page retries with it)."""
    from flask_wtf.csrf import generate_csrf

    return jsonify({"csrf_token": generate_csrf()})
