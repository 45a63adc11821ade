"""Due tasks of work tasks (app/core/schedule.py): what becomes true because time passed."""
from __future__ import annotations

from app.core.schedule import due_task
from app.tasks import services


@due_task("tasks.peer_deadlines")
def settle_peer_deadlines(now) -> int:
    """A peer deadline passed: final scores stop waiting for missing reviews; the gradebooks follow."""
    return services.settle_peer_deadlines(now)
