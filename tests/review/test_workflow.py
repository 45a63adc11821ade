"""The review state machine and its rules, through the services."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app.core import clock
from app.errors import Conflict, PermissionDenied, ValidationError
from app.extensions import db
from app.review import services
from app.review.models import AppendOnlyError, ReviewRecord
from tests import factories


@pytest.fixture
def people():
    return {"author": factories.user("teacher"), "reviewer": factories.user("reviewer"),
            "other_reviewer": factories.user("reviewer")}


def test_draft_to_approved_publishes_and_records_each_step(make_note, people):
    note = make_note(people["author"])
    assert note.review_state == "draft" and not services.is_published(note)
    services.submit(note, people["author"])
    assert note.review_state == "submitted" and note.submitted_by_id == people["author"].id
    services.approve(note, people["reviewer"], "很好")
    assert services.is_published(note) and note.approved_by_id == people["reviewer"].id
    steps = [(r.from_state, r.to_state, r.actor_id, r.comment) for r in services.history(note)]
    assert steps == [("draft", "submitted", people["author"].id, ""),
                     ("submitted", "approved", people["reviewer"].id, "很好")]


def test_changes_requested_needs_a_comment_and_can_be_resubmitted(make_note, people):
    note = make_note(people["author"])
    services.submit(note, people["author"])
    with pytest.raises(ValidationError):
        services.request_changes(note, people["reviewer"], "   ")
    assert note.review_state == "submitted"
    services.request_changes(note, people["reviewer"], "补充安全注意事项")
    assert note.review_state == "changes_requested" and services.is_editable(note)
    services.submit(note, people["author"])
    services.approve(note, people["other_reviewer"])
    assert [r.to_state for r in services.history(note)] == ["submitted", "changes_requested", "submitted", "approved"]
    assert services.history(note)[1].comment == "补充安全注意事项"


@pytest.mark.parametrize("move", ["approve", "request_changes", "withdraw"])
def test_illegal_moves_from_draft_are_conflicts(make_note, people, move):
    note = make_note(people["author"])
    with pytest.raises(Conflict):
        if move == "withdraw":
            services.withdraw(note, people["author"])
        else:
            getattr(services, move)(note, people["reviewer"], "意见")
    assert note.review_state == "draft" and services.history(note) == []


def test_approved_cannot_be_submitted_or_approved_again(make_note, people):
    note = make_note(people["author"])
    services.submit(note, people["author"])
    services.approve(note, people["reviewer"])
    with pytest.raises(Conflict):
        services.submit(note, people["author"])
    with pytest.raises(Conflict):
        services.approve(note, people["other_reviewer"])
    with pytest.raises(Conflict):
        services.require_editable(note)


def test_withdraw_submission_then_unpublish(make_note, people):
    note = make_note(people["author"])
    services.submit(note, people["author"])
    services.withdraw(note, people["author"])
    assert note.review_state == "withdrawn" and services.is_editable(note)
    services.submit(note, people["author"])
    services.approve(note, people["reviewer"])
    with pytest.raises(PermissionDenied):  # only reviewers unpublish
        services.withdraw(note, people["author"])
    services.withdraw(note, people["reviewer"], "标准已更新")
    assert not services.is_published(note) and note.approved_at is None


def test_nobody_approves_their_own_submission(make_note, people):
    reviewer = people["reviewer"]
    own = make_note(reviewer)
    services.submit(own, reviewer)
    with pytest.raises(PermissionDenied):
        services.approve(own, reviewer)
    with pytest.raises(PermissionDenied):
        services.request_changes(own, reviewer, "自己退回")
    # Submitting someone else's work does not make it approvable by the submitter either.
    other = make_note(people["author"])
    services.submit(other, people["other_reviewer"])
    with pytest.raises(PermissionDenied):
        services.approve(other, people["other_reviewer"])
    # ...nor by its author, if the author is also a reviewer.
    author_reviewer = factories.user("reviewer")
    third = make_note(author_reviewer)
    services.submit(third, people["author"])
    with pytest.raises(PermissionDenied):
        services.approve(third, author_reviewer)
    services.approve(third, reviewer)
    assert third.review_state == "approved"


def test_teachers_cannot_approve(make_note, people):
    note = make_note(people["author"])
    services.submit(note, people["author"])
    with pytest.raises(PermissionDenied):
        services.approve(note, factories.user("teacher"))
    assert note.review_state == "submitted"


def test_platform_admin_may_review(make_note, people):
    note = make_note(people["author"])
    services.submit(note, people["author"])
    services.approve(note, factories.user("platform_admin"))
    assert services.is_published(note)


def test_records_are_append_only(make_note, people):
    note = make_note(people["author"])
    services.submit(note, people["author"])
    record = db.session.scalar(select(ReviewRecord).where(ReviewRecord.object_id == note.id,
                                                          ReviewRecord.kind == "note"))
    record.comment = "改写历史"
    with pytest.raises(AppendOnlyError):
        db.session.flush()
    db.session.rollback()


def test_records_cannot_be_deleted(make_note, people):
    note = make_note(people["author"])
    services.submit(note, people["author"])
    record = services.history(note)[0]
    db.session.delete(record)
    with pytest.raises(AppendOnlyError):
        db.session.flush()
    db.session.rollback()


def test_queue_lists_submitted_oldest_first(make_note, people):
    start = datetime(2026, 11, 1, 8, 0, tzinfo=timezone.utc)
    notes = [make_note(people["author"], title=f"活页 {i}") for i in range(3)]
    for offset, note in zip([2, 0, 1], notes):
        clock.set_now(start + timedelta(hours=offset))
        services.submit(note, people["author"])
    draft = make_note(people["author"], title="草稿")
    titles = [i.title for i in services.queue() if i.kind.name == "note"]
    assert titles == ["活页 1", "活页 2", "活页 0"]
    assert draft.title not in titles
