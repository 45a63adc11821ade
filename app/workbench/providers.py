"""The to-do providers of the domains below the workbench (see :mod:`app.workbench.registry`).

Each provider is one SQL statement (the review queue: one per registered kind), whatever the number of courses,
learners or items, so the workbench costs the same for a teacher of 20 courses as for a new student.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, func, literal, or_, select
from sqlalchemy.orm import aliased

from app.auth.models import User
from app.core import clock
from app.courses.models import Enrollment, EnrollmentRole, EnrollmentStatus, MentorAssignment
from app.exams.models import Attempt, AttemptItem, AttemptState, Exam, ExamGrant
from app.extensions import db
from app.tasks.models import (AssignmentStage, Evaluation, PeerReview, StageState, SubmissionStage, TaskAssignment,
                              TaskGroup, TaskGroupMember, TaskSubmission)
from app.workbench.registry import TodoItem, todo_provider

ACTIVE = EnrollmentStatus.active.value
#: How far ahead a student sees an exam that is not open yet, and a teacher an exam about to close.
EXAM_SOON = timedelta(days=7)
CLOSING_SOON = timedelta(days=3)
#: Roles that take part in courses as learners (students in class courses, teachers in training courses).
LEARNERS = {"student", "teacher"}
#: At most this many items per provider (the rest is one click away on the domain's own page).
LIMIT = 200


def _courses_as(user_id: int, role: str):
    """Ids of the courses where the user takes part, actively, in ``role``."""
    return select(Enrollment.course_id).where(Enrollment.user_id == user_id, Enrollment.status == ACTIVE,
                                              Enrollment.role == role)


def _mine(user_id: int):
    """Submissions that are the user's own work: individual, or of a group the user belongs to."""
    groups = select(TaskGroupMember.group_id).where(TaskGroupMember.student_id == user_id)
    return or_(TaskSubmission.student_id == user_id, TaskSubmission.group_id.in_(groups))


def _finished():
    """Submissions whose last stage is handed in (or approved): ready to be evaluated."""
    last = aliased(AssignmentStage)
    final_position = (select(func.max(last.position)).where(last.assignment_id == AssignmentStage.assignment_id)
                      .correlate(AssignmentStage).scalar_subquery())
    return (select(SubmissionStage.submission_id)
            .join(AssignmentStage, AssignmentStage.id == SubmissionStage.stage_id)
            .where(AssignmentStage.position == final_position,
                   SubmissionStage.state.in_([StageState.submitted.value, StageState.approved.value])))


def _owner_name(full_name: str | None, username: str | None, group_name: str | None) -> str:
    return group_name or full_name or username or ""


# -- learners ---------------------------------------------------------------------------------------------------

@todo_provider("tasks.stage", label=_l("学习任务"), roles=LEARNERS)
def stages_to_work_on(user, now: datetime) -> list[TodoItem]:
    """Open and returned stages of the user's own work, in courses they still take part in."""
    rows = db.session.execute(
        select(TaskSubmission.id, AssignmentStage.id, AssignmentStage.name, AssignmentStage.due_at,
               TaskAssignment.title, SubmissionStage.state, SubmissionStage.comment)
        .select_from(SubmissionStage)
        .join(TaskSubmission, TaskSubmission.id == SubmissionStage.submission_id)
        .join(AssignmentStage, AssignmentStage.id == SubmissionStage.stage_id)
        .join(TaskAssignment, TaskAssignment.id == TaskSubmission.assignment_id)
        .where(_mine(user.id), TaskAssignment.course_id.in_(_courses_as(user.id, EnrollmentRole.learner.value)),
               SubmissionStage.state.in_([StageState.open.value, StageState.returned.value]))
        .order_by(AssignmentStage.due_at, AssignmentStage.id).limit(LIMIT))
    items = []
    for submission_id, stage_id, stage_name, due_at, title, state, comment in rows:
        returned = state == StageState.returned.value
        items.append(TodoItem(
            kind="tasks.stage", due_at=due_at,
            title=(_("修改并重新提交：%(task)s · %(stage)s", task=title, stage=stage_name) if returned
                   else _("完成环节：%(task)s · %(stage)s", task=title, stage=stage_name)),
            detail=_("老师的意见：%(comment)s", comment=comment) if returned and comment else "",
            url=url_for("tasks.stage", submission_id=submission_id, stage_id=stage_id)))
    return items


