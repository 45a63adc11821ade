"""Subscribers to the events of app/core/signals.py: each computes its recipients when the event happens (a
learner who left the course, or lost access, gets nothing) and writes their notifications through
:func:`services.notify`. Texts are written in the platform's language (the source strings), whoever acted."""
from __future__ import annotations

from contextlib import contextmanager

from flask import current_app, has_request_context
from flask import url_for as _url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from app.auth.models import User
from app.core import signals
from app.courses.models import Enrollment, EnrollmentRole, EnrollmentStatus
from app.extensions import db
from app.notifications import services


@contextmanager
def _platform_language():
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_CN")):
        yield


def url_for(endpoint: str, **values) -> str:
    """A path on this site, also when the event comes from a CLI command (no request)."""
    return _in_request(lambda: _url_for(endpoint, **values))


def _active_learners(course_id: int, user_ids: list[int]) -> list[int]:
    """Those of ``user_ids`` who still take part in the course as learners (and whose account is active)."""
    if not user_ids:
        return []
    return list(db.session.scalars(
        select(Enrollment.user_id).join(User, User.id == Enrollment.user_id)
        .where(Enrollment.course_id == course_id, Enrollment.user_id.in_(user_ids),
               Enrollment.role == EnrollmentRole.learner.value, Enrollment.status == EnrollmentStatus.active.value,
               User.is_active.is_(True))))


@signals.exam_granted.connect
def _exam_granted(sender, *, exam_id: int, user_ids, **_kw) -> None:
    from app.core.i18n import fmt_datetime
    from app.exams.models import Exam, ExamGrant

    exam = db.session.get(Exam, exam_id)
    if exam is None:
        return
    granted = list(db.session.scalars(
        select(ExamGrant.user_id).join(User, User.id == ExamGrant.user_id)
        .where(ExamGrant.exam_id == exam_id, ExamGrant.user_id.in_(list(user_ids)), User.is_active.is_(True))))
    with _platform_language():
        window = []
        if exam.opens_at:
            window.append(_("开始：%(t)s", t=fmt_datetime(exam.opens_at)))
        if exam.closes_at:
            window.append(_("截止：%(t)s", t=fmt_datetime(exam.closes_at)))
        services.notify("exams.granted", granted, title=_("您可以参加考试：%(exam)s", exam=exam.title),
                        body="；".join(window), url=url_for("exams.mine"))


def _members(submission) -> list[int]:
    from app.tasks.models import TaskGroupMember

    if submission.group_id is not None:
        return list(db.session.scalars(select(TaskGroupMember.student_id)
                                       .where(TaskGroupMember.group_id == submission.group_id)))
    return [submission.student_id] if submission.student_id else []


@signals.stage_decided.connect
def _stage_decided(sender, *, submission_id: int, stage_id: int, approved: bool, comment: str = "", **_kw) -> None:
    from app.tasks.models import AssignmentStage, TaskSubmission

    submission = db.session.get(TaskSubmission, submission_id)
    stage = db.session.get(AssignmentStage, stage_id)
    if submission is None or stage is None:
        return
    assignment = submission.assignment
    recipients = _active_learners(assignment.course_id, _members(submission))
    with _platform_language():
        names = {"task": assignment.title, "stage": stage.name}
        if stage.requires_approval and approved:
            kind, title = "tasks.plan_approved", _("“%(stage)s”环节已通过：%(task)s，可以开始下一环节", **names)
        elif stage.requires_approval:
            kind, title = "tasks.plan_returned", _("“%(stage)s”环节被退回：%(task)s，请按意见修改", **names)
        elif not approved:
            kind, title = "tasks.stage_returned", _("环节被退回：%(task)s · %(stage)s", **names)
        else:
            return
        services.notify(kind, recipients, title=title, body=comment or "",
                        url=url_for("tasks.stage", submission_id=submission_id, stage_id=stage_id))


@signals.evaluation_given.connect
def _evaluation_given(sender, *, submission_id: int, party: str, **_kw) -> None:
    from app.tasks.models import Evaluation, TaskSubmission

    submission = db.session.get(TaskSubmission, submission_id)
    if submission is None:
        return
    comment = db.session.scalar(select(Evaluation.comment).where(Evaluation.submission_id == submission_id,
                                                                 Evaluation.party == party)
                                .order_by(Evaluation.id.desc()).limit(1)) or ""
    recipients = _active_learners(submission.assignment.course_id, _members(submission))
    with _platform_language():
        title = (_("老师评价了您的作业：%(task)s", task=submission.assignment.title) if party == "teacher"
                 else _("企业导师评价了您的作业：%(task)s", task=submission.assignment.title))
        services.notify("tasks.evaluated", recipients, title=title, body=comment,
                        url=url_for("tasks.submission", submission_id=submission_id))


@signals.grade_released.connect
def _grade_released(sender, *, item_id: int, **_kw) -> None:
    """The learners graded on a released item (those who still take part in the course) learn that it is out."""
    from app.courses.models import Course
    from app.grading.models import Grade, GradeItem

    item = db.session.get(GradeItem, item_id)
    if item is None or item.hidden:
        return
    graded = list(db.session.scalars(select(Grade.user_id).where(Grade.item_id == item_id)))
    recipients = _active_learners(item.course_id, graded)
    course = db.session.get(Course, item.course_id)
    with _platform_language():
        services.notify("grading.released", recipients,
                        title=_("成绩已公布：%(item)s（%(course)s）", item=item.name, course=course.title),
                        url=url_for("grading.my_grades", course_id=item.course_id))


