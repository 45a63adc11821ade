"""``workbench``: the 工作台 (GET /home) of a busy teacher and of a student (issue 15).

A copy of the national bench database gets, through the domains' own services (the test builders, so the rows
are exactly what the product writes), after moving 1,200 generated students to the teacher's school: 20 class courses of teacher ``t000000`` with 60 learners each (1,200
students), 150 essay exams of that teacher with one handed-in answer each (150 "批改" to-dos) and 150 exams
closing within three days (150 "考试即将结束" to-dos): 300 open to-dos. Student ``s0000000`` learns in 12 of the
courses and is granted 12 open exams.

Each ``GET /home`` is compared with ``/_bench/bare/workbench/<who>``: the same template with the same context,
computed once by the scenario and unpickled by the bare route (no database, no session lookup). The student's
``GET /courses`` (their course list with progress: what the student's home showed before the workbench replaced
it) is measured in the same run for the CPU comparison. The SQL statements of a warm request are counted
in-process.

**Targets** (issue 15): real >= 40% of bare requests/s, <= 12 statements, student CPU per request <= 1.5x the
student's course list.
"""
from __future__ import annotations

import os
import pickle
import shutil
import tempfile
from datetime import timedelta

from bench import generate, measure
from bench.scenarios import Context, scenario
from bench.server import gunicorn
from bench.table import Table

TARGET_RATIO, TARGET_STATEMENTS, TARGET_CPU = 0.40, 12, 1.5
TEACHER, STUDENT = "t000000", "s0000000"
COURSES, LEARNERS_PER_COURSE, STUDENT_COURSES = 20, 60, 12
MARKING, CLOSING = 150, 150


def build(url: str, log) -> None:
    """Courses, learners and to-dos through the services (a few hundred flushes: about a minute here)."""
    from flask_migrate import upgrade
    from sqlalchemy import select

    from app.auth.models import User, UserRole
    from app.core import clock
    from app.courses import services as courses
    from app.extensions import db
    from tests.courses import builders as course_builders
    from tests.exams import builders as exam_builders
    from tests.workbench import builders

    app = generate._make_app(url)
    with app.test_request_context():
        upgrade()
        teacher = db.session.scalar(select(User).where(User.username == TEACHER))
        student = db.session.scalar(select(User).where(User.username == STUDENT))
        others = db.session.scalars(
            select(User).join(UserRole).where(UserRole.role == "student", User.username != STUDENT,
                                              User.is_active.is_(True), User.password_hash.is_not(None))
            .order_by(User.id).limit(COURSES * LEARNERS_PER_COURSE)).all()
        # A school of 1,200 students: the generated ones are spread over 1,000 schools, 100 each.
        db.session.execute(User.__table__.update().where(User.id.in_([u.id for u in others]))
                           .values(school_id=teacher.school_id))
        db.session.expire_all()
        made = []
        for n in range(COURSES):
            course, _ = course_builders.course(teacher, title=f"汽车维护与保养（{n + 1}班）")
            group = others[n * LEARNERS_PER_COURSE:(n + 1) * LEARNERS_PER_COURSE - (1 if n < STUDENT_COURSES else 0)]
            courses.enrol_users(course, group + ([student] if n < STUDENT_COURSES else []))
            made.append(course)
        db.session.commit()
        log(f"  {COURSES} courses, {COURSES * LEARNERS_PER_COURSE:,} enrolments")
        for n in range(MARKING):
            builders.essay_exam(teacher, [others[n]]).title = f"单元测验{n + 1}"
        db.session.commit()
        bank = exam_builders.bank()
        q = exam_builders.question(bank, "single_choice")
        soon = clock.now() + timedelta(days=2)
        for n in range(CLOSING):
            exam = exam_builders.fixed_exam([q], students=[student] if n < STUDENT_COURSES else [], creator=teacher,
                                            closes_at=soon + timedelta(minutes=n))
            exam.title = f"阶段考试{n + 1}"
        db.session.commit()
        log(f"  {MARKING} exams to mark, {CLOSING} closing soon")
        db.engine.dispose()


