"""Who may watch for credit, enroll, review practical tasks, issue and revoke certificates, see dashboards."""
from __future__ import annotations

from app.auth.models import Role


def _authenticated(user) -> bool:
    return user is not None and user.is_authenticated


def can_watch_for_credit(user, video) -> bool:
    """Anyone signed in who may see the video (media's own predicate decides visibility)."""
    from app.media.permissions import can_view_media

    return _authenticated(user) and can_view_media(user, video)


def can_enroll_self(user, program) -> bool:
    return _authenticated(user) and user.has_role(Role.teacher) and program.is_open


def can_enroll_teacher(user, teacher) -> bool:
    """School admins enroll teachers of their own school; platform admins anyone."""
    if not _authenticated(user):
        return False
    if user.has_role(Role.platform_admin):
        return True
    return (user.has_role(Role.school_admin) and user.school_id is not None
            and teacher.school_id == user.school_id and teacher.has_role(Role.teacher))


def can_view_progress(user, teacher) -> bool:
    """The teacher, their school admin, a platform admin."""
    if not _authenticated(user):
        return False
    return user.id == teacher.id or can_enroll_teacher(user, teacher)


def can_review_practical(user) -> bool:
    return _authenticated(user) and user.has_role(Role.reviewer, Role.platform_admin)


def can_issue_certificates(user) -> bool:
    return _authenticated(user) and user.has_role(Role.platform_admin)


def can_view_certificate(user, certificate) -> bool:
    if not _authenticated(user):
        return False
    if user.id == certificate.user_id or user.has_role(Role.platform_admin):
        return True
    return user.has_role(Role.school_admin) and user.school_id is not None and user.school_id == certificate.school_id


def can_manage_programs(user) -> bool:
    """Creating, editing, publishing training programs: platform admins."""
    return _authenticated(user) and user.has_role(Role.platform_admin)


def can_record_offline(user) -> bool:
    """Recording offline training: platform admins, and school admins for their own school."""
    if not _authenticated(user):
        return False
    return user.has_role(Role.platform_admin) or (user.has_role(Role.school_admin) and user.school_id is not None)


def can_view_offline_session(user, session) -> bool:
    """A platform admin sees every session; a school admin the sessions recorded for their school."""
    if not can_record_offline(user):
        return False
    return user.has_role(Role.platform_admin) or session.school_id == user.school_id
