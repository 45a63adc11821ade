"""Who may do what with notifications."""
from __future__ import annotations


def can_manage_webhooks(user) -> bool:
    """Only platform admins set up webhooks (they send data off the platform)."""
    return bool(user and user.is_authenticated and user.has_role("platform_admin"))
