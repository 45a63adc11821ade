"""Completion read from ActivityCompletion marks (shared by the manual and page kinds): one query for all
activities of the kind and all learners."""
from __future__ import annotations

from sqlalchemy import select

from app.courses.activities import NOT_STARTED, ActivityKind, Completion, State
from app.courses.models import ActivityCompletion
from app.extensions import db


class MarkedKind(ActivityKind):
    """A kind whose completion is a mark in ActivityCompletion."""

    #: Text shown for a completed mark.
    def done_text(self) -> str:
        raise NotImplementedError

    def completion_for(self, activity, user_ids):
        return self.completion_for_many([activity], user_ids)[activity.id]

    def completion_for_many(self, activities, user_ids):
        ids = list(user_ids)
        act_ids = [a.id for a in activities]
        done = set()
        if ids and act_ids:
            rows = db.session.execute(select(ActivityCompletion.activity_id, ActivityCompletion.user_id).where(
                ActivityCompletion.activity_id.in_(act_ids), ActivityCompletion.user_id.in_(ids)))
            done = {(activity_id, user_id) for activity_id, user_id in rows}
        complete = Completion(State.complete, self.done_text(), 100)
        return {aid: {uid: complete if (aid, uid) in done else NOT_STARTED for uid in ids} for aid in act_ids}
