"""Who may do what with posts, applications and demand lists. Enterprise HR users act only for their enterprise."""
from __future__ import annotations


def _has(user, *roles) -> bool:
    return bool(user and user.is_authenticated and user.has_role(*roles))


def is_hr(user, enterprise_id: int | None = None) -> bool:
    """An enterprise HR user (of ``enterprise_id`` when given)."""
    return (_has(user, "enterprise_hr") and user.enterprise_id is not None
            and (enterprise_id is None or user.enterprise_id == enterprise_id))


def can_manage_post(user, post) -> bool:
    """Edit, submit for review: the HR users of the post's enterprise, or a platform admin."""
    return _has(user, "platform_admin") or is_hr(user, post.enterprise_id)


def can_see_unpublished(user, post) -> bool:
    """Drafts and expired posts are seen by their enterprise, reviewers and platform admins."""
    return can_manage_post(user, post) or _has(user, "reviewer")


def can_apply(user) -> bool:
    return _has(user, "student")


def can_view_application(user, application) -> bool:
    """The student, HR of the post's enterprise, the teachers and admins of the student's school, platform admins.
    Anyone else gets a 404: the application does not exist for them."""
    if not (user and user.is_authenticated):
        return False
    if user.id == application.student_id or _has(user, "platform_admin"):
        return True
    if is_hr(user, application.post.enterprise_id):
        return True
    return (_has(user, "teacher", "school_admin") and user.school_id is not None
            and user.school_id == application.student.school_id)


def can_move_application(user, application) -> bool:
    """Only the enterprise that posted (its HR users) moves an application through its status."""
    return is_hr(user, application.post.enterprise_id)


def can_see_demand_summary(user) -> bool:
    return _has(user, "platform_admin", "school_admin")
