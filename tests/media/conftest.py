"""Media fixtures: a profession from content/, and resources made through the real services."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.catalog.models import Profession
from app.core import uploads
from app.extensions import db
from app.media import services
from app.review import services as review
from tests import factories
from tests.media import samples


@pytest.fixture
def profession(app):
    return db.session.scalars(select(Profession).order_by(Profession.id)).first()


@pytest.fixture
def make_resource(app, profession):
    """``make_resource(author, kind="video", approved=False, **fields)`` -> committed Video/Document."""
    state = {"reviewer": None, "n": 0}

    def _make(author=None, kind="video", approved=False, data=None, name=None, **fields):
        state["n"] += 1  # every default file differs: the same file is accepted once per profession
        if data is None:
            data, name = ((samples.video(shade=state["n"]), "焊接演示.mp4") if kind == "video"
                          else (samples.pdf(state["n"]), "作业报告.pdf"))
        stored = uploads.read_bytes(data, name, [kind], prefix=services.PREFIX)
        resource = services.add_resource(author, stored, profession_id=fields.pop("profession_id", profession.id),
                                         **fields)
        if approved:
            if state["reviewer"] is None:
                state["reviewer"] = factories.user("reviewer")
            review.submit(resource, author)
            review.approve(resource, state["reviewer"])
        db.session.commit()
        return resource

    return _make


@pytest.fixture
def learning_task(app, profession):
    """A learning task of an approved course standard of ``profession`` (built through the standards services)."""
    from app.standards import services as standards

    admin = factories.user("platform_admin")
    version = standards.create_standard(profession, profession.levels[0], admin)
    course = standards.save_course(version, None, code="C1", name="汽车维护", hours=8)
    task = standards.save_task(course, None, code="C1-T1", name="更换机油", hours=8)
    review.submit(version, admin)
    review.approve(version, factories.user("reviewer"))
    db.session.commit()
    return task
