"""Who may move reviewable objects through the workflow."""
from __future__ import annotations

from app.auth.models import Role


def _roles(user, *roles) -> bool:
    return bool(user and user.is_authenticated and user.has_role(*roles))


def can_review(user) -> bool:
    """Reviewers (审核专家) and platform admins see the queue and decide."""
    return _roles(user, Role.reviewer, Role.platform_admin)


def is_own(user, obj, kind) -> bool:
    """The submitter and the author count as the object's own people: they may not approve it."""
    return user.id in {obj.submitted_by_id, kind.owner_id(obj)}


def can_decide(user, obj, kind) -> bool:
    """May approve or request changes: a reviewer, and not the object's submitter or author."""
    return can_review(user) and not is_own(user, obj, kind)


def can_submit(user, obj, kind) -> bool:
    """May submit (or withdraw a submission of) the object: the kind decides; by default its owner or an admin."""
    if not (user and user.is_authenticated):
        return False
    if kind.can_submit is not None:
        return bool(kind.can_submit(user, obj))
    return _roles(user, Role.platform_admin) or kind.owner_id(obj) == user.id


def can_withdraw(user, obj, kind) -> bool:
    """A submission is withdrawn by those who may submit it; a published object is unpublished by reviewers."""
    from app.review.models import ReviewState

    if obj.review_state == ReviewState.approved.value:
        return can_review(user)
    return can_submit(user, obj, kind) or can_review(user)
