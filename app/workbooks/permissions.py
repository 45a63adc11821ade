"""Who may write, review and read workbooks. Learners only ever read approved versions."""
from __future__ import annotations

from app.auth.models import Role


def can_create_workbook(user) -> bool:
    """Teachers, reviewers (experts) and platform admins write workbooks."""
    return bool(user.is_authenticated and user.has_role(Role.platform_admin, Role.teacher, Role.reviewer))


def can_edit_workbook(user, workbook) -> bool:
    """The workbook's author while still an author (a teacher demoted since keeps no hold on it), or a platform
    admin: edit its details, add pages, write new page versions."""
    if not user.is_authenticated:
        return False
    return user.has_role(Role.platform_admin) or (workbook.created_by_id is not None
                                                  and workbook.created_by_id == user.id
                                                  and can_create_workbook(user))


def can_see_unpublished(user, workbook) -> bool:
    """Drafts and versions under review are shown to the workbook's editors and to reviewers only."""
    return can_edit_workbook(user, workbook) or bool(user.is_authenticated and user.has_role(Role.reviewer))


def can_view_workbook(user, workbook) -> bool:
    """Every signed-in user may read a workbook's approved pages."""
    return bool(user.is_authenticated)
