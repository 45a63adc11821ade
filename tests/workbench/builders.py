"""Workbench test data: a work task with stages due, an essay exam waiting for marks, through the real services."""
from __future__ import annotations

from datetime import timedelta

from app.core import clock
from app.exams import services as exams
from app.tasks import services as tasks
from tests import factories
from tests.exams import builders as exam_builders
from tests.tasks import builders as task_builders


def work_task(teacher=None, *, students: int = 2, due_in_days=(-1, 1, 2, 3, 4, 5)):
    """An assignment whose stages fall due ``due_in_days`` from now (the first one already overdue)."""
    now = clock.now()
    keys = ["inform", "plan", "decide", "implement", "check", "evaluate"]
    due = {k: now + timedelta(days=d) for k, d in zip(keys, due_in_days)}
    a, course, teacher, learners = task_builders.assignment(teacher, students=students, due_dates=due)
    tasks.start_submissions(a)
    return a, course, teacher, learners


def plan_handed_in(a, student, teacher):
    """The student hands in every stage up to and including 决策 (the plan), which then waits for approval."""
    submission = tasks.submission_of(a, student, create=True)
    task_builders.walk_to(a, submission, student, teacher, "decide")
    decide = task_builders.stage(a, "decide")
    tasks.save_stage(submission, decide, task_builders.answers_for(a, decide), by=student, submit=True)
    return submission


def essay_exam(teacher, students, **fields):
    """An exam with an essay, granted to ``students``, each of whom has answered and handed in."""
    bank = exam_builders.bank()
    essay = exam_builders.question(bank, "essay")
    exam = exam_builders.fixed_exam([essay], students=students, creator=teacher, **fields)
    for s in students:
        attempt, _ = exams.start_attempt(exam, s)
        exams.store_response(exams.load_save_target(attempt.id, 1, s.id), {"text": "先断电", "files": []}, 1)
        exams.close_attempt(attempt.id, closed_by="student", user_id=s.id)
    return exam


def open_exam(students, creator=None, **fields):
    bank = exam_builders.bank()
    q = exam_builders.question(bank, "single_choice")
    creator = creator or factories.user("teacher")
    return exam_builders.fixed_exam([q], students=students, creator=creator, **fields)
