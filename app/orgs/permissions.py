"""Who may change organisations."""
from app.auth.models import Role


def can_manage_orgs(user) -> bool:
    """Create, edit and deactivate schools and enterprises: platform admins."""
    return bool(user.is_authenticated and user.has_role(Role.platform_admin))


def can_edit_school(user, school) -> bool:
    """A school admin may edit their own school's details and partnerships."""
    return can_manage_orgs(user) or (user.is_authenticated and user.has_role(Role.school_admin)
                                     and user.school_id == school.id)


def can_view_orgs(user) -> bool:
    return user.is_authenticated