@todo_provider("exams.open", label=_l("考试"), roles=LEARNERS)
def exams_to_take(user, now: datetime) -> list[TodoItem]:
    """Granted exams open now or opening within a week, with attempts left and not closed."""
    used = (select(func.count(Attempt.id)).where(Attempt.exam_id == Exam.id, Attempt.user_id == user.id)
            .correlate(Exam).scalar_subquery())
    rows = db.session.execute(
        select(Exam.id, Exam.title, Exam.opens_at, Exam.closes_at)
        .join(ExamGrant, ExamGrant.exam_id == Exam.id)
        .where(ExamGrant.user_id == user.id,
               or_(Exam.closes_at.is_(None), Exam.closes_at > now),
               or_(Exam.opens_at.is_(None), Exam.opens_at <= now + EXAM_SOON),
               or_(used < Exam.max_attempts,
                   exists().where(Attempt.exam_id == Exam.id, Attempt.user_id == user.id,
                                  Attempt.state == AttemptState.in_progress.value)))
        .order_by(Exam.closes_at, Exam.id).limit(LIMIT))
    items = []
    for _exam_id, title, opens_at, closes_at in rows:
        opens = clock.as_utc(opens_at)
        later = opens is not None and opens > now
        items.append(TodoItem(
            kind="exams.open", due_at=closes_at, title=_("参加考试：%(exam)s", exam=title),
            detail=_("尚未开始，开考时间见考试页面") if later else _("现在可以作答"),
            url=url_for("exams.mine")))
    return items


@todo_provider("tasks.peer", label=_l("互评"), roles=LEARNERS)
def peer_reviews_to_give(user, now: datetime) -> list[TodoItem]:
    """Classmates' finished work the user was assigned to evaluate and has not evaluated yet."""
    rows = db.session.execute(
        select(PeerReview.submission_id, TaskAssignment.title, TaskAssignment.peer_due_at)
        .join(TaskAssignment, TaskAssignment.id == PeerReview.assignment_id)
        .where(PeerReview.reviewer_id == user.id, PeerReview.submission_id.in_(_finished()),
               TaskAssignment.course_id.in_(_courses_as(user.id, EnrollmentRole.learner.value)),
               ~exists().where(Evaluation.submission_id == PeerReview.submission_id, Evaluation.party == "peer",
                               Evaluation.evaluator_id == user.id))
        .order_by(TaskAssignment.peer_due_at, PeerReview.id).limit(LIMIT))
    return [TodoItem(kind="tasks.peer", due_at=due_at, title=_("互评同学的作品：%(task)s", task=title),
                     url=url_for("tasks.evaluate", submission_id=submission_id, party="peer"))
            for submission_id, title, due_at in rows]


# -- teachers -----------------------------------------------------------------------------------------------------

@todo_provider("tasks.approve", label=_l("计划审批"), roles={"teacher", "school_admin", "platform_admin"})
def plans_to_approve(user, now: datetime) -> list[TodoItem]:
    """Stages needing approval (the plan at 决策) handed in, in the courses the user teaches."""
    student = aliased(User)
    rows = db.session.execute(
        select(TaskSubmission.id, AssignmentStage.id, AssignmentStage.name, SubmissionStage.submitted_at,
               TaskAssignment.title, student.full_name, student.username, TaskGroup.name)
        .select_from(SubmissionStage)
        .join(TaskSubmission, TaskSubmission.id == SubmissionStage.submission_id)
        .join(AssignmentStage, AssignmentStage.id == SubmissionStage.stage_id)
        .join(TaskAssignment, TaskAssignment.id == TaskSubmission.assignment_id)
        .outerjoin(student, student.id == TaskSubmission.student_id)
        .outerjoin(TaskGroup, TaskGroup.id == TaskSubmission.group_id)
        .where(TaskAssignment.course_id.in_(_courses_as(user.id, EnrollmentRole.instructor.value)),
               AssignmentStage.requires_approval.is_(True),
               SubmissionStage.state == StageState.submitted.value)
        .order_by(SubmissionStage.submitted_at, SubmissionStage.id).limit(LIMIT))
    return [TodoItem(kind="tasks.approve", due_at=None,
                     title=_("审批“%(stage)s”环节：%(who)s · %(task)s", stage=stage_name, who=_owner_name(name, username, group),
                             task=title),
                     detail=_("提交于 %(time)s", time=_when(submitted_at)) if submitted_at else "",
                     url=url_for("tasks.stage", submission_id=submission_id, stage_id=stage_id))
            for submission_id, stage_id, stage_name, submitted_at, title, name, username, group in rows]


