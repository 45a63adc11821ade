"""岗位实习: placements created from an offered application, checked against rules kept as data, and the student's
weekly logs (周记). Services flush, never commit.

A rule is a row of :data:`RULES`: its key, the name a refusal shows and a check ``(placement, settings) -> bool``.
Limits come from the config (``CAREERS_MAX_HOURS_PER_DAY``, ``CAREERS_MAX_HOURS_PER_WEEK``) so a province's
stricter rules are a setting, not a code change."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from app.careers.models import ApplicationStatus, CheckIn, JobApplication, Placement, WeeklyLog
from app.core import clock
from app.errors import Conflict, NotFound, ValidationError
from app.extensions import db

DEFAULTS = {"CAREERS_MAX_HOURS_PER_DAY": 8, "CAREERS_MAX_HOURS_PER_WEEK": 40, "CAREERS_MAX_TRAVEL_KMH": 120}
BODY_MAX = 10000


@dataclass(frozen=True)
class Rule:
    key: str
    #: What the refusal names (lazy string).
    label: object
    check: object


def _setting(name: str) -> int:
    return int(current_app.config.get(name, DEFAULTS[name]))


#: 岗位实习 rules (教育部等《职业学校学生实习管理规定》): checked in order when a placement is created.
RULES = [
    Rule("hours_per_day", _l("每日实习时间不超过 %(n)s 小时"),
         lambda p: p.hours_per_day <= _setting("CAREERS_MAX_HOURS_PER_DAY")),
    Rule("hours_per_week", _l("每周实习时间不超过 %(n)s 小时"),
         lambda p: p.hours_per_week <= _setting("CAREERS_MAX_HOURS_PER_WEEK")),
    Rule("no_night_shifts", _l("不安排学生上夜班"), lambda p: not p.night_shifts),
    Rule("insured_before_start", _l("实习开始前已投保实习责任保险"),
         lambda p: p.insured_on is not None and p.insured_on <= p.start_on),
]
_RULE_VALUES = {"hours_per_day": "CAREERS_MAX_HOURS_PER_DAY", "hours_per_week": "CAREERS_MAX_HOURS_PER_WEEK"}


def rule_text(rule: Rule) -> str:
    setting = _RULE_VALUES.get(rule.key)
    return str(rule.label) % {"n": _setting(setting)} if setting else str(rule.label)


def broken_rules(placement: Placement) -> list[Rule]:
    return [rule for rule in RULES if not rule.check(placement)]


def create_placement(application: JobApplication, *, start_on: date, end_on: date, supervisor_id: int | None,
                     hours_per_day: int, hours_per_week: int, night_shifts: bool = False,
                     insured_on: date | None = None) -> Placement:
    """A placement for an offered application; refused with the broken rule named."""
    if application.status != ApplicationStatus.offered.value:
        raise Conflict(_("只有已录用的投递才能安排岗位实习。"))
    if db.session.scalar(select(Placement.id).where(Placement.application_id == application.id)):
        raise Conflict(_("这份投递已经安排了岗位实习。"))
    if start_on is None or end_on is None or start_on > end_on:
        raise ValidationError(_("实习开始日期不能晚于结束日期。"))
    from app.auth.models import User, UserRole

    if supervisor_id is not None:
        ok = db.session.scalar(select(User.id).join(UserRole, UserRole.user_id == User.id).where(
            User.id == supervisor_id, UserRole.role == "teacher", User.school_id == application.student.school_id))
        if ok is None:
            raise ValidationError(_("指导教师必须是学生所在学校的教师。"))
    placement = Placement(student_id=application.student_id, enterprise_id=application.post.enterprise_id,
                          job_post_id=application.job_post_id, application_id=application.id,
                          supervisor_id=supervisor_id, mentor_id=application.post.mentor_id, start_on=start_on,
                          end_on=end_on, hours_per_day=hours_per_day, hours_per_week=hours_per_week,
                          night_shifts=bool(night_shifts), insured_on=insured_on, created_at=clock.now())
    broken = broken_rules(placement)
    if broken:
        raise ValidationError(_("不符合岗位实习规定：%(rules)s。", rules="；".join(rule_text(r) for r in broken)))
    db.session.add(placement)
    db.session.flush()
    return placement


def get_placement(placement_id: int) -> Placement:
    placement = db.session.get(Placement, placement_id)
    if placement is None:
        raise NotFound(_("岗位实习不存在。"))
    return placement


def can_view(user, placement: Placement) -> bool:
    """The student, the supervisor, the mentor, HR of the enterprise, platform admins."""
    if not (user and user.is_authenticated):
        return False
    return (user.id in {placement.student_id, placement.supervisor_id, placement.mentor_id}
            or user.has_role("platform_admin")
            or (user.has_role("enterprise_hr") and user.enterprise_id == placement.enterprise_id))


def placements_for(user):
    stmt = select(Placement).order_by(Placement.start_on.desc(), Placement.id.desc())
    if user.has_role("platform_admin"):
        return stmt
    conditions = [Placement.student_id == user.id, Placement.supervisor_id == user.id, Placement.mentor_id == user.id]
    if user.has_role("enterprise_hr") and user.enterprise_id:
        conditions.append(Placement.enterprise_id == user.enterprise_id)
    return stmt.where(or_(*conditions))


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def write_log(placement: Placement, week_start: date, body: str) -> WeeklyLog:
    """The student's 周记 for the week containing ``week_start``; a week outside the placement is refused, and a
    second log for the same week replaces the text of the first."""
    week = monday(week_start)
    if week + timedelta(days=6) < placement.start_on or week > placement.end_on:
        raise ValidationError(_("这一周不在实习期（%(start)s 至 %(end)s）内。", start=placement.start_on.isoformat(),
                                end=placement.end_on.isoformat()))
    body = (body or "").strip()
    if not body:
        raise ValidationError(_("请填写周记内容。"))
    if len(body) > BODY_MAX:
        raise ValidationError(_("周记不能超过 %(n)s 个字。", n=BODY_MAX))
    log = next((entry for entry in placement.logs if entry.week_start == week), None)
    if log is None:
        log = WeeklyLog(placement=placement, week_start=week, body=body, created_at=clock.now())
        db.session.add(log)
    else:
        log.body = body
    db.session.flush()
    return log


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres (haversine)."""
    from math import asin, cos, radians, sin, sqrt

    dlat, dlon = radians(lat2 - lat1), radians(lon2 - lon1)
    a = sin(dlat / 2) ** 2 + cos(radians(lat1)) * cos(radians(lat2)) * sin(dlon / 2) ** 2
    return 2 * 6371.0 * asin(sqrt(a))