@signals.exam_graded.connect
def _exam_graded(sender, *, attempt_id: int, **_kw) -> None:
    """The student learns the result of a graded attempt when the exam's review policy shows the score now
    (right after submitting or while the exam is open); an exam that shows scores only later tells nobody now."""
    from app.exams import review
    from app.exams.models import Attempt, ExamGrant

    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or "points" not in review.visible_aspects(attempt, attempt.exam):
        return
    # still granted the exam (access withdrawn tells nobody) and still an active account
    still = db.session.scalar(select(User.id).join(ExamGrant, ExamGrant.user_id == User.id)
                              .where(User.id == attempt.user_id, ExamGrant.exam_id == attempt.exam_id,
                                     User.is_active.is_(True)))
    if still:  # the same key as the after-close announcement (schedule.py): each attempt is announced once
        from app.notifications.schedule import claim_keys

        if not claim_keys([f"results:{attempt.id}"]):
            return
    with _platform_language():
        services.notify("exams.results", [still] if still else [],
                        title=_("考试成绩已出：%(exam)s", exam=attempt.exam.title),
                        url=url_for("exams.mine"))


def _active_as(course_id: int, user_ids, role: str) -> list[int]:
    """Those of ``user_ids`` who take part in the course, actively, in ``role`` (and whose account is active)."""
    return list(db.session.scalars(
        select(Enrollment.user_id).join(User, User.id == Enrollment.user_id)
        .where(Enrollment.course_id == course_id, Enrollment.user_id.in_(list(user_ids)), Enrollment.role == role,
               Enrollment.status == EnrollmentStatus.active.value, User.is_active.is_(True))))


@signals.evaluation_requested.connect
def _evaluation_requested(sender, *, course_id: int, party: str, reviewer_ids, title: str,
                          student_id: int | None = None, **_kw) -> None:
    """Classmates asked to peer-review (still learners of the course), or a mentor assigned to a learner (still a
    mentor of the course), learn what to evaluate; the workbench lists the work itself."""
    with _platform_language():
        if party == "peer":
            recipients = _active_learners(course_id, list(reviewer_ids))
            services.notify("evaluation.requested", recipients, title=_("请互评同学的作品：%(task)s", task=title),
                            body=_("作品完成后会出现在工作台的待办事项中。"), url=url_for("workbench.home"))
            return
        student = db.session.get(User, student_id) if student_id else None
        recipients = _active_as(course_id, reviewer_ids, EnrollmentRole.mentor.value)
        services.notify("evaluation.requested", recipients,
                        title=_("您被指定为 %(student)s 的企业导师：%(course)s",
                                student=student.display_name if student else "", course=title),
                        body=_("学员的作品完成后请给出企业评价。"), url=url_for("courses.course", course_id=course_id))


def _in_request(fn):
    """Run ``fn()`` where url_for works (a CLI command or a content load has no request)."""
    if has_request_context():
        return fn()
    with current_app.test_request_context():
        return fn()


@signals.review_decided.connect
def _review_decided(sender, *, kind: str, object_id: int, to_state: str, comment: str, submitter_id: int,
                    **_kw) -> None:
    from app.review.registry import KINDS

    user = db.session.get(User, submitter_id)
    registered = KINDS.get(kind)
    obj = db.session.get(registered.model, object_id) if registered else None
    if user is None or not user.is_active or obj is None:
        return
    with _platform_language():
        title, url = _in_request(lambda: (str(registered.title(obj)), registered.url(obj)))
        headline = (_("审核通过：%(title)s", title=title) if to_state == "approved"
                    else _("审核退回，请修改：%(title)s", title=title))
        services.notify("review.decided", [submitter_id], title=headline, body=comment or "", url=url)


@signals.certificate_changed.connect
def _certificate_changed(sender, *, certificate_ids, issued: bool, reason: str = "", **_kw) -> None:
    from app.certification.models import Certificate

    certs = db.session.execute(select(Certificate.id, Certificate.user_id, Certificate.program_title)
                               .where(Certificate.id.in_(list(certificate_ids)))).all()
    if not certs:
        return
    with _platform_language():
        # One link built, the others by substitution: a batch of a thousand certificates stays cheap.
        pattern = url_for("certification.certificate", cert_id=2147483647)
        entries = [(user_id,
                    _("您已获得证书：%(program)s", program=program) if issued
                    else _("您的证书已被撤销：%(program)s", program=program),
                    reason or "", pattern.replace("2147483647", str(cert_id)))
                   for cert_id, user_id, program in certs]
        services.notify_each("certification.issued" if issued else "certification.revoked", entries)


@signals.import_finished.connect
def _import_finished(sender, *, user_id: int, title: str, body: str = "", url: str = "", **_kw) -> None:
    services.notify("imports.finished", [user_id], title=title, body=body, url=url)
