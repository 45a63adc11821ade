"""Reactions against the dependency direction go through signals (blinker, shipped with Flask).

A domain that produces a result (an exam attempt graded, a work task scored) sends ``results_changed``;
a later domain (grading) subscribes and recomputes, so the producer never imports the consumer.
"""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: ``results_changed.send(kind, target_id=..., user_ids=[...])`` — ``kind`` is the grade-source name
#: (``"exam"``, ``"work_task"``), or ``"activity"`` when course activity completion marks were set (no grade
#: source: certification credits completed training courses), ``target_id`` the source object's id (the exam,
#: the task assignment, the activity), ``user_ids`` the learners whose result changed. Receivers flush; the
#: sender's caller commits.
results_changed = _signals.signal("results-changed")