def check_in(placement: Placement, latitude=None, longitude=None) -> CheckIn:
    """签到 now, with the location when the browser gave one (both or neither). Flagged, never refused, when the
    distance from the previous located check-in could not be travelled at ``CAREERS_MAX_TRAVEL_KMH`` since."""
    located = latitude is not None and longitude is not None
    if located and not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise ValidationError(_("位置信息无效。"))
    if not located:
        latitude = longitude = None
    now = clock.now()
    flagged = False
    if located:
        previous = db.session.scalar(
            select(CheckIn).where(CheckIn.placement_id == placement.id, CheckIn.latitude.is_not(None))
            .order_by(CheckIn.at.desc(), CheckIn.id.desc()).limit(1))
        if previous is not None:
            hours = max((now - clock.as_utc(previous.at)).total_seconds() / 3600, 1 / 3600)
            km = _km(previous.latitude, previous.longitude, latitude, longitude)
            flagged = km > 1 and km / hours > _setting("CAREERS_MAX_TRAVEL_KMH")
    entry = CheckIn(placement_id=placement.id, at=now, latitude=latitude, longitude=longitude, flagged=flagged)
    db.session.add(entry)
    db.session.flush()
    return entry


def recent_check_ins(placement: Placement, limit: int = 20) -> list[CheckIn]:
    return list(db.session.scalars(select(CheckIn).where(CheckIn.placement_id == placement.id)
                                   .order_by(CheckIn.at.desc(), CheckIn.id.desc()).limit(limit)))
