"""The review workflow. Every move goes through :func:`_move`, which checks the transition table and appends
a :class:`ReviewRecord`. Services flush; the caller commits."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import insert, select

from app.core import clock, signals
from app.core.database import lock_row
from app.errors import Conflict, PermissionDenied, ValidationError
from app.extensions import db
from app.review import permissions
from app.review.models import EDITABLE_STATES, ReviewRecord, ReviewState
from app.review.registry import KINDS, ReviewKind, kind_of

S = ReviewState
#: Allowed moves: (from, to). Anything else is a Conflict.
TRANSITIONS = {
    (S.draft, S.submitted), (S.changes_requested, S.submitted), (S.withdrawn, S.submitted),
    (S.submitted, S.approved), (S.submitted, S.changes_requested), (S.submitted, S.withdrawn),
    (S.approved, S.withdrawn),
}
MAX_COMMENT = 4000


def state_of(obj) -> ReviewState:
    return ReviewState(obj.review_state or ReviewState.draft.value)


def can_move(obj, to: ReviewState) -> bool:
    return (state_of(obj), to) in TRANSITIONS


def _move(obj, to: ReviewState, actor, comment: str = "") -> ReviewRecord:
    kind = kind_of(obj)
    # Of two decisions sent together (two reviewers, a double click, the author withdrawing as it is approved)
    # the second sees the first's result.
    lock_row(obj, "review_state")
    before = state_of(obj)
    if (before, to) not in TRANSITIONS:
        raise Conflict(_("当前状态为“%(state)s”，不能执行此操作。", state=state_label(before.value)))
    if obj.id is None:
        db.session.flush()
    obj.review_state = to.value
    record = ReviewRecord(kind=kind.name, object_id=obj.id, from_state=before.value, to_state=to.value,
                          actor_id=actor.id if actor is not None else None, comment=(comment or "").strip(),
                          created_at=clock.now())
    db.session.add(record)
    db.session.flush()
    return record


def _clean_comment(comment: str | None) -> str:
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise ValidationError(_("审核意见不能超过 %(n)s 个字。", n=MAX_COMMENT))
    return comment


def submit(obj, actor) -> ReviewRecord:
    """Send a draft (or a returned / withdrawn object) to the reviewers' queue. The owning domain checks
    who may edit; the generic review views check :func:`permissions.can_submit`."""
    record = _move(obj, S.submitted, actor)
    obj.submitted_by_id = actor.id if actor is not None else None
    obj.submitted_at = clock.now()
    return record


def approve(obj, actor, comment: str = "") -> ReviewRecord:
    """Publish a submitted object. Only reviewers (or platform admins) approve, never their own work."""
    kind = kind_of(obj)
    _require_decider(obj, actor, kind)
    record = _move(obj, S.approved, actor, _clean_comment(comment))
    obj.approved_at = clock.now()
    obj.approved_by_id = actor.id
    kind.on_approve(obj)
    db.session.flush()
    _announce(kind, obj, record)
    return record


def _announce(kind, obj, record: ReviewRecord) -> None:
    """Tell whoever submitted ``obj`` what the reviewer decided (the notifications domain listens)."""
    if obj.submitted_by_id and obj.submitted_by_id != record.actor_id:
        signals.review_decided.send("review", kind=kind.name, object_id=obj.id, to_state=record.to_state,
                                    comment=record.comment, submitter_id=obj.submitted_by_id)


def approve_many(objs, actor, comment: str = "") -> tuple[int, int]:
    """Publish many submitted objects in one action (a whole question import), authorised like
    :func:`approve`: reviewers only, and objects the actor wrote or submitted are skipped, never approved.
    Objects not waiting for review are ignored. Returns ``(approved, skipped as own)``; a fixed number of
    statements whatever the count (batched UPDATE and INSERT, then the kinds' ``on_approve_many``)."""
    if actor is None or not permissions.can_review(actor):
        raise PermissionDenied(_("只有审核专家可以审核。"))
    comment = _clean_comment(comment)
    now = clock.now()
    done: dict[str, list] = {}
    records, skipped = [], 0
    for obj in objs:
        kind = kind_of(obj)
        if state_of(obj) != S.submitted:
            continue
        if permissions.is_own(actor, obj, kind):
            skipped += 1
            continue
        obj.review_state, obj.approved_at, obj.approved_by_id = S.approved.value, now, actor.id
        records.append({"kind": kind.name, "object_id": obj.id, "from_state": S.submitted.value,
                        "to_state": S.approved.value, "actor_id": actor.id, "comment": comment, "created_at": now})
        done.setdefault(kind.name, []).append(obj)
    db.session.flush()
    if records:
        # Core executemany without RETURNING: one batched statement (the ORM would insert row by row on SQLite).
        db.session.execute(insert(ReviewRecord.__table__), records)
    for name, approved in done.items():
        kind = KINDS[name]
        if kind.on_approve_many is not None:
            kind.on_approve_many(approved)
        else:
            for obj in approved:
                kind.on_approve(obj)
    db.session.flush()
    return len(records), skipped


def request_changes(obj, actor, comment: str) -> ReviewRecord:
    """Send a submitted object back to its authors with a comment saying what to change (required)."""
    kind = kind_of(obj)
    _require_decider(obj, actor, kind)
    comment = _clean_comment(comment)
    if not comment:
        raise ValidationError(_("退回修改时必须填写审核意见。"))
    record = _move(obj, S.changes_requested, actor, comment)
    _announce(kind, obj, record)
    return record


def withdraw(obj, actor, comment: str = "") -> ReviewRecord:
    """Take a submission back out of the queue, or unpublish an approved object (reviewers only)."""
    kind = kind_of(obj)
    if actor is not None and not permissions.can_withdraw(actor, obj, kind):
        raise PermissionDenied(_("您没有撤回此内容的权限。"))
    was_published = obj.review_state == S.approved.value
    record = _move(obj, S.withdrawn, actor, _clean_comment(comment))
    if was_published:
        obj.approved_at = None
        kind.on_withdraw(obj)
        db.session.flush()
    return record


def _require_decider(obj, actor, kind: ReviewKind) -> None:
    if actor is None or not permissions.can_review(actor):
        raise PermissionDenied(_("只有审核专家可以审核。"))
    if permissions.is_own(actor, obj, kind):
        raise PermissionDenied(_("不能审核自己提交或编写的内容。"))


def is_published(obj) -> bool:
    """True when learners and the public may see ``obj``."""
    return obj is not None and obj.review_state == S.approved.value


def is_editable(obj) -> bool:
    return obj.review_state in EDITABLE_STATES


def require_editable(obj) -> None:
    """Raise Conflict unless the content may still change (submitted and approved content is frozen)."""
    if not is_editable(obj):
        raise Conflict(_("内容已提交审核或已发布，不能再修改。"))


def published(model):
    """SQL condition for queries of published rows: ``select(M).where(published(M))``."""
    return model.review_state == S.approved.value


def history(obj) -> list[ReviewRecord]:
    """All review records of ``obj``, oldest first."""
    kind = kind_of(obj)
    return list(db.session.scalars(
        select(ReviewRecord).where(ReviewRecord.kind == kind.name, ReviewRecord.object_id == obj.id)
        .order_by(ReviewRecord.id)))


def latest_comments(kind_name: str, ids: list[int]) -> dict[int, ReviewRecord]:
    """The latest record per object of one kind (one statement), e.g. to show the last reviewer's comment."""
    if not ids:
        return {}
    rows = db.session.scalars(select(ReviewRecord).where(ReviewRecord.kind == kind_name,
                                                          ReviewRecord.object_id.in_(ids))
                              .order_by(ReviewRecord.id))
    return {r.object_id: r for r in rows}


class QueueItem:
    """One object waiting for review, with what the queue page shows of it."""

    def __init__(self, kind: ReviewKind, obj):
        self.kind, self.obj = kind, obj

    @property
    def title(self) -> str:
        return self.kind.title(self.obj)

    @property
    def url(self) -> str:
        return self.kind.url(self.obj)

    @property
    def diff(self):
        return self.kind.diff(self.obj)

    @property
    def submitted_at(self):
        return clock.as_utc(self.obj.submitted_at)


def queue(limit_per_kind: int = 200) -> list[QueueItem]:
    """Everything waiting, across all registered kinds, oldest submission first. One statement per kind
    (plus whatever that kind's ``prefetch`` batches), whatever the number of items."""
    items: list[QueueItem] = []
    for kind in KINDS.values():
        model = kind.model
        stmt = (select(model).where(model.review_state == S.submitted.value)
                .order_by(model.submitted_at, model.id).limit(limit_per_kind))
        if kind.options:
            stmt = stmt.options(*kind.options)
        objs = list(db.session.scalars(stmt))
        if objs:
            kind.prefetch(objs)
            items.extend(QueueItem(kind, o) for o in objs)
    _load_submitters([i.obj for i in items])
    items.sort(key=lambda i: (i.submitted_at is None, i.submitted_at or clock.now(), i.kind.name, i.obj.id))
    return items


def _load_submitters(objs) -> None:
    """Load all submitters in one statement so ``obj.submitted_by`` costs nothing afterwards."""
    from app.auth.models import User

    from sqlalchemy.orm.attributes import set_committed_value

    ids = {o.submitted_by_id for o in objs if o.submitted_by_id}
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    for obj in objs:
        set_committed_value(obj, "submitted_by", users.get(obj.submitted_by_id))


def queue_count() -> int:
    from sqlalchemy import func

    total = 0
    for kind in KINDS.values():
        total += db.session.scalar(select(func.count()).select_from(kind.model)
                                   .where(kind.model.review_state == S.submitted.value)) or 0
    return total


def state_label(state: str) -> str:
    from app.review.labels import STATE_LABELS

    return str(STATE_LABELS.get(state, state))
