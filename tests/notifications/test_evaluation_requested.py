"""评价邀请: classmates assigned as peer reviewers and a mentor assigned to a learner are told; someone who left
the course gets nothing."""
from __future__ import annotations

from sqlalchemy import select

from app.courses import services as courses
from app.extensions import db
from app.notifications.models import Notification
from app.tasks import services as tasks
from app.tasks.models import PeerReview
from tests import factories
from tests.tasks import builders


def _mine(user):
    return list(db.session.scalars(select(Notification).where(
        Notification.recipient_id == user.id, Notification.kind == "evaluation.requested")))


def test_peer_reviewers_are_told_once_but_not_one_who_left(app):
    a, course, _teacher, learners = builders.assignment(students=3, peer_count=0)
    assert all(_mine(u) == [] for u in learners)
    leaver = learners[2]
    courses.unenrol(next(e for e in courses.participants(course) if e.user_id == leaver.id))
    a.peer_count = 1
    with app.test_request_context():
        assert tasks.assign_peers(a) > 0
    reviewers = set(db.session.scalars(select(PeerReview.reviewer_id).where(PeerReview.assignment_id == a.id)))
    assert leaver.id in reviewers  # assigned (their submission exists) but no longer in the course
    for learner in learners[:2]:
        [note] = _mine(learner)
        assert a.title in note.title and note.url == "/home"
    assert _mine(leaver) == []
    with app.test_request_context():
        assert tasks.assign_peers(a) == 0  # nothing new: nobody is told again
    assert len(_mine(learners[0])) == 1


def test_a_mentor_assigned_to_a_learner_is_told(app):
    _a, course, _teacher, (student, _other) = builders.assignment(students=2, peer_count=0)
    mentor = factories.user("mentor")
    with app.test_request_context():
        courses.assign_mentor(course, student, mentor)
    [note] = _mine(mentor)
    assert student.display_name in note.title and course.title in note.title
    assert note.url == f"/courses/{course.id}"
    assert _mine(student) == []
