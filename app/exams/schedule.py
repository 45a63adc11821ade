"""Due tasks of exams (app/core/schedule.py): what becomes true because time passed."""
from __future__ import annotations

from app.core.schedule import due_task
from app.exams import services


@due_task("exams.close_overdue")
def close_overdue_attempts(now) -> int:
    """Attempts still open when their time limit or the exam window ends are submitted with their saved
    answers and graded; the gradebooks follow (``results_changed``)."""
    return services.close_all_overdue(now)
