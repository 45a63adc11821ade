"""The 百千万 dashboard: how far the country, a province or a school is from the national targets.

Every number comes from a fixed set of grouped queries over certificates, program enrollments, schools and
professions — never over watch/heartbeat rows — and the result of a scope is shared by every worker process
through a database row (app.dashboard.snapshots) recomputed by one worker when older than half of
``CERT_DASHBOARD_TTL`` (default 60 s), so pages after the first answer from memory and numbers are at most a
minute old. Metrics are a registry keyed by the ``Target.metric`` names in content/targets.yaml.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import distinct, func, or_, select

from app.certification.models import Certificate, Phase, ProgramEnrollment, Target
from app.core import clock
from app.extensions import db


@dataclass(frozen=True)
class Scope:
    """``national``, a province name, or a school id."""

    province: str | None = None
    school_id: int | None = None

    @property
    def key(self) -> str:
        return f"s{self.school_id}" if self.school_id else (f"p{self.province}" if self.province else "national")


def _cert_filter(stmt, scope: Scope):
    stmt = stmt.where(Certificate.revoked_at.is_(None))
    if scope.school_id:
        return stmt.where(Certificate.school_id == scope.school_id)
    if scope.province:
        return stmt.where(Certificate.province == scope.province)
    return stmt


def _enrollment_filter(stmt, scope: Scope):
    from app.orgs.models import School

    if scope.school_id:
        return stmt.where(ProgramEnrollment.school_id == scope.school_id)
    if scope.province:
        return stmt.where(ProgramEnrollment.school_id.in_(select(School.id).where(School.province == scope.province)))
    return stmt


# ---- metric registry ------------------------------------------------------------------------------------------
METRICS: dict[str, Callable[[Scope], int]] = {}


def metric(name: str):
    def deco(fn):
        METRICS[name] = fn
        return fn
    return deco


@metric("certified_teachers")
def certified_teachers(scope: Scope) -> int:
    return db.session.scalar(_cert_filter(select(func.count(distinct(Certificate.user_id))), scope)) or 0


@metric("schools")
def schools_taking_part(scope: Scope) -> int:
    """Schools that run 工学一体化 (integrated_since set) or have teachers in a training program."""
    from app.orgs.models import School

    stmt = select(func.count(School.id)).where(School.is_active.is_(True), or_(
        School.integrated_since.is_not(None), School.id.in_(select(ProgramEnrollment.school_id))))
    if scope.school_id:
        stmt = stmt.where(School.id == scope.school_id)
    elif scope.province:
        stmt = stmt.where(School.province == scope.province)
    return db.session.scalar(stmt) or 0


@metric("integrated_professions")
def integrated_professions(scope: Scope) -> int:
    from app.catalog.models import Profession

    return db.session.scalar(select(func.count(Profession.id)).where(Profession.is_integrated.is_(True))) or 0


# ---- the summary of a scope -----------------------------------------------------------------------------------
@dataclass
class Summary:
    scope: Scope
    targets: list[dict] = field(default_factory=list)
    phases: list[dict] = field(default_factory=list)
    trend: list[tuple[str, int]] = field(default_factory=list)
    projected: date | None = None
    rate_per_month: float = 0.0
    by_province: list[tuple[str, int]] = field(default_factory=list)
    by_school: list[tuple[int, str, int]] = field(default_factory=list)
    by_profession: list[tuple[str, int]] = field(default_factory=list)
    by_level: list[tuple[str, int]] = field(default_factory=list)
    computed_at: float = 0.0


def _percent(value: int, total: int) -> int:
    return int(min(100, value * 100 // total)) if total else 0


def compute(scope: Scope) -> Summary:
    """All the numbers of one scope (about ten grouped statements, whatever the data size)."""
    summary = Summary(scope=scope, computed_at=time.time())
    for target in db.session.scalars(select(Target).order_by(Target.id)):
        value = METRICS[target.metric](scope) if target.metric in METRICS else 0
        summary.targets.append({"name": target.name, "metric": target.metric, "value": value, "target": target.value,
                                "percent": _percent(value, target.value), "deadline": target.deadline})
    phases = list(db.session.scalars(select(Phase).order_by(Phase.number)))
    for phase in phases:
        # Phases are local dates; enrolments are stored in UTC.
        start, end = clock.utc_range_of_local_days(phase.starts_on, phase.ends_on)
        stmt = _enrollment_filter(select(func.count(ProgramEnrollment.id)).where(
            ProgramEnrollment.enrolled_at >= start, ProgramEnrollment.enrolled_at < end), scope)
        done = db.session.scalar(stmt) or 0
        summary.phases.append({"name": phase.name, "starts_on": phase.starts_on, "ends_on": phase.ends_on,
                               "value": done, "target": phase.teacher_trainings,
                               "percent": _percent(done, phase.teacher_trainings)})
    _trend(summary, scope)
    grouped = lambda column: _cert_filter(select(column, func.count(Certificate.id)), scope).group_by(column)  # noqa: E731
    summary.by_province = [(p or "—", n) for p, n in db.session.execute(grouped(Certificate.province)
                                                                          .order_by(func.count(Certificate.id).desc()))]
    summary.by_school = [(sid, name or "—", n) for sid, name, n in db.session.execute(
        _cert_filter(select(Certificate.school_id, Certificate.school_name, func.count(Certificate.id)), scope)
        .group_by(Certificate.school_id, Certificate.school_name).order_by(func.count(Certificate.id).desc()).limit(50))]
    summary.by_profession = [(p or "—", n) for p, n in db.session.execute(
        grouped(Certificate.profession_name).order_by(func.count(Certificate.id).desc()).limit(50))]
    summary.by_level = [(p, n) for p, n in db.session.execute(grouped(Certificate.level_name)
                                                               .order_by(Certificate.level_name))]
    return summary


def _trend(summary: Summary, scope: Scope) -> None:
    """Certificates per month (cumulative) and the date 10,000 is reached at the last 3 months' pace."""
    rows = db.session.execute(_cert_filter(select(Certificate.issued_on, func.count(Certificate.id)), scope)
                              .group_by(Certificate.issued_on).order_by(Certificate.issued_on)).all()
    months: dict[str, int] = {}
    for day, n in rows:
        months[day.strftime("%Y-%m")] = months.get(day.strftime("%Y-%m"), 0) + n
    running = 0
    for month, n in months.items():
        running += n
        summary.trend.append((month, running))
    today = clock.today()
    recent = sum(n for day, n in rows if day > today - timedelta(days=90))
    summary.rate_per_month = round(recent / 3, 1)
    teachers = next((t for t in summary.targets if t["metric"] == "certified_teachers"), None)
    if teachers and summary.rate_per_month > 0 and teachers["value"] < teachers["target"]:
        months_needed = (teachers["target"] - teachers["value"]) / summary.rate_per_month
        summary.projected = today + timedelta(days=round(months_needed * 30.44))


