"""Certification fixtures: videos of a chosen duration, API headers, a frozen clock that tests move."""
from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app.auth import services as auth
from app.catalog.models import Profession
from app.core import clock
from app.extensions import db
from app.media.models import MediaFile, Video

_n = itertools.count(1)
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def make_video(app):
    """``make_video(duration=600)`` -> an approved Video row (the file itself is not needed for watching)."""
    profession = db.session.scalars(select(Profession).order_by(Profession.id)).first()

    def _make(duration: float = 600.0, approved: bool = True) -> Video:
        n = next(_n)
        file = MediaFile(storage_key=f"test/cert-{n}.mp4", original_name=f"v{n}.mp4", kind="video", format="mp4",
                         mime="video/mp4", size=1, sha256=f"{n:064d}")
        db.session.add(file)
        db.session.flush()
        video = Video(title=f"培训视频{n}", profession_id=profession.id, file_id=file.id, duration=duration,
                      width=64, height=48, codec="h264", review_state="approved" if approved else "draft")
        db.session.add(video)
        db.session.commit()
        return video

    return _make


@pytest.fixture
def bearer():
    def _bearer(user) -> dict:
        _record, plain = auth.issue_api_token(user, "test")
        db.session.commit()
        return {"Authorization": f"Bearer {plain}"}

    return _bearer


class Clock:
    """Moves the frozen application clock: ``at(15)`` = T0 + 15 s."""

    def at(self, seconds: float) -> None:
        clock.set_now(T0 + timedelta(seconds=seconds))


@pytest.fixture
def frozen():
    c = Clock()
    c.at(0)
    return c
