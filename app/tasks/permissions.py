"""Who may do what with work tasks. Built on the course predicates: instructors manage, a learner works on
their own submission (group work: their group's), assigned peers and mentors see (and evaluate) only the
submissions they are given."""
from __future__ import annotations

from app.courses import permissions as course_permissions
from app.tasks import services


def can_manage_assignment(user, assignment) -> bool:
    """Set, edit, approve stages and evaluate as the teacher."""
    return course_permissions.can_manage_course(user, assignment.course)


def can_view_assignment(user, assignment) -> bool:
    return course_permissions.can_view_course(user, assignment.course)


def can_work_on(user, submission) -> bool:
    """Only the student themself (group work: a member of the group) fills in and submits the stages."""
    return bool(user and user.is_authenticated and services.is_member(submission, user)
                and course_permissions.is_learner(user, submission.assignment.course))


def can_manage_groups(user, assignment) -> bool:
    """Form groups, move students and adjust a member's score: the course's teachers."""
    return assignment.is_group_work and can_manage_assignment(user, assignment)


def can_view_submission(user, submission) -> bool:
    """Teachers, the student (group work: the group's members — a member of another group is refused), the
    student's assigned mentors (of any member) and assigned peer reviewers."""
    if not (user and user.is_authenticated):
        return False
    course = submission.assignment.course
    if submission.group_id is None:
        if course_permissions.can_view_student(user, course, submission.student_id):
            return True
    elif (course_permissions.can_manage_course(user, course) or can_work_on(user, submission)
          or (course_permissions.is_mentor(user, course) and services.is_assigned_mentor(submission, user))):
        return True
    # A peer reviewer only while still a learner of the course: one who left keeps no access to classmates' work.
    return course_permissions.is_learner(user, course) and services.is_peer_reviewer(submission, user)


def can_evaluate(user, submission, party: str) -> bool:
    """self: the student; peer: an assigned classmate (never the student: evaluating one's own work as a peer
    is refused); teacher: an instructor; mentor: a mentor assigned to this student."""
    if not (user and user.is_authenticated):
        return False
    course = submission.assignment.course
    if party == "self":
        return can_work_on(user, submission)
    if party == "peer":
        return (not services.is_member(submission, user) and course_permissions.is_learner(user, course)
                and services.is_peer_reviewer(submission, user))
    if party == "teacher":
        return course_permissions.can_manage_course(user, course)
    if party == "mentor":
        return course_permissions.is_mentor(user, course) and services.is_assigned_mentor(submission, user)
    return False


def parties_for(user, submission) -> list[str]:
    return [p for p in services.PARTY_VALUES if can_evaluate(user, submission, p)]


def can_attach_feedback(user, evaluation, submission) -> bool:
    """The grader who wrote a teacher's or mentor's evaluation, while they still may evaluate as that party."""
    return (bool(user and user.is_authenticated) and evaluation.evaluator_id == user.id
            and evaluation.party in services.FEEDBACK_PARTIES and can_evaluate(user, submission, evaluation.party))


def can_view_feedback(user, submission, evaluation=None) -> bool:
    """A grader's feedback files are for the student (group: its members), the course's teachers, the student's
    mentors and the grader — not for the classmates assigned to peer-review the same work."""
    if not can_view_submission(user, submission):
        return False
    return ((evaluation is not None and evaluation.evaluator_id == user.id) or services.is_member(submission, user)
            or not services.is_peer_reviewer(submission, user))
