"""The 百千万 dashboard: how far the country, a province or a school is from its targets (national ones, or a
province's or school's own from content/targets.yaml), and whether the current pace reaches them in time.

Every number comes from a fixed set of grouped queries over certificates, program enrollments, schools and
professions — never over watch/heartbeat rows — and the result of a scope is shared by every worker process
through a database row (app.dashboard.snapshots) recomputed by one worker when older than half of
``CERT_DASHBOARD_TTL`` (default 60 s), so pages after the first answer from memory and numbers are at most a
minute old. Metrics are a registry keyed by the ``Target.metric`` names in content/targets.yaml.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import date, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
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
#: metric -> the levels (``national``, ``province``, ``school``) at which its figure means something: the number of
#: integrated professions is national (the catalogue), and a school taking part counts 1 at its own level.
LEVELS: dict[str, frozenset[str]] = {}
#: metric -> (label shown when a scope has no target for it, unit of its figures); lazy strings.
LABELS: dict[str, tuple] = {}


def metric(name: str, *, levels=("national", "province", "school"), label=None, unit=None):
    def deco(fn):
        METRICS[name] = fn
        LEVELS[name] = frozenset(levels)
        LABELS[name] = (label or name, unit or "")
        return fn
    return deco


def level_of(scope: Scope) -> str:
    return "school" if scope.school_id else ("province" if scope.province else "national")


@metric("certified_teachers", label=_l("认证工学一体化教师"), unit=_l("人"))
def certified_teachers(scope: Scope) -> int:
    return db.session.scalar(_cert_filter(select(func.count(distinct(Certificate.user_id))), scope)) or 0


@metric("schools", levels=("national", "province"), label=_l("参与工学一体化的技工院校"), unit=_l("所"))
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


@metric("integrated_professions", levels=("national",), label=_l("工学一体化专业"), unit=_l("个"))
def integrated_professions(scope: Scope) -> int:
    from app.catalog.models import Profession

    return db.session.scalar(select(func.count(Profession.id)).where(Profession.is_integrated.is_(True))) or 0


def _targets_of(scope: Scope):
    """The scope's own targets: national ones, a province's, or a school's."""
    stmt = select(Target).order_by(Target.id)
    if scope.school_id:
        return db.session.scalars(stmt.where(Target.school_id == scope.school_id))
    if scope.province:
        return db.session.scalars(stmt.where(Target.province == scope.province, Target.school_id.is_(None)))
    return db.session.scalars(stmt.where(Target.province.is_(None), Target.school_id.is_(None)))


# ---- outlook: will the current pace reach a target by its deadline? --------------------------------------------
DAYS_PER_MONTH = 30.44


def outlook(value: int, target: int | None, deadline: date | None, rate: float | None, today: date, *,
            starts_on: date | None = None) -> dict | None:
    """Where a figure stands against its target, as data the pages put into words (``describe``).

    ``state`` is ``reached``; ``not_started`` (before ``starts_on``); ``missed`` (the deadline passed short of the
    target); ``on_track`` (the pace of the last three months, ``rate`` per month, reaches it by the deadline: the
    ``projected`` date); ``behind`` (it does not: ``needed`` per month would); ``projected``/``no_pace`` when there
    is no deadline. ``rate`` None: the figure has no pace to measure (only the rate needed is given). Never a date
    past the deadline: a pace that misses it is reported as behind, not as a date centuries away."""
    if target is None:
        return None
    remaining = target - value
    if remaining <= 0:
        return {"state": "reached"}
    base = {"remaining": remaining, "rate": rate, "deadline": deadline}
    if starts_on is not None and today < starts_on:
        return dict(base, state="not_started")
    if deadline is None:
        if rate:
            return dict(base, state="projected", projected=today + timedelta(days=round(remaining / rate * DAYS_PER_MONTH)))
        return dict(base, state="no_pace")
    if deadline < today:
        return dict(base, state="missed")
    months_left = max((deadline - today).days, 1) / DAYS_PER_MONTH
    if rate and remaining / rate <= months_left:
        projected = min(deadline, today + timedelta(days=round(remaining / rate * DAYS_PER_MONTH)))
        return dict(base, state="on_track", projected=projected)
    return dict(base, state="behind", needed=math.ceil(remaining / months_left))


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


