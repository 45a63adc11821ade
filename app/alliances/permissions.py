"""Who may do what in alliances: scoped by membership rows (secretariat, committee managers and experts), not
by global roles; platform admins may do everything. HTML and JSON paths use these same predicates."""
from __future__ import annotations

from app.auth.models import Role


def _authenticated(user) -> bool:
    return user is not None and user.is_authenticated


def is_platform_admin(user) -> bool:
    return _authenticated(user) and user.has_role(Role.platform_admin)


def can_manage_committee(user, committee) -> bool:
    """A manager of the committee (for its chair organisation), the alliance secretariat, a platform admin."""
    from app.alliances import services

    if not _authenticated(user):
        return False
    return (is_platform_admin(user) or services.is_manager(user, committee.id)
            or services.is_secretary(user, committee.alliance_id))


def can_apply_for_base(user, committee) -> bool:
    """A school admin applies for their own school."""
    return _authenticated(user) and user.has_role(Role.school_admin) and user.school_id is not None


def can_view_application(user, application) -> bool:
    """The applicant school's admins, the committee's managers, its experts from other schools."""
    from app.alliances import services

    if not _authenticated(user):
        return False
    if user.has_role(Role.school_admin) and user.school_id == application.school_id:
        return True
    if can_manage_committee(user, application.committee):
        return True
    # Experts see what they may score: never an application of their own school.
    return user.school_id != application.school_id and services.is_expert(user, application.committee_id)


def can_score(user, application) -> bool:
    """An expert of the committee — never one from the applicant school (conflict of interest)."""
    from app.alliances import services

    return (_authenticated(user) and services.is_expert(user, application.committee_id)
            and user.school_id != application.school_id)