# ---- cache shared by every worker (app.dashboard.snapshots) ----------------------------------------------------
def summary_for(scope: Scope) -> Summary:
    """The summary of ``scope``, at most ``CERT_DASHBOARD_TTL`` seconds old (default 60), computed by one worker
    process at a time and shared by all through the database."""
    from app.dashboard import snapshots

    ttl = current_app.config.get("CERT_DASHBOARD_TTL", 60)
    return snapshots.shared(f"progress:{scope.key}", ttl, lambda: _encode(compute(scope)), _decode)


def clear_cache() -> None:
    """Forget every computed summary (the next request recomputes). Flushes; the caller commits."""
    from app.dashboard import snapshots

    snapshots.forget("progress:")


def _encode(summary: Summary) -> dict:
    """The summary as JSON-able data (dates as ISO strings, marked)."""
    def plain(value):
        if isinstance(value, date):
            return {"$date": value.isoformat()}
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        return value

    data = {f.name: plain(getattr(summary, f.name)) for f in fields(Summary) if f.name != "scope"}
    data["scope"] = {"province": summary.scope.province, "school_id": summary.scope.school_id}
    return data


def _decode(data: dict) -> Summary:
    def rich(value):
        if isinstance(value, dict):
            if set(value) == {"$date"}:
                return date.fromisoformat(value["$date"])
            return {k: rich(v) for k, v in value.items()}
        if isinstance(value, list):
            return [rich(v) for v in value]
        return value

    out = Summary(scope=Scope(**data["scope"]))
    for f in fields(Summary):
        if f.name != "scope":
            setattr(out, f.name, rich(data[f.name]))
    # Breakdowns and the trend are lists of tuples in the templates and the export.
    for name in ("trend", "by_province", "by_school", "by_profession", "by_level"):
        setattr(out, name, [tuple(row) for row in getattr(out, name)])
    return out


def school_teachers(school_id: int) -> list[dict]:
    """Teachers of a school in training programs with their 学时 against the program's total, and their
    certificate and its status (``valid``, ``revoked``, ``expired``); three statements."""
    from app.auth.models import User

    rows = db.session.execute(select(ProgramEnrollment, User.full_name, User.username)
                              .join(User, User.id == ProgramEnrollment.user_id)
                              .where(ProgramEnrollment.school_id == school_id)
                              .order_by(User.full_name, ProgramEnrollment.id)).all()
    certs = {(c.user_id, c.program_id): c for c in db.session.scalars(
        select(Certificate).where(Certificate.school_id == school_id))}
    from app.certification.rules import earned
    from app.certification.services import status_of, total_hours_many

    hours = total_hours_many(sorted({e.user_id for e, _n, _u in rows}))
    out = []
    for e, name, username in rows:
        cert = certs.get((e.user_id, e.program_id))
        out.append({"enrollment": e, "name": name or username, "certificate": cert,
                    "status": status_of(cert) if cert else None,
                    "hours": earned(hours[e.user_id]), "hours_needed": earned(e.program.min_total_hours)})
    return out


def export_rows(summary: Summary) -> list[list]:
    """The same numbers as the page, as rows for XLSX (category labels in the reader's language)."""
    from flask_babel import gettext as _

    rows = [[_("目标"), t["name"], t["value"], t["target"], f"{t['percent']}%"] for t in summary.targets]
    rows += [[_("阶段培训人次"), p["name"], p["value"], p["target"], f"{p['percent']}%"] for p in summary.phases]
    rows += [[_("按省份"), name, n, "", ""] for name, n in summary.by_province]
    rows += [[_("按学校"), name, n, "", ""] for _sid, name, n in summary.by_school]
    rows += [[_("按专业"), name, n, "", ""] for name, n in summary.by_profession]
    rows += [[_("按层级"), name, n, "", ""] for name, n in summary.by_level]
    rows += [[_("趋势（累计证书）"), month, n, "", ""] for month, n in summary.trend]
    if summary.projected:
        rows.append([_("预计达成日期"), summary.projected.isoformat(), "", "", ""])
    return rows