def write_contexts(url: str, path: str) -> dict:
    """The real context of each user's /home, pickled for the bare route; returns the to-do counts."""
    from flask_login import login_user
    from sqlalchemy import select

    from app.auth.models import User
    from app.extensions import db
    from app.workbench import services

    app = generate._make_app(url)
    out, counts = {}, {}
    for who, username in (("teacher", TEACHER), ("student", STUDENT)):
        with app.test_request_context("/home"):
            user = db.session.scalar(select(User).where(User.username == username))
            login_user(user)
            template, context = services.home(user)
            out[who] = {"template": template, "context": context, "roles": sorted(user.role_names),
                        "full_name": user.full_name, "school": user.school.name if user.school else None}
            counts[who] = len(context["todos"])
    with open(path, "wb") as fh:
        pickle.dump(out, fh)
    with app.app_context():
        db.engine.dispose()
    return counts


@scenario("workbench", "the workbench of a teacher (20 courses, 1,200 students, 300 to-dos) and of a student "
                       "(12 courses) vs the bare route, and the student's course list")
def run(ctx: Context) -> list[Table]:
    tmp = tempfile.mkdtemp(prefix="gx-workbench-", dir=generate.OUT)
    try:
        return _run(ctx, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _run(ctx: Context, tmp: str) -> list[Table]:
    national = generate.ensure(generate.default_url("national"), "full", log=ctx.log)
    path = os.path.join(tmp, "workbench.db")
    shutil.copyfile(national[len("sqlite:///"):], path)
    url = "sqlite:///" + path
    build(url, ctx.log)
    contexts = os.path.join(tmp, "contexts.pickle")
    counts = write_contexts(url, contexts)
    ctx.log(f"  to-dos: teacher {counts['teacher']}, student {counts['student']}")
    statements = {who: measure.statements_per_request(url, user, generate.BENCH_PASSWORD, "/home")
                  for who, user in (("teacher", TEACHER), ("student", STUDENT))}
    tables = []
    with gunicorn(url, workers=ctx.workers, threads=ctx.threads, worker_class=ctx.worker_class,
                  extra_env={"BENCH_WORKBENCH_CONTEXTS": contexts}) as server:
        for who, user in (("teacher", TEACHER), ("student", STUDENT)):
            cookie = server.login(user, generate.BENCH_PASSWORD)
            table = Table(f"workbench: GET /home as the {who} ({counts[who]} to-dos shown; {server.describe()}; "
                          f"wrk -c{ctx.connections} -d{ctx.seconds}s x {ctx.rounds} rounds)")
            result = measure.compare(server, table, label=f"workbench {who}", real="/home",
                                     bare=f"/_bench/bare/workbench/{who}", cookie=cookie, ctx=ctx,
                                     must_contain="todo-item")
            n = len(statements[who])
            table.note(f"SQL statements of a warm request: {n} (target <= {TARGET_STATEMENTS}: "
                       f"{'meets' if n <= TARGET_STATEMENTS else 'MISSES'})")
            table.note(f"ratio real/bare = {result['ratio']:.0%} (median req/s {result['real']['rps']:,.1f} vs "
                       f"{result['bare']['rps']:,.1f}); target >= {TARGET_RATIO:.0%}: "
                       f"{'meets' if result['ratio'] >= TARGET_RATIO else 'MISSES'}; CPU "
                       f"{result['real']['cpu']:.1f} vs bare {result['bare']['cpu']:.1f} ms per request")
            if who == "student":
                old = measure.load(server, "/courses", cookie, ctx)
                factor = result["real"]["cpu"] / old.cpu_ms
                table.add(page="course list (old home)", path="/courses", round="1", **measure._cells(old))
                table.note(f"CPU per request: workbench {result['real']['cpu']:.1f} ms vs the student's course list "
                           f"{old.cpu_ms:.1f} ms = {factor:.2f}x; target <= {TARGET_CPU}x: "
                           f"{'meets' if factor <= TARGET_CPU else 'MISSES'}")
            ctx.extra[f"workbench_{who}"] = result
            tables.append(table)
    return tables
