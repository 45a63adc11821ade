"""Test data for the careers domain, made through the real services (review included)."""
from __future__ import annotations

from datetime import date, timedelta  # noqa: F401 (re-exported for tests)

from sqlalchemy import select

from app.careers import services
from app.catalog.models import Profession
from app.extensions import db
from app.review import services as review
from tests import factories


def profession(n: int = 0) -> Profession:
    return db.session.scalars(select(Profession).order_by(Profession.id)).all()[n]


def hr(enterprise=None):
    return factories.user("enterprise_hr", enterprise_=enterprise or factories.enterprise())


def post_fields(**overrides) -> dict:
    fields = dict(kind="job", title="汽车维修工", province="广东省", city="广州市", district="天河区",
                  pay_min=5000, pay_max=8000, headcount=3, duties="<p>保养与维修</p>",
                  expires_on=date.today() + timedelta(days=60))
    fields.update(overrides)
    return fields


def published_post(hr_user=None, *, professions=None, **overrides):
    hr_user = hr_user or hr()
    post = services.create_post(hr_user.enterprise_id, hr_user, professions=professions or [profession().id],
                                **post_fields(**overrides))
    review.submit(post, hr_user)
    review.approve(post, factories.user("reviewer"))
    return post
