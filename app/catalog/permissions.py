"""Who may change the catalogue."""
from app.auth.models import Role


def can_edit_catalog(user) -> bool:
    """Professions and their official codes are kept by platform admins."""
    return bool(user.is_authenticated and user.has_role(Role.platform_admin))
