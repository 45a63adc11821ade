"""Who may read and write course standards."""
from __future__ import annotations

from app.auth.models import Role


def _roles(user, *roles) -> bool:
    return bool(user and user.is_authenticated and user.has_role(*roles))


def can_edit_standards(user) -> bool:
    """Experts (reviewers) and platform admins compile standards; another reviewer approves each version."""
    return _roles(user, Role.platform_admin, Role.reviewer)


def can_view_version(user, version) -> bool:
    """Learners and teachers see approved versions only; editors see drafts too."""
    return version.review_state == "approved" or can_edit_standards(user)


def can_edit_version(user, version) -> bool:
    return can_edit_standards(user) and version.is_editable


def can_submit_version(user, version) -> bool:
    return can_edit_standards(user)