def _percent(value: int, total: int) -> int | float:
    """Whole per cent, rounded down (never 100 before the target is met); below 1 % one significant digit, as a
    person writes it (4 of 1,000 is 0.4 %, not 0 %)."""
    if not total:
        return 0
    share = min(100, value * 100 / total)
    return float(f"{share:.1g}") if 0 < share < 1 else int(share)


def compute(scope: Scope) -> Summary:
    """All the numbers of one scope (about ten grouped statements, whatever the data size).

    Targets are the scope's own (national, the province's or the school's); a figure that means something at the
    scope's level but has no target there is listed with ``target`` None. Phase goals are national: below the
    nation the phases show their counts only."""
    summary = Summary(scope=scope, computed_at=time.time())
    level = level_of(scope)
    values: dict[str, int] = {}

    def value_of(name: str) -> int:
        if name not in values:
            values[name] = METRICS[name](scope) if name in METRICS else 0
        return values[name]

    targeted = set()
    for target in _targets_of(scope):
        targeted.add(target.metric)
        value = value_of(target.metric)
        summary.targets.append({"name": target.name, "metric": target.metric, "value": value, "target": target.value,
                                "percent": _percent(value, target.value), "deadline": target.deadline})
    for name in METRICS:
        if level in LEVELS[name] and name not in targeted:
            summary.targets.append({"name": None, "metric": name, "value": value_of(name), "target": None,
                                    "percent": None, "deadline": None})
    today = clock.today()
    national = level == "national"
    phases = list(db.session.scalars(select(Phase).order_by(Phase.number)))
    for phase in phases:
        # Phases are local dates; enrolments are stored in UTC.
        start, end = clock.utc_range_of_local_days(phase.starts_on, phase.ends_on)
        stmt = _enrollment_filter(select(func.count(ProgramEnrollment.id)).where(
            ProgramEnrollment.enrolled_at >= start, ProgramEnrollment.enrolled_at < end), scope)
        done = db.session.scalar(stmt) or 0
        goal = phase.teacher_trainings if national else None
        summary.phases.append({"name": phase.name, "starts_on": phase.starts_on, "ends_on": phase.ends_on,
                               "value": done, "target": goal, "percent": _percent(done, goal) if goal else None,
                               "outlook": None})
    current = [p for p in summary.phases if p["target"] and p["starts_on"] <= today <= p["ends_on"]]
    training_rate = _training_rate(scope, today) if current else None
    for p in summary.phases:
        if p["target"]:
            rate = training_rate if p in current else None
            p["outlook"] = outlook(p["value"], p["target"], p["ends_on"], rate, today, starts_on=p["starts_on"])
    _trend(summary, scope)
    for t in summary.targets:
        rate = summary.rate_per_month if t["metric"] == "certified_teachers" else None
        t["outlook"] = outlook(t["value"], t["target"], t["deadline"], rate, today)
    teachers = next((t for t in summary.targets if t["metric"] == "certified_teachers" and t["outlook"]), None)
    if teachers and teachers["outlook"]["state"] in ("on_track", "projected"):
        summary.projected = teachers["outlook"]["projected"]
    grouped = lambda column: _cert_filter(select(column, func.count(Certificate.id)), scope).group_by(column)  # noqa: E731
    summary.by_province = [(p or "—", n) for p, n in db.session.execute(grouped(Certificate.province)
                                                                          .order_by(func.count(Certificate.id).desc()))]
    summary.by_school = [(sid, name or "—", n) for sid, name, n in db.session.execute(
        _cert_filter(select(Certificate.school_id, Certificate.school_name, func.count(Certificate.id)), scope)
        .group_by(Certificate.school_id, Certificate.school_name).order_by(func.count(Certificate.id).desc()).limit(50))]
    summary.by_profession = [(p or _("不限专业"), n) for p, n in db.session.execute(
        grouped(Certificate.profession_name).order_by(func.count(Certificate.id).desc()).limit(50))]
    summary.by_level = [(p, n) for p, n in db.session.execute(grouped(Certificate.level_name)
                                                               .order_by(Certificate.level_name))]
    return summary


