"""Who may do what with work tasks. Built on the course predicates: instructors manage, a learner works on
their own submission, assigned peers and mentors see (and evaluate) only the submissions they are given."""
from __future__ import annotations

from app.courses import permissions as course_permissions
from app.tasks import services


def can_manage_assignment(user, assignment) -> bool:
    """Set, edit, approve stages and evaluate as the teacher."""
    return course_permissions.can_manage_course(user, assignment.course)


def can_view_assignment(user, assignment) -> bool:
    return course_permissions.can_view_course(user, assignment.course)


def can_work_on(user, submission) -> bool:
    """Only the student themself fills in and submits their stages."""
    return bool(user and user.is_authenticated and user.id == submission.student_id
                and course_permissions.is_learner(user, submission.assignment.course))


def can_view_submission(user, submission) -> bool:
    """Teachers, the student, the student's assigned mentors and assigned peer reviewers."""
    course = submission.assignment.course
    if course_permissions.can_view_student(user, course, submission.student_id):
        return True
    return bool(user and user.is_authenticated and services.is_peer_reviewer(submission, user))


def can_evaluate(user, submission, party: str) -> bool:
    """self: the student; peer: an assigned classmate (never the student: evaluating one's own work as a peer
    is refused); teacher: an instructor; mentor: a mentor assigned to this student."""
    if not (user and user.is_authenticated):
        return False
    course = submission.assignment.course
    if party == "self":
        return can_work_on(user, submission)
    if party == "peer":
        return user.id != submission.student_id and services.is_peer_reviewer(submission, user)
    if party == "teacher":
        return course_permissions.can_manage_course(user, course)
    if party == "mentor":
        return course_permissions.is_mentor(user, course) and services.is_assigned_mentor(submission, user)
    return False


def parties_for(user, submission) -> list[str]:
    return [p for p in services.PARTY_VALUES if can_evaluate(user, submission, p)]
