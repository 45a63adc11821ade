"""Who may upload, see, edit and fetch teaching videos and documents."""
from __future__ import annotations

from app.auth.models import Role


def _roles(user, *roles) -> bool:
    return bool(user is not None and user.is_authenticated and user.has_role(*roles))


def can_upload_media(user) -> bool:
    """Teachers compile resources; school and platform admins too."""
    return _roles(user, Role.teacher, Role.school_admin, Role.platform_admin)


def can_bulk_upload_media(user) -> bool:
    """Bulk upload (many files at once, each a draft) is for administrators."""
    return _roles(user, Role.platform_admin, Role.school_admin)


def can_edit_media(user, resource) -> bool:
    """The author while still one who may upload (a teacher demoted since keeps no hold on it), or a platform
    admin. (Whether the content is still editable is the review state's call.)"""
    if not (user is not None and user.is_authenticated):
        return False
    return (resource.created_by_id == user.id and can_upload_media(user)) or user.has_role(Role.platform_admin)


def can_view_media(user, resource) -> bool:
    """Published resources are for everyone; unpublished ones only for their author, admins and reviewers.

    This one predicate guards both the pages and the file URLs, so an unapproved file cannot leak by link.
    """
    if resource.review_state == "approved":
        return True
    if not (user is not None and user.is_authenticated):
        return False
    return can_edit_media(user, resource) or user.has_role(Role.reviewer)


def can_see_drafts(user) -> bool:
    """May list other people's unpublished resources in the library (to follow the review work)."""
    return _roles(user, Role.platform_admin, Role.reviewer)
