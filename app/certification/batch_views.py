"""The admin's batch issue page: start a batch for a program, then the page works through it chunk by chunk.

Each chunk is one POST that htmx sends while the page is open (the answer is the progress panel, which asks
for the next chunk until the batch is done): no background worker is needed, every request stays short, and a
closed page simply pauses the batch until it is opened again. Registered on the certification blueprint
(``certification.batches.*``).
"""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.certification import permissions, services
from app.core.database import begin_write
from app.errors import PermissionDenied, ValidationError
from app.extensions import db

batches = Blueprint("batches", __name__, url_prefix="/training/batches")


def _require_issuer() -> None:
    if not permissions.can_issue_certificates(current_user):
        raise PermissionDenied(_("您没有权限执行此操作。"))


def _verify_url(cert) -> str:
    return url_for("certification.verify", code=cert.code, _external=True)


@batches.route("")
@login_required
def index():
    _require_issuer()
    return render_template("certification/batches.html", programs=services.list_programs(),
                           batches=services.recent_batches())


@batches.route("", methods=["POST"])
@login_required
def start():
    _require_issuer()
    program_id = request.form.get("program_id", type=int)
    if not program_id:
        raise ValidationError(_("请选择培训项目。"))
    program = services.get_program(program_id)
    begin_write()
    batch = services.start_batch(program, current_user)
    db.session.commit()
    return redirect(url_for("certification.batches.show", batch_id=batch.id))


@batches.route("/<int:batch_id>")
@login_required
def show(batch_id: int):
    _require_issuer()
    return render_template("certification/batch.html", batch=services.get_batch(batch_id))


@batches.route("/<int:batch_id>/step", methods=["POST"])
@login_required
def step(batch_id: int):
    """Issue the next chunk and answer the progress panel (which asks for the chunk after it while running)."""
    _require_issuer()
    services.get_batch(batch_id)  # 404 before taking the write slot
    begin_write()
    batch = services.get_batch(batch_id, lock=True)  # two open tabs take turns; the cursor moves once
    certs = services.run_batch_chunk(batch, actor=current_user)
    # The certificates are committed before their PDF is drawn, so no write lock is held while drawing; they
    # are detached first so that the commit does not expire them (drawing would reload each one).
    for cert in certs:
        db.session.expunge(cert)
    db.session.commit()
    if certs:
        data = services.render_batch_part(certs, _verify_url)
        begin_write()
        batch = services.get_batch(batch_id, lock=True)
        services.add_batch_part(batch, data)
        db.session.commit()
    return render_template("certification/_batch_progress.html", batch=batch)


@batches.route("/<int:batch_id>/parts/<int:number>.pdf")
@login_required
def part(batch_id: int, number: int):
    from app.core.fileserve import send_stored

    _require_issuer()
    batch = services.get_batch(batch_id)
    keys = batch.pdf_keys or []
    if not 1 <= number <= len(keys):
        abort(404)
    return send_stored(keys[number - 1], mimetype="application/pdf", attachment=True,
                       filename=_("证书-%(b)s-%(n)s.pdf", b=batch.id, n=number))
