"""Figures for the home pages, each from a handful of aggregate queries."""
from __future__ import annotations

from sqlalchemy import select

from app.auth.services import count_users_by_role
from app.catalog.services import count_professions, professions_by_field
from app.certification.models import Phase, Target
from app.extensions import db
from app.orgs.services import count_schools, partnerships_of_enterprise, partnerships_of_school

_METRIC_SOURCES = {"integrated_professions", "schools"}


def national_progress() -> list[dict]:
    """Targets whose current value the platform can count today, with that value."""
    schools = count_schools()
    professions = count_professions()
    current = {"integrated_professions": professions["integrated_professions"],
               "schools": schools["integrated_schools"]}
    out = []
    for target in db.session.scalars(select(Target).order_by(Target.id)):
        if target.metric in current:
            value = current[target.metric]
            out.append({"target": target, "value": value,
                        "percent": min(100.0, round(value * 100.0 / target.value, 1)) if target.value else 0})
    return out


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
