#!/usr/bin/env python3
"""Class progress table and gradebook: requests/s against a bare Flask route rendering the same template with
the same data held in memory (no database work in the view), and SQL statements per request.

Self-contained (throw-away SQLite, in-process test client, no server): a course with 60 learners,
20 activities and 12 grade items. The issue's target is >= 30% of the bare route's requests/s.

    python bench/course_pages.py [--learners 60] [--requests 200]
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

PASSWORD = "bench-password-1234"


def build(learners: int):
    from app.auth import services as auth
    from app.courses import services as courses
    from app.extensions import db
    from app.grading import services as grading
    from app.orgs.models import School

    school = School(key="bench-school", name="基准技师学院", kind="technician_college", province="广东省")
    db.session.add(school)
    db.session.flush()
    teacher = auth.create_user(username="benchteacher", roles=["teacher"], full_name="基准教师", school=school,
                               password=PASSWORD)
    course = courses.create_course(title="基准课程", kind="class_course", school=school, teachers=[teacher])
    students = [auth.create_user(username=f"bench{n:03d}", roles=["student"], full_name=f"学员{n}", school=school)
                for n in range(learners)]
    courses.enrol_users(course, students)
    rng = random.Random(3)
    for n in range(20):
        act = courses.add_activity(course, kind=("page", "manual")[n % 2], title=f"活动{n + 1}", body="x")
        courses.set_marks(act, [s.id for s in students if rng.random() < 0.6], done=True, by=teacher)
    cat = grading.save_category(course, None, name="过程性评价", weight=40, drop_lowest=1)
    for n in range(12):
        item = grading.save_item(course, None, name=f"学习任务{n + 1}", category_id=cat.id if n < 8 else None,
                                 min_score=60 if n == 11 else None)
        for s in students:
            if rng.random() < 0.9:
                grading.set_manual_grade(course, item, s.id, rng.randint(40, 100), by=teacher, expected_version=0)
    grading.recompute_finals(course)
    db.session.commit()
    return course.id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--learners", type=int, default=60)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="gx-bench-")
    from flask import render_template
    from sqlalchemy import event

    from app import create_app
    from app.extensions import db

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite:///" + os.path.join(tmp, "bench.db"),
                      "INSTANCE_PATH": tmp, "RATELIMIT_STORAGE_URI": "memory://", "WTF_CSRF_ENABLED": False})
    frozen: dict[str, tuple[str, dict]] = {}

    def bare(name):
        template, context = frozen[name]
        return render_template(template, **context)

    # Bare routes: same templates, data computed once and kept in memory.
    app.add_url_rule("/bare/<name>", "bare", bare)

    def freeze():
        from app.auth.forms import ConfirmForm
        from app.courses import services as courses
        from app.courses.activities import KINDS
        from app.grading import services as grading
        from app.grading.sources import SOURCES

        course = courses.get_course(state['course_id'])
        students = courses.learners(course)
        acts = courses.activities(course)
        matrix = courses.completion_matrix(acts, [s.id for s in students])
        frozen["progress"] = ("courses/progress.html", dict(
            course=course, students=students, activities=acts, matrix=matrix, kinds=KINDS, confirm=ConfirmForm(),
            summaries={s.id: courses.progress_summary(acts, matrix, s.id) for s in students}))
        book = grading.gradebook(course)
        for g in book.grades.values():  # load every attribute now: the bare route must not touch the database
            g.effective, g.version
        from app.grading.views import cell_texts

        frozen["gradebook"] = ("grading/gradebook.html", dict(course=course, book=book, sources=SOURCES,
                                                               labels=grading.status_labels(), confirm=ConfirmForm(),
                                                               cell_texts=cell_texts))
        return "ok"

    app.add_url_rule("/bench-freeze", "bench_freeze", freeze)

    state = {}
    with app.app_context():
        db.create_all()
        state["course_id"] = course_id = build(args.learners)

    client = app.test_client()
    client.post("/login", data={"username": "benchteacher", "password": PASSWORD})

    assert client.get("/bench-freeze").status_code == 200

    statements = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(1))

    def rate(url: str) -> tuple[float, int]:
        assert client.get(url).status_code == 200, url
        statements.clear()
        client.get(url)
        per_request = len(statements)
        start = time.perf_counter()
        for _ in range(args.requests):
            client.get(url)
        return args.requests / (time.perf_counter() - start), per_request

    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        cProfile.runctx("for _ in range(5): client.get('/bare/progress')", globals(), locals(), "/tmp/bare.prof")
        pstats.Stats("/tmp/bare.prof").sort_stats("tottime").print_stats(20)
        return
    print(f"{args.learners} learners, 20 activities, 12 grade items; {args.requests} requests each, in-process")
    for name, url in (("progress", f"/courses/{course_id}/progress"), ("gradebook", f"/courses/{course_id}/gradebook")):
        real, real_sql = rate(url)
        base, base_sql = rate(f"/bare/{name}")
        print(f"{name}: {real:.1f} req/s ({real_sql} SQL statements) vs bare route {base:.1f} req/s "
              f"({base_sql} statements: the session check) -> {real / base * 100:.0f}% (target >= 30%)")


if __name__ == "__main__":
    main()
