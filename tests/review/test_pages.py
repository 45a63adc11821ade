"""The reviewers' queue page and the decision forms, as a browser uses them."""
from __future__ import annotations

from app.extensions import db
from app.review import services
from tests import factories


def _submitted(make_note, n=1, body="<script>alert(1)</script>新增：拆装步骤"):
    author = factories.user("teacher")
    notes = []
    for i in range(n):
        note = make_note(author, title=f"工作页 {i}", body=body)
        services.submit(note, author)
        notes.append(note)
    db.session.commit()
    return notes


def test_teacher_gets_403_on_queue_and_decisions(client, login_as, make_note):
    note = _submitted(make_note)[0]
    login_as("teacher")
    assert client.get("/review").status_code == 403
    r = client.form(f"/review/note/{note.id}/approve", {"comment": ""}, token_from="/account")
    assert r.status_code == 403
    r = client.form(f"/review/note/{note.id}/request-changes", {"comment": "x"}, token_from="/account")
    assert r.status_code == 403
    assert note.review_state == "submitted"


def test_queue_shows_items_with_escaped_diff(client, login_as, make_note):
    _submitted(make_note)
    login_as("reviewer")
    page = client.get("/review").get_data(as_text=True)
    assert "工作页 0" in page and "新增：拆装步骤" in page
    assert "<script>alert(1)</script>" not in page


def test_reviewer_approves_from_the_queue(client, login_as, make_note):
    note = _submitted(make_note)[0]
    reviewer = login_as("reviewer")
    r = client.form(f"/review/note/{note.id}/approve", {"comment": "同意"}, token_from="/review")
    assert r.status_code == 302
    db.session.refresh(note)
    assert note.review_state == "approved" and note.approved_by_id == reviewer.id
    assert f"/review/note/{note.id}/approve" not in client.get("/review").get_data(as_text=True)


def test_request_changes_without_comment_is_refused(client, login_as, make_note):
    note = _submitted(make_note)[0]
    login_as("reviewer")
    r = client.form(f"/review/note/{note.id}/request-changes", {"comment": ""}, token_from="/review")
    assert r.status_code == 200
    db.session.refresh(note)
    assert note.review_state == "submitted"
    r = client.form(f"/review/note/{note.id}/request-changes", {"comment": "请补充图片"}, token_from="/review")
    assert r.status_code == 302
    db.session.refresh(note)
    assert note.review_state == "changes_requested"
    history = client.get(f"/review/note/{note.id}/history").get_data(as_text=True)
    assert "请补充图片" in history


def test_reviewer_cannot_approve_own_submission_over_http(client, login_as, make_note):
    reviewer = login_as("reviewer")
    note = make_note(reviewer)
    services.submit(note, reviewer)
    db.session.commit()
    r = client.form(f"/review/note/{note.id}/approve", {}, token_from="/review")
    assert r.status_code == 403
    db.session.refresh(note)
    assert note.review_state == "submitted"


def test_author_submits_and_withdraws_with_csrf(app, client, login_as, make_note):
    author = login_as("teacher")
    note = make_note(author)
    db.session.commit()
    assert client.post(f"/review/note/{note.id}/submit").status_code == 400  # no CSRF token
    r = client.form(f"/review/note/{note.id}/submit", {"next": "/"}, token_from="/account")
    assert r.status_code == 302 and r.headers["Location"] == "/"
    db.session.refresh(note)
    assert note.review_state == "submitted"
    other_client = app.test_client()
    login_as("teacher", client_=other_client)
    assert other_client.form(f"/review/note/{note.id}/withdraw", {}, token_from="/account").status_code == 403


def test_unknown_kind_is_404(client, login_as, note_kind):
    login_as("reviewer")
    assert client.form("/review/nothing/1/approve", {}, token_from="/review").status_code == 404
    assert client.form("/review/note/999999/approve", {}, token_from="/review").status_code == 404


def test_queue_sql_is_constant(client, login_as, make_note, count_queries):
    login_as("reviewer")
    _submitted(make_note, 2)
    with count_queries() as few:
        assert client.get("/review").status_code == 200
    _submitted(make_note, 12)
    with count_queries() as many:
        assert client.get("/review").status_code == 200
    assert many.count == few.count, "\n".join(many.statements)
