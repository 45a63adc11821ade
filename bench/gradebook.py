#!/usr/bin/env python3
"""Gradebook recomputation benchmark: final grades of N enrollments (default 1,000) of one course.

Self-contained: builds a throw-away SQLite database (or the one in DATABASE_URL/--db), creates a course with
N learners, 3 categories (one with drop-lowest, one nested), 10 items (two with a minimum) and grades for
every learner, then times ``grading.services.recompute_finals`` — the first run inserts every FinalGrade,
the next five update them all — each including the commit. Prints every run, the median and the worst.

    python bench/gradebook.py [--learners 1000] [--db sqlite:///path.db]
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def build(learners: int):
    from sqlalchemy import insert

    from app.auth.models import User, UserRole
    from app.courses import services as courses
    from app.courses.models import Enrollment
    from app.extensions import db
    from app.grading import services
    from app.grading.models import Grade
    from app.orgs.models import School

    school = School(key="bench-school", name="基准技师学院", kind="technician_college", province="广东省")
    db.session.add(school)
    db.session.flush()
    course = courses.create_course(title="基准课程", kind="class_course", school=school)
    # Users are inserted in bulk (no password hashing): the benchmark is about the gradebook, not accounts.
    db.session.execute(insert(User), [{"username": f"bench{n:05d}", "full_name": f"学员{n}", "school_id": school.id,
                                       "is_active": True, "version": 1} for n in range(learners)])
    ids = [u.id for u in db.session.query(User.id).filter(User.username.like("bench%"))]
    db.session.execute(insert(UserRole), [{"user_id": uid, "role": "student"} for uid in ids])
    db.session.execute(insert(Enrollment), [{"course_id": course.id, "user_id": uid, "role": "learner",
                                             "status": "active", "method": "cli"} for uid in ids])
    process = services.save_category(course, None, name="过程性评价", weight=40, drop_lowest=1)
    final = services.save_category(course, None, name="终结性考核", weight=60)
    practice = services.save_category(course, None, name="实操", weight=2, parent_id=final.id)
    items = [services.save_item(course, None, name=f"工作页{n}", max_points=10, category_id=process.id)
             for n in range(1, 6)]
    items += [services.save_item(course, None, name=f"实操考核{n}", category_id=practice.id, min_score=60)
              for n in (1, 2)]
    items += [services.save_item(course, None, name=f"理论考试{n}", category_id=final.id) for n in (1, 2)]
    items.append(services.save_item(course, None, name="企业评价", weight=0.5))
    rng = random.Random(7)
    rows = []
    for item in items:
        for uid in ids:
            if rng.random() < 0.95:  # some grades missing: exercises re-normalisation and "pending"
                rows.append({"item_id": item.id, "user_id": uid, "value": round(rng.uniform(0.4, 1) * item.max_points, 1),
                             "source": "manual:bench", "version": 1, "overridden": False})
    db.session.execute(insert(Grade), rows)
    db.session.commit()
    return course.id, len(ids), len(items), len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--learners", type=int, default=1000)
    parser.add_argument("--db", default=None, help="database URL (default: a new SQLite file)")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="gx-bench-")
    url = args.db or "sqlite:///" + os.path.join(tmp, "bench.db")

    from sqlalchemy import event, func, select

    from app import create_app
    from app.extensions import db

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": tmp,
                      "RATELIMIT_STORAGE_URI": "memory://"})
    with app.app_context(), app.test_request_context():
        db.create_all()
        course_id, learners, items, grades = build(args.learners)
        from app.courses.models import Course
        from app.grading import services
        from app.grading.models import FinalGrade

        statements = []
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(1))
        timings = []
        for label in ["first run (inserts)"] + [f"run {n} (updates)" for n in range(2, 7)]:
            course = db.session.get(Course, course_id)
            statements.clear()
            start = time.perf_counter()
            count = services.recompute_finals(course)
            db.session.commit()
            elapsed = time.perf_counter() - start
            timings.append(elapsed)
            print(f"{label}: {count} final grades in {elapsed:.3f} s ({len(statements)} SQL statements)")
        statuses = dict(db.session.execute(select(FinalGrade.status, func.count()).group_by(FinalGrade.status)).all())
        print(f"course with {learners} learners, {items} items, {grades} grades; results: {statuses}")
        median = sorted(timings)[len(timings) // 2]
        print(f"RESULT recompute_{learners}_enrollments_seconds: first={timings[0]:.3f} median={median:.3f} "
              f"worst={max(timings):.3f} (target < 1 s: {'met' if max(timings) < 1 else 'NOT met'})")


if __name__ == "__main__":
    main()