@todo_provider("tasks.evaluate", label=_l("评价"), roles={"teacher", "school_admin", "platform_admin", "mentor"})
def evaluations_to_give(user, now: datetime) -> list[TodoItem]:
    """Finished work waiting for the user's evaluation: as an instructor of the course (教师评价), or as the
    learner's assigned mentor (企业评价) when the task weighs the mentor's part."""
    student = aliased(User)
    teaching = and_(TaskAssignment.course_id.in_(_courses_as(user.id, EnrollmentRole.instructor.value)),
                    TaskAssignment.weight_teacher > 0,
                    ~exists().where(Evaluation.submission_id == TaskSubmission.id, Evaluation.party == "teacher"))
    mentoring = and_(
        TaskAssignment.weight_mentor > 0,
        exists().where(MentorAssignment.mentor_id == user.id, MentorAssignment.course_id == TaskAssignment.course_id,
                       MentorAssignment.student_id == TaskSubmission.student_id),
        TaskAssignment.course_id.in_(_courses_as(user.id, EnrollmentRole.mentor.value)),
        ~exists().where(Evaluation.submission_id == TaskSubmission.id, Evaluation.party == "mentor",
                        Evaluation.evaluator_id == user.id))
    rows = db.session.execute(
        select(TaskSubmission.id, TaskAssignment.title, student.full_name, student.username, TaskGroup.name,
               teaching.label("as_teacher"))
        .join(TaskAssignment, TaskAssignment.id == TaskSubmission.assignment_id)
        .outerjoin(student, student.id == TaskSubmission.student_id)
        .outerjoin(TaskGroup, TaskGroup.id == TaskSubmission.group_id)
        .where(TaskSubmission.id.in_(_finished()), or_(teaching, mentoring))
        .order_by(TaskSubmission.id).limit(LIMIT))
    return [TodoItem(kind="tasks.evaluate", due_at=None,
                     title=_("评价：%(who)s · %(task)s", who=_owner_name(name, username, group), task=title),
                     url=url_for("tasks.evaluate", submission_id=submission_id,
                                 party="teacher" if as_teacher else "mentor"))
            for submission_id, title, name, username, group, as_teacher in rows]


def _managed_exams(user):
    """The exams the user manages (app.exams.permissions.can_manage_exam, as a condition)."""
    if user.has_role("platform_admin"):
        return literal(True)
    if not user.has_role("school_admin", "teacher"):
        return literal(False)
    mine = Exam.created_by_id == user.id
    return or_(mine, Exam.school_id == user.school_id) if user.school_id else mine


@todo_provider("exams.marking", label=_l("阅卷"), roles={"teacher", "school_admin", "platform_admin"})
def answers_to_mark(user, now: datetime) -> list[TodoItem]:
    """Per exam the user manages: how many hand-graded answers (essays, practicals) wait for a mark."""
    rows = db.session.execute(
        select(Exam.id, Exam.title, func.count(AttemptItem.id), func.min(Attempt.submitted_at))
        .join(Attempt, Attempt.exam_id == Exam.id).join(AttemptItem, AttemptItem.attempt_id == Attempt.id)
        .where(_managed_exams(user), Attempt.state == AttemptState.needs_grading.value,
               AttemptItem.needs_manual.is_(True))
        .group_by(Exam.id, Exam.title).order_by(func.min(Attempt.submitted_at)).limit(LIMIT))
    return [TodoItem(kind="exams.marking", due_at=None,
                     title=_("批改：%(exam)s（%(n)s 份答案）", exam=title, n=n),
                     detail=_("最早提交于 %(time)s", time=_when(oldest)) if oldest else "",
                     url=url_for("exams.grading", exam_id=exam_id))
            for exam_id, title, n, oldest in rows]


