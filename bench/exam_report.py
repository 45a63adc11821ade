#!/usr/bin/env python3
"""Exam report speed: item analysis (facility, upper-lower D, point-biserial, flags) over N graded attempts.

    python bench/exam_report.py [--attempts 10000] [--questions 20] [--database-url URL]

Attempts and items are bulk-inserted with Core (students answer with an ability-dependent chance of being
right, so the discrimination figures are meaningful); the report is then built through the service and timed.
Target (issue 4): under 2 s for 10,000 attempts.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=10_000)
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)
    tmp = tempfile.mkdtemp(prefix="gx-report-")
    url = args.database_url or "sqlite:///" + os.path.join(tmp, "report.db")
    from sqlalchemy import insert, select, text

    from app import create_app
    from app.auth import services as auth
    from app.auth.models import User
    from app.exams import reports, services
    from app.exams.models import Attempt, AttemptItem
    from app.extensions import db
    from app.questions import services as questions

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": tmp, "SECRET_KEY": "bench-only",
                      "RATELIMIT_STORAGE_URI": "memory://"})
    rng = random.Random(3)
    with app.app_context():
        from flask_migrate import upgrade

        if url.startswith("postgresql"):
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
        bank = questions.create_bank(key="report-bench", name="报表压测")
        paper = services.create_paper(title="报表压测")
        qs = []
        for n in range(args.questions):
            fields = questions.prepare_fields("single_choice", text=f"<p>第{n + 1}题</p>", points=5, data={
                "options": [{"text": f"{k}{n}", "fraction": 1 if k == "A" else 0} for k in "ABCD"]})
            qs.append(questions.create_question(bank, fields))
        # Only reviewed questions go on papers (凡编必审).
        questions.approve_pending(bank, auth.create_user(username="bench-reviewer", roles=["reviewer"],
                                                         full_name="审核"))
        for q in qs:
            services.add_paper_question(paper, q, 5)
        exam = services.create_exam(paper=paper, title="报表压测", time_limit_minutes=60)
        db.session.execute(insert(User), [{"username": f"r{i:06d}", "full_name": ""} for i in range(args.attempts)])
        user_ids = list(db.session.scalars(select(User.id).where(User.username.like("r%")).order_by(User.id)))
        t = time.perf_counter()
        attempts = []
        for i, uid in enumerate(user_ids):
            attempts.append({"exam_id": exam.id, "user_id": uid, "number": 1, "state": "graded", "seed": i,
                             "max_score": 5.0 * len(qs), "score": 0.0})
        db.session.execute(insert(Attempt), attempts)
        attempt_ids = list(db.session.scalars(select(Attempt.id).where(Attempt.exam_id == exam.id).order_by(Attempt.id)))
        items = []
        for aid in attempt_ids:
            ability = rng.random()
            for slot, q in enumerate(qs, start=1):
                # The last question is "wrong": weak students get it right more often (negative discrimination).
                p = (1 - ability) if slot == len(qs) else (0.2 + 0.7 * ability)
                right = rng.random() < p
                items.append({"attempt_id": aid, "slot": slot, "question_version_id": q.current_version_id,
                              "question_id": q.id, "qtype": "single_choice", "points": 5.0, "seq": 1,
                              "response": "A" if right else "B", "score": 5.0 if right else 0.0,
                              "fraction": 1.0 if right else 0.0})
        for start in range(0, len(items), 20_000):
            db.session.execute(insert(AttemptItem), items[start:start + 20_000])
        db.session.execute(text("UPDATE attempt SET score = (SELECT SUM(score) FROM attempt_item "
                                "WHERE attempt_item.attempt_id = attempt.id) WHERE exam_id = :e"), {"e": exam.id})
        db.session.execute(text("UPDATE attempt SET passed = (score >= max_score * 0.6) WHERE exam_id = :e"),
                           {"e": exam.id})
        exam_id = exam.id
        db.session.commit()
        print(f"generated {len(attempt_ids):,} attempts x {len(qs)} items in {time.perf_counter() - t:.1f} s "
              f"({url.split(':')[0]})")
        db.session.remove()
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            report = reports.build_report(services.get_exam(exam_id))
            best = min(best, time.perf_counter() - start)
            db.session.remove()
        flagged = [i.question_id for i in report.items if i.flags]
        print(f"report over {report.attempts:,} attempts: {best:.2f} s (best of 3; target < 2 s) -> "
              f"{'OK' if best < 2 else 'OVER TARGET'}")
        print(f"mean {report.mean_percent:.1f}%, pass rate {report.pass_rate * 100:.1f}%, "
              f"flagged questions: {flagged} (the last one is built to discriminate negatively)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
