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

# -- events for notifications ---------------------------------------------------------------------------------
# Senders announce what happened with ids only, after flushing; the notifications domain (near the top of the
# domain order) subscribes, computes the recipients at that moment (someone who left the course gets nothing)
# and writes their notifications in the sender's transaction. Receivers flush; the sender's caller commits.

#: ``exam_granted.send("exams", exam_id=..., user_ids=[...])`` — learners newly given access to an exam.
exam_granted = _signals.signal("exam-granted")

#: ``stage_decided.send("tasks", submission_id=..., stage_id=..., approved=bool, comment=...)`` — a teacher
#: approved or returned a handed-in stage (the plan at 决策 when the stage needs approval).
stage_decided = _signals.signal("stage-decided")

#: ``evaluation_given.send("tasks", submission_id=..., party=..., evaluator_id=...)`` — a teacher's or mentor's
#: evaluation (score and feedback) of a submission was saved and is visible to the learner.
evaluation_given = _signals.signal("evaluation-given")

#: ``review_decided.send("review", kind=..., object_id=..., to_state=..., comment=..., submitter_id=...)`` — a
#: reviewer approved something (``kind`` of the review registry) or sent it back with a comment.
review_decided = _signals.signal("review-decided")

#: ``certificate_changed.send("certification", user_id=..., title=..., issued=bool, url=...)`` — a certificate
#: was issued to, or revoked from, a user.
certificate_changed = _signals.signal("certificate-changed")

#: ``import_finished.send(<domain>, user_id=..., title=..., body=..., url=...)`` — a long import or batch
#: started by ``user_id`` finished (successfully or not; ``title`` says which).
import_finished = _signals.signal("import-finished")

#: ``grade_released.send("grading", item_id=...)`` — a gradebook grade item was released (公布) to the course's
#: learners: it was hidden and is now visible.
grade_released = _signals.signal("grade-released")

#: ``exam_graded.send("exams", attempt_id=...)`` — an attempt's grading is complete (autograded at submission,
#: or its last hand-graded answer marked). Whether the student may see the result now is the exam's review policy.
exam_graded = _signals.signal("exam-graded")

#: ``evaluation_requested.send(<domain>, course_id=..., party="peer"|"mentor", reviewer_ids=[...], title=...,
#: student_id=None)`` — users were assigned to evaluate others' work: classmates as peer reviewers of a work
#: task (``title`` is the task's), or a mentor as a learner's 企业导师 in a course (``student_id`` the learner).
evaluation_requested = _signals.signal("evaluation-requested")
