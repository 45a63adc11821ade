"""What becomes true because time passed reaches every derived view by itself: a passed peer deadline makes task
scores final, an exam window closing submits and grades the attempts still open — and the gradebook, 我的成绩,
the transcript and the skill-level eligibility follow after the scheduler's ``run_due``, without a teacher pressing
重新计算总评 and without anybody visiting a page. Running the due tasks again changes nothing more."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from app.core import clock
from app.core.schedule import due_tasks, run_due
from app.courses import services as courses
from app.exams import services as exams
from app.extensions import db
from app.grading import services as grading
from app.grading.models import FinalGrade, Grade
from app.tasks import services as tasks
from app.tasks.models import TaskAssignment
from tests import factories
from tests.courses import builders as course_builders
from tests.exams import builders as exam_builders
from tests.tasks import builders as task_builders

T0 = datetime(2026, 5, 4, 2, 0, tzinfo=timezone.utc)


def _full(a, percent: float) -> dict:
    return {str(c.id): c.max_points * percent / 100 for c in a.rubric.criteria}


def _class(admin, teacher, names=("张三", "李四")):
    """A cohort of a 工学一体化 profession enrolled in a class course of its level: (course, cohort, students)."""
    cohort = courses.create_cohort(school=admin.school, name="2025级汽修1班", entry_year=2025,
                                   profession=course_builders.profession(), training_level=course_builders.level())
    students = [factories.user("student", school_=admin.school, full_name=n) for n in names]
    courses.add_cohort_members(cohort, students)
    course, _ = course_builders.course(teacher, title="汽车制动系统检修")
    courses.enrol_cohort(course, cohort)
    return course, cohort, students


def _as(app, login_as, user):
    c = app.test_client()
    login_as(user=user, client_=c)
    return c


def _finals(course) -> dict[int, tuple]:
    return {f.user_id: (f.value, f.status) for f in db.session.scalars(
        select(FinalGrade).where(FinalGrade.course_id == course.id))}


def _grade_versions(course) -> dict:
    items = [i.id for i in grading.items(course)]
    return {(g.item_id, g.user_id): (g.value, g.version) for g in db.session.scalars(
        select(Grade).where(Grade.item_id.in_(items)))}


def _views(app, login_as, *, teacher, admin, student, course, cohort) -> dict[str, str]:
    """The four derived views as their readers open them."""
    return {
        "gradebook": _as(app, login_as, teacher).get(f"/courses/{course.id}/gradebook").get_data(as_text=True),
        "mine": _as(app, login_as, student).get(f"/courses/{course.id}/grades").get_data(as_text=True),
        "transcript": _as(app, login_as, student).get("/transcript").get_data(as_text=True),
        "eligibility": _as(app, login_as, admin).get(f"/cohorts/{cohort.id}/eligibility").get_data(as_text=True),
    }


def test_due_tasks_are_registered_for_deadlines_and_exam_windows(app):
    names = {t.name for t in due_tasks()}
    assert {"tasks.peer_deadlines", "exams.close_overdue"} <= names


def test_a_passed_peer_deadline_reaches_every_grade_page_without_a_teacher(app, login_as):
    clock.set_now(T0)
    task_builders.publish_content()
    admin = factories.user("school_admin")
    teacher = factories.user("teacher", school_=admin.school)
    course, cohort, (s1, s2) = _class(admin, teacher)
    a = tasks.create_assignment(course, task_builders.learning_task(), by=teacher, peer_count=1,
                                peer_due_at=T0 + timedelta(days=2))
    grading.save_item(course, None, name="制动系统检修任务", kind="work_task", target_id=a.id, max_points=100)
    for s in (s1, s2):  # the teacher evaluates; the classmates never review each other
        tasks.evaluate(tasks.submission_of(a, s), "teacher", teacher, _full(a, 80))
    assert run_due(clock.now())["tasks.peer_deadlines"] == 0  # the deadline has not come yet
    db.session.commit()
    assert _finals(course) == {s1.id: (None, "pending"), s2.id: (None, "pending")}

    clock.set_now(T0 + timedelta(days=2, minutes=1))  # the peer deadline passed; nobody does anything
    views = _views(app, login_as, teacher=teacher, admin=admin, student=s1, course=course, cohort=cohort)
    assert "待定" in views["gradebook"] and "text-bg-success\">符合" not in views["eligibility"]  # nothing recomputed by reading

    done = run_due(clock.now())
    db.session.commit()
    assert done["tasks.peer_deadlines"] == 1
    assert _finals(course) == {s1.id: (80.0, "passed"), s2.id: (80.0, "passed")}
    views = _views(app, login_as, teacher=teacher, admin=admin, student=s1, course=course, cohort=cohort)
    book = views["gradebook"]
    assert book.count('<span class="badge text-bg-success">通过</span>') == 2 and "待定" not in book
    assert book.count("<td>80</td>") == 2
    mine = views["mine"]
    assert '<span class="badge fs-6 text-bg-success">通过</span>' in mine and '<div class="stat-value">80</div>' in mine
    transcript = views["transcript"]
    assert "汽车制动系统检修" in transcript and ">80</td>" in transcript and "通过" in transcript
    assert "（通过后计入）" not in transcript
    assert views["eligibility"].count('<span class="badge text-bg-success">符合</span>') == 2

    before = (_finals(course), _grade_versions(course))
    again = run_due(clock.now())
    db.session.commit()
    assert again["tasks.peer_deadlines"] == 0
    assert (_finals(course), _grade_versions(course)) == before


def test_a_deadline_is_settled_once_when_two_runners_race(app):
    """Two servers read the same due deadline; only the first claim carries it over, the second finds it done."""
    clock.set_now(T0)
    a, course, teacher, (s1, s2) = task_builders.assignment(students=2, peer_count=1,
                                                            peer_due_at=T0 + timedelta(hours=1))
    item = grading.save_item(course, None, name="任务", kind="work_task", target_id=a.id)
    tasks.evaluate(tasks.submission_of(a, s1), "teacher", teacher, _full(a, 70))
    clock.set_now(T0 + timedelta(hours=2))
    seen_by_second = db.session.execute(select(TaskAssignment.id, tasks._peer_deadline_sql()).where(
        TaskAssignment.id == a.id)).one()
    assert tasks.settle_peer_deadlines(clock.now()) == 1  # the first server
    assert grading.get_grade(item, s1.id).value == 70.0
    version = grading.get_grade(item, s1.id).version
    assert tasks.claim_peer_deadline(*seen_by_second) is False  # the second server's claim on what it read
    assert tasks.settle_peer_deadlines(clock.now()) == 0
    assert grading.get_grade(item, s1.id).version == version


def test_a_moved_stage_due_date_is_settled_again_when_it_passes(app):
    """Without a peer deadline of its own, the last stage's due date ends the wait: moving it is followed at once
    (the score waits again) and the new date is carried over when it passes."""
    clock.set_now(T0)
    a, course, teacher, (s1, s2) = task_builders.assignment(students=2, peer_count=1)
    item = grading.save_item(course, None, name="任务", kind="work_task", target_id=a.id)
    settings = [tasks.StageSetting(id=s.id, name=s.name, due_at=T0 + timedelta(days=1) if s is a.stages[-1] else None)
                for s in a.stages]
    tasks.update_stages(a, settings)
    tasks.evaluate(tasks.submission_of(a, s1), "teacher", teacher, _full(a, 90))
    assert grading.get_grade(item, s1.id) is None  # pending: peers still have time
    clock.set_now(T0 + timedelta(days=1, minutes=5))
    assert tasks.settle_peer_deadlines(clock.now()) == 1
    assert grading.get_grade(item, s1.id).value == 90.0
    # The teacher gives the class more time: the score waits for the peers again, at once.
    settings[-1].due_at = T0 + timedelta(days=3)
    tasks.update_stages(a, settings)
    assert grading.get_grade(item, s1.id).value is None
    assert tasks.settle_peer_deadlines(clock.now()) == 0
    clock.set_now(T0 + timedelta(days=3, minutes=5))
    assert tasks.settle_peer_deadlines(clock.now()) == 1
    assert grading.get_grade(item, s1.id).value == 90.0


def test_every_change_of_a_task_score_reaches_the_gradebook_at_once(app):
    """Evaluations of each party and the teacher's adjustment of a group member update the gradebook item (no
    重新计算总评)."""
    a, course, teacher, (s1, s2, s3, s4) = task_builders.assignment(
        students=4, work_mode="group", group_size=2, peer_count=1,
        weights={"self": 20, "peer": 0, "teacher": 80, "mentor": 0})
    item = grading.save_item(course, None, name="小组任务", kind="work_task", target_id=a.id)
    sub = tasks.submission_of(a, s1)
    tasks.evaluate(sub, "teacher", teacher, _full(a, 80))
    assert grading.get_grade(item, s1.id).value == 80.0  # self missing: re-normalised
    tasks.evaluate(sub, "self", s1, _full(a, 100))
    assert grading.get_grade(item, s1.id).value == 84.0
    tasks.adjust_member(tasks.get_member(sub, s2.id), -10, "实施环节缺席", by=teacher)
    assert grading.get_grade(item, s2.id).value == 70.0
    final = db.session.scalar(select(FinalGrade).where(FinalGrade.course_id == course.id,
                                                       FinalGrade.user_id == s2.id))
    assert (final.value, final.status) == (70.0, "passed")


def test_an_exam_window_closing_grades_open_attempts_and_updates_the_gradebook(app, login_as):
    clock.set_now(T0)
    admin = factories.user("school_admin")
    teacher = factories.user("teacher", school_=admin.school)
    course, cohort, (s1, s2) = _class(admin, teacher)
    question = exam_builders.question(exam_builders.bank(), "single_choice")
    exam = exam_builders.fixed_exam([question], students=[s1, s2], creator=teacher, points=5,
                                    time_limit_minutes=None, closes_at=T0 + timedelta(hours=1))
    grading.save_item(course, None, name="理论考试", kind="exam", target_id=exam.id, max_points=100)
    attempts = {}
    for s, answer in ((s1, "A"), (s2, "B")):  # both answer, neither hands in
        attempt, _ = exams.start_attempt(exam, s)
        exams.store_response(exams.load_save_target(attempt.id, 1, s.id), answer, 1)
        attempts[s.id] = attempt.id
    db.session.commit()
    assert run_due(clock.now())["exams.close_overdue"] == 0

    clock.set_now(T0 + timedelta(hours=1) + exams.save_grace() + timedelta(seconds=1))
    done = run_due(clock.now())
    db.session.commit()
    assert done["exams.close_overdue"] == 2
    closed = {uid: exams.get_attempt(aid) for uid, aid in attempts.items()}
    assert {uid: (a.state, a.closed_by) for uid, a in closed.items()} == {
        s1.id: ("graded", "timeout"), s2.id: ("graded", "timeout")}
    assert _finals(course) == {s1.id: (100.0, "passed"), s2.id: (0.0, "failed")}
    views = _views(app, login_as, teacher=teacher, admin=admin, student=s1, course=course, cohort=cohort)
    assert "<td>100</td>" in views["gradebook"] and '<span class="badge text-bg-danger">不及格</span>' in views["gradebook"]
    assert ">100</td>" in views["transcript"] and "通过" in views["transcript"]
    assert views["eligibility"].count('<span class="badge text-bg-success">符合</span>') == 1

    before = (_finals(course), _grade_versions(course))
    assert run_due(clock.now())["exams.close_overdue"] == 0
    db.session.commit()
    assert (_finals(course), _grade_versions(course)) == before
