"""``video`` course activity: complete when the learner's server-measured coverage reaches ``rule.min_percent``.

Certification owns the watch coverage (:class:`WatchProgress`), so it registers the kind in the courses
registry (docs/activities.md); one query for all learners of a class.
"""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.courses.activities import KINDS, NOT_STARTED, ActivityKind, Completion, State, register
from app.errors import ValidationError
from app.extensions import db

DEFAULT_PERCENT = 90


class VideoKind(ActivityKind):
    name = "video"
    label = _l("视频")
    needs_target = True

    def target_url(self, activity):
        from flask import url_for

        return url_for("media.video", video_id=activity.target_id) if activity.target_id else None

    def targets(self, course):
        from app.media.models import Video

        stmt = select(Video.id, Video.title).where(Video.review_state == "approved").order_by(Video.title)
        if course.profession_id is not None:
            stmt = stmt.where(Video.profession_id == course.profession_id)
        return [(row.id, row.title) for row in db.session.execute(stmt)]

    def validate(self, *, target_id, rule, body, url):
        if not target_id:
            raise ValidationError(_("请选择视频。"))
        try:
            percent = int((rule or {}).get("min_percent", DEFAULT_PERCENT))
        except (TypeError, ValueError):
            percent = -1
        if not 1 <= percent <= 100:
            raise ValidationError(_("完成所需的观看比例必须在 1 到 100 之间。"))
        return {"min_percent": percent}

    def completion_for(self, activity, user_ids):
        from app.certification.models import WatchProgress
        from app.media.models import Video

        ids = list(user_ids)
        if not ids:
            return {}
        rows = db.session.execute(
            select(WatchProgress.user_id, WatchProgress.covered_seconds, Video.duration)
            .join(Video, Video.id == WatchProgress.video_id)
            .where(WatchProgress.video_id == activity.target_id, WatchProgress.user_id.in_(ids))).all()
        need = (activity.rule or {}).get("min_percent", DEFAULT_PERCENT)
        result = {}
        for user_id, covered, duration in rows:
            percent = int(min(100, covered * 100 // duration)) if duration else 0
            if percent >= need:
                result[user_id] = Completion(State.complete, _("已看 %(p)s%%", p=percent), 100)
            elif covered > 0:
                result[user_id] = Completion(State.in_progress, _("已看 %(p)s%%", p=percent), percent)
        return {uid: result.get(uid, NOT_STARTED) for uid in ids}


# The media domain may ship its own adapter later; the server-measured one is registered only if none is there.
if "video" not in KINDS:
    register(VideoKind)
