"""Who may do what with accounts. Predicates take the acting user first."""
from __future__ import annotations

from app.auth.models import Role, User

#: Roles a school admin may give to users of their own school.
SCHOOL_ADMIN_ASSIGNABLE = {Role.school_admin.value, Role.teacher.value, Role.student.value}


def is_platform_admin(user) -> bool:
    return bool(user and user.is_authenticated and user.has_role(Role.platform_admin))


def can_manage_users(user) -> bool:
    """May open the user administration pages at all."""
    return bool(user and user.is_authenticated and user.has_role(Role.platform_admin, Role.school_admin))


def can_manage_user(actor, target: User) -> bool:
    """Platform admins manage everyone; a school admin manages the non-platform users of their own school."""
    if is_platform_admin(actor):
        return True
    if not can_manage_users(actor) or actor.school_id is None:
        return False
    return target.school_id == actor.school_id and not target.has_role(Role.platform_admin)


def assignable_roles(actor) -> list[str]:
    if is_platform_admin(actor):
        return [r.value for r in Role]
    if can_manage_users(actor):
        return [r.value for r in Role if r.value in SCHOOL_ADMIN_ASSIGNABLE]
    return []


def can_assign_roles(actor, roles) -> bool:
    allowed = set(assignable_roles(actor))
    return all(r in allowed for r in roles)


def can_place_in_school(actor, school_id: int | None) -> bool:
    """A school admin creates users only in their own school."""
    return is_platform_admin(actor) or (school_id is not None and school_id == actor.school_id)
