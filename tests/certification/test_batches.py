"""Batch issue from the admin page: chunks stepped by htmx, a moving progress bar, print-ready PDF parts,
refusals with reasons, administrators only, and a fixed number of statements per chunk."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.certification import services
from app.certification.models import Certificate
from app.extensions import db
from tests import factories
from tests.certification.test_programs_and_certificates import _complete, program  # noqa: F401  (fixture)


def _teachers(prog, ready: int, missing: int = 0):
    out = []
    for i in range(ready + missing):
        teacher = factories.user("teacher")
        services.enroll(prog, teacher)
        if i < ready:
            _complete(prog, teacher)
        out.append(teacher)
    db.session.commit()
    return out


def _step(client, batch_id: int, token: str):
    response = client.post(f"/training/batches/{batch_id}/step", headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def test_admin_issues_a_batch_chunk_by_chunk_with_progress_and_pdf_parts(client, login_as, program, monkeypatch):
    monkeypatch.setattr(services, "BATCH_CHUNK", 2)
    teachers = _teachers(program, ready=3, missing=1)
    admin = login_as("platform_admin")
    assert "批量发证" in client.get("/training/batches").get_data(as_text=True)
    started = client.form("/training/batches", {"program_id": program.id}, token_from="/training/batches")
    assert started.status_code == 302
    page_url = started.headers["Location"]
    batch_id = int(re.search(r"/training/batches/(\d+)$", page_url).group(1))
    page = client.get(page_url).get_data(as_text=True)
    assert f'hx-post="/training/batches/{batch_id}/step"' in page and "0 / 4" in page
    token = client.csrf_token(page_url)

    first = _step(client, batch_id, token)
    assert "2 / 4" in first and 'data-width="50"' in first and "hx-post" in first
    second = _step(client, batch_id, token)
    assert "4 / 4" in second and "已发证 3 人，未满足条件 1 人。" in second
    assert teachers[3].username in second and "还差" in second  # the refused teacher with the reason
    done = _step(client, batch_id, token)
    assert "已完成" in done and "hx-post" not in done  # the panel stops asking
    assert db.session.scalar(select(func.count(Certificate.id)).where(Certificate.program_id == program.id)) == 3
    # the admin is told the batch finished, and each certified teacher that a certificate was issued
    from app.notifications.models import Notification

    notes = {(n.recipient_id, n.kind): n for n in db.session.scalars(select(Notification))}
    assert "发证 3 人" in notes[(admin.id, "imports.finished")].body
    assert notes[(admin.id, "imports.finished")].url == f"/training/batches/{batch_id}"
    assert all((t.id, "certification.issued") in notes for t in teachers[:3])
    assert (teachers[3].id, "certification.issued") not in notes

    parts = re.findall(rf'href="(/training/batches/{batch_id}/parts/\d+\.pdf)"', done)
    assert len(parts) == 2  # one per chunk that issued certificates
    pages = 0
    for url in parts:
        pdf = client.get(url)
        assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
        pages += len(re.findall(rb"/Type /Page\b(?!s)", pdf.data))
    assert pages == 3
    assert client.get(f"/training/batches/{batch_id}/parts/9.pdf").status_code == 404
    # A later batch checks only who is still without a certificate: the refused teacher.
    again = client.form("/training/batches", {"program_id": program.id}, token_from="/training/batches")
    again_id = int(again.headers["Location"].rsplit("/", 1)[1])
    assert again_id != batch_id and "1 / 1" in _step(client, again_id, token)
    assert "已完成" in _step(client, again_id, token)


def test_a_running_batch_is_resumed_not_duplicated(client, login_as, program):
    _teachers(program, ready=1)
    login_as("platform_admin")
    first = client.form("/training/batches", {"program_id": program.id}, token_from="/training/batches")
    second = client.form("/training/batches", {"program_id": program.id}, token_from="/training/batches")
    assert first.headers["Location"] == second.headers["Location"]


@pytest.mark.parametrize("role", ["school_admin", "teacher", "reviewer"])
def test_only_platform_admins_issue_batches(client, login_as, program, role):
    _teachers(program, ready=1)
    batch = services.start_batch(program, factories.user("platform_admin"))
    db.session.commit()
    login_as(role)
    token = client.csrf_token("/home")
    assert client.get("/training/batches").status_code == 403
    assert client.post("/training/batches", data={"program_id": program.id, "csrf_token": token}).status_code == 403
    assert client.get(f"/training/batches/{batch.id}").status_code == 403
    assert client.post(f"/training/batches/{batch.id}/step", headers={"X-CSRFToken": token}).status_code == 403
    assert db.session.scalar(select(func.count(Certificate.id))) == 0


def test_step_needs_csrf(client, login_as, program):
    _teachers(program, ready=1)
    login_as("platform_admin")
    started = client.form("/training/batches", {"program_id": program.id}, token_from="/training/batches")
    batch_id = int(started.headers["Location"].rsplit("/", 1)[1])
    assert client.post(f"/training/batches/{batch_id}/step").status_code == 400
    assert db.session.scalar(select(func.count(Certificate.id))) == 0


def test_a_chunk_costs_the_same_statements_whatever_its_size(app, program, count_queries):
    few = _teachers(program, ready=2, missing=1)
    many = _teachers(program, ready=8, missing=3)
    enrollments = {e.user_id: e for e in services.pending_enrollments(program)}
    with count_queries() as small:
        issued, refused = services.issue_chunk(program, [enrollments[t.id] for t in few])
    assert len(issued) == 2 and len(refused) == 1
    with count_queries() as large:
        issued, refused = services.issue_chunk(program, [enrollments[t.id] for t in many])
    assert len(issued) == 8 and len(refused) == 3
    assert small.count == large.count, "\n".join(s[:90] for s in large.statements)
    serials = sorted(c.serial for c in db.session.scalars(select(Certificate)))
    assert len(set(serials)) == 10 and serials[0].endswith("000001") and serials[-1].endswith("000010")


def test_batch_list_statements_constant(client, login_as, program, count_queries):
    admin = login_as("platform_admin")
    services.start_batch(program, admin)
    db.session.commit()
    with count_queries() as one:
        client.get("/training/batches")
    for _ in range(5):
        batch = services.start_batch(program, admin)
        batch.state = "done"
    db.session.commit()
    with count_queries() as six:
        assert client.get("/training/batches").status_code == 200
    assert one.count == six.count