def _trend(summary: Summary, scope: Scope) -> None:
    """Certificates per month (cumulative) and the pace of the last three months (certificates per month)."""
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


def _training_rate(scope: Scope, today: date) -> float:
    """Enrolments in training programs (人次) per month over the last three months."""
    start, end = clock.utc_range_of_local_days(today - timedelta(days=89), today)
    recent = db.session.scalar(_enrollment_filter(select(func.count(ProgramEnrollment.id)).where(
        ProgramEnrollment.enrolled_at >= start, ProgramEnrollment.enrolled_at < end), scope)) or 0
    return round(recent / 3, 1)


def describe(item: dict, unit: str) -> str:
    """The outlook of a target or phase (``item["outlook"]``) in words, in the reader's language; "" without one."""
    from app.core.i18n import fmt_date, fmt_number

    o = item.get("outlook")
    if not o:
        return ""
    state = o["state"]
    args = {"u": unit, "n": fmt_number(o.get("remaining")), "r": fmt_number(o.get("rate") or 0),
            "deadline": fmt_date(o.get("deadline")) if o.get("deadline") else "",
            "d": fmt_date(o["projected"]) if o.get("projected") else "", "need": fmt_number(o.get("needed"))}
    if state == "reached":
        return _("已达成目标。")
    if state == "not_started":
        return _("尚未开始。")
    if state == "missed":
        return _("截止日期 %(deadline)s 已过，未达成目标（还差 %(n)s %(u)s）。", **args)
    if state in ("on_track", "projected"):
        return _("按近三个月的速度（每月 %(r)s %(u)s），预计 %(d)s 达成目标。", **args)
    if state == "no_pace":
        return _("近三个月没有新增，无法预测达成日期（还差 %(n)s %(u)s）。", **args)
    if o.get("rate") is None:
        return _("还差 %(n)s %(u)s；要在 %(deadline)s 前达成，每月需新增 %(need)s %(u)s。", **args)
    if not o.get("rate"):
        return _("近三个月没有新增，按此无法在 %(deadline)s 前达成目标：还差 %(n)s %(u)s，每月需新增 %(need)s %(u)s。",
                 **args)
    return _("按近三个月的速度（每月 %(r)s %(u)s）无法在 %(deadline)s 前达成目标：还差 %(n)s %(u)s，每月需新增 "
             "%(need)s %(u)s。", **args)


def label_of(item: dict) -> str:
    """A target's name, or for a figure without a target the metric's label."""
    return item["name"] or str(LABELS.get(item["metric"], (item["metric"], ""))[0])


def unit_of(item: dict) -> str:
    return str(LABELS.get(item.get("metric"), ("", _l("人次")))[1])


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
        if f.name != "scope" and f.name in data:  # a snapshot written before a field existed keeps its default
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

    rows = [[_("目标"), label_of(t), t["value"], t["target"] if t["target"] is not None else "",
             f"{t['percent']}%" if t["percent"] is not None else ""] for t in summary.targets]
    rows += [[_("阶段培训人次"), p["name"], p["value"], p["target"] if p["target"] is not None else "",
              f"{p['percent']}%" if p["percent"] is not None else ""] for p in summary.phases]
    rows += [[_("进度判断"), label_of(t), describe(t, unit_of(t)), "", ""] for t in summary.targets if t.get("outlook")]
    rows += [[_("进度判断"), p["name"], describe(p, _("人次")), "", ""] for p in summary.phases if p.get("outlook")]
    rows += [[_("按省份"), name, n, "", ""] for name, n in summary.by_province]
    rows += [[_("按学校"), name, n, "", ""] for _sid, name, n in summary.by_school]
    rows += [[_("按专业"), name, n, "", ""] for name, n in summary.by_profession]
    rows += [[_("按层级"), name, n, "", ""] for name, n in summary.by_level]
    rows += [[_("趋势（累计证书）"), month, n, "", ""] for month, n in summary.trend]
    if summary.projected:
        rows.append([_("预计达成日期"), summary.projected.isoformat(), "", "", ""])
    return rows
