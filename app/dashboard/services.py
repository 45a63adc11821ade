"""Figures for the home pages, each from a handful of aggregate queries."""
from __future__ import annotations

from sqlalchemy import select

from app.auth.services import count_users_by_role
from app.catalog.services import count_professions, professions_by_field
from app.certification.models import Phase
from app.extensions import db
from app.orgs.services import count_schools, partnerships_of_enterprise, partnerships_of_school

def national_progress() -> list[dict]:
    """Every national target with its current value: the 百千万 dashboard's national summary (the same cached
    numbers as /progress, so the two pages never disagree), ``[{"name", "value", "target", "percent"}, ...]``."""
    from app.certification import progress

    return [t for t in progress.summary_for(progress.Scope()).targets if t["target"]]


def phases() -> list[Phase]:
    return list(db.session.scalars(select(Phase).order_by(Phase.number)))


def admin_home() -> dict:
    return {"orgs": count_schools(), "roles": count_users_by_role(), "professions": count_professions(),
            "by_field": professions_by_field(), "progress": national_progress(), "phases": phases()}


def school_home(school) -> dict:
    return {"school": school, "roles": count_users_by_role(school.id),
            "partnerships": partnerships_of_school(school), "professions": count_professions()}


def enterprise_home(enterprise) -> dict:
    return {"enterprise": enterprise, "partnerships": partnerships_of_enterprise(enterprise)}


def catalogue_home() -> dict:
    return {"professions": count_professions(), "by_field": professions_by_field()}