@todo_provider("exams.closing", label=_l("考试即将结束"), roles={"teacher", "school_admin"})
def exams_closing(user, now: datetime) -> list[TodoItem]:
    """Exams the user created that close within three days."""
    rows = db.session.execute(
        select(Exam.id, Exam.title, Exam.closes_at)
        .where(Exam.created_by_id == user.id, Exam.closes_at > now, Exam.closes_at <= now + CLOSING_SOON)
        .order_by(Exam.closes_at).limit(LIMIT))
    return [TodoItem(kind="exams.closing", due_at=closes_at, title=_("考试即将结束：%(exam)s", exam=title),
                     url=url_for("exams.detail", exam_id=exam_id))
            for exam_id, title, closes_at in rows]


@todo_provider("review.returned", label=_l("审核退回"), roles={"teacher", "school_admin", "platform_admin"})
def questions_returned(user, now: datetime) -> list[TodoItem]:
    """Questions the user submitted that a reviewer sent back, with the reviewer's latest comment."""
    from app.questions.models import QuestionVersion
    from app.review.models import ReviewRecord, ReviewState

    latest = (select(ReviewRecord.comment)
              .where(ReviewRecord.kind == "question_version", ReviewRecord.object_id == QuestionVersion.id,
                     ReviewRecord.to_state == ReviewState.changes_requested.value)
              .order_by(ReviewRecord.id.desc()).limit(1).correlate(QuestionVersion).scalar_subquery())
    rows = db.session.execute(
        select(QuestionVersion.question_id, QuestionVersion.text, latest)
        .where(QuestionVersion.submitted_by_id == user.id,
               QuestionVersion.review_state == ReviewState.changes_requested.value)
        .order_by(QuestionVersion.id).limit(LIMIT))
    return [TodoItem(kind="review.returned", due_at=None,
                     title=_("修改被退回的试题：%(text)s", text=_plain(text, 40)),
                     detail=_("审核意见：%(comment)s", comment=comment) if comment else "",
                     url=url_for("questions.edit_question", question_id=question_id))
            for question_id, text, comment in rows]


# -- school admins ------------------------------------------------------------------------------------------------

@todo_provider("auth.activation", label=_l("账号激活"), roles={"school_admin"})
def activations_pending(user, now: datetime) -> list[TodoItem]:
    """Imported users of the admin's school whose activation code is still valid and unused: they cannot log in
    until they activate, so the admin hands the codes out (one statement)."""
    from app.auth.models import ActivationCode

    if not user.school_id:
        return []
    n, soonest = db.session.execute(
        select(func.count(func.distinct(ActivationCode.user_id)), func.min(ActivationCode.expires_at))
        .join(User, User.id == ActivationCode.user_id)
        .where(User.school_id == user.school_id, User.is_active.is_(True), User.password_hash.is_(None),
               ActivationCode.used_at.is_(None), ActivationCode.expires_at > clock.as_utc(now).replace(tzinfo=None))
    ).one()
    if not n:
        return []
    return [TodoItem(kind="auth.activation", due_at=soonest,
                     title=_("本校 %(n)s 名导入的用户尚未激活账号", n=n),
                     detail=_("请在激活码到期前把激活码发给他们"),
                     url=url_for("auth.users", school_id=user.school_id, active="1"))]


# -- reviewers ----------------------------------------------------------------------------------------------------

@todo_provider("review.queue", label=_l("待审核"), roles={"reviewer", "platform_admin"})
def review_queue(user, now: datetime) -> list[TodoItem]:
    """Per registered kind: how many items wait for review, and since when (one statement per kind)."""
    from app.review.models import ReviewState
    from app.review.registry import KINDS

    items = []
    for kind in KINDS.values():
        model = kind.model
        n, oldest = db.session.execute(select(func.count(), func.min(model.submitted_at))
                                       .where(model.review_state == ReviewState.submitted.value)).one()
        if n:
            days = max(0, (now - clock.as_utc(oldest)).days) if oldest else 0
            items.append(TodoItem(kind="review.queue", due_at=None,
                                  title=_("审核%(kind)s（%(n)s 项）", kind=kind.label, n=n),
                                  detail=(_("最早的已等待 %(days)s 天", days=days) if days
                                          else _("最早的提交于 24 小时内")),
                                  url=url_for("review.queue")))
    return items


def _when(value) -> str:
    from app.core.i18n import fmt_datetime

    return fmt_datetime(value)


def _plain(html: str, limit: int) -> str:
    import re

    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html or "")).strip()
    return text if len(text) <= limit else text[:limit] + "…"
