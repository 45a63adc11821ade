"""Who reaches an exam, when and from where: grants to courses and cohorts (班级) with their own windows, extra
time per student, the access code (考试口令) and the allowed networks (机房).

Courses and cohorts belong to the courses domain, which sits above exams in ``app.DOMAINS``: it registers an
:class:`AudienceSource` per kind here (app/courses/exam_audiences.py), so this module never imports it.
Services flush; the caller commits.
"""
from __future__ import annotations

import hmac
import ipaddress
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import insert, select

from app.core import clock, signals
from app.errors import Conflict, PermissionDenied, ValidationError
from app.exams import permissions
from app.exams.models import Exam, ExamAudience, ExamGrant
from app.extensions import db, limiter


class AudienceSource:
    """A kind of group an exam can be granted to. Subclasses live in the domain that owns the groups."""

    #: Stored in ExamAudience.kind.
    kind = ""
    label = ""

    def choices(self, user, exam) -> list[tuple[int, str]]:
        """The groups ``user`` may grant ``exam`` to, as ``(id, name)``."""
        raise NotImplementedError

    def members(self, target_id: int) -> list:
        """The learners (User rows) of one group."""
        raise NotImplementedError


#: kind -> source, filled by the domains that own the groups.
SOURCES: dict[str, AudienceSource] = {}


def register(source: AudienceSource) -> AudienceSource:
    SOURCES[source.kind] = source
    return source


def audiences(exam: Exam) -> list[ExamAudience]:
    return list(db.session.scalars(select(ExamAudience).where(ExamAudience.exam_id == exam.id)
                                   .order_by(ExamAudience.id)))


def _check_window(opens_at, closes_at) -> None:
    if opens_at and closes_at and clock.as_utc(closes_at) <= clock.as_utc(opens_at):
        raise ValidationError(_("结束时间必须晚于开始时间。"), details={"field": "closes_at"})


def _check_editable(exam: Exam, message: str) -> None:
    from app.exams.services import exam_started

    if exam_started(exam):
        raise Conflict(message)


def grant_audience(exam: Exam, kind: str, target_id: int, *, by, opens_at: datetime | None = None,
                   closes_at: datetime | None = None) -> tuple[ExamAudience, int, int]:
    """Grant the exam to a course or cohort chosen from ``choices`` (anything else is refused), with an optional
    window of its own. Every member gets a grant (existing grants keep their extra time) and the newly granted
    are told through ``exam_granted``. Members of another school are skipped (staff grant only their school).
    Returns ``(audience, newly granted, skipped)``. Granting again updates the window (until the first attempt)
    and adds members who joined since."""
    source = SOURCES.get(kind)
    if source is None:
        raise ValidationError(_("未知的授权对象类型。"))
    names = dict(source.choices(by, exam))
    if target_id not in names:
        raise PermissionDenied(_("所选对象不在您可授权的范围内，请从列表中选择。"))
    _check_window(opens_at, closes_at)
    audience = db.session.scalar(select(ExamAudience).where(ExamAudience.exam_id == exam.id,
                                                             ExamAudience.kind == kind,
                                                             ExamAudience.target_id == target_id))
    if audience is None:
        audience = ExamAudience(exam_id=exam.id, kind=kind, target_id=target_id, label=names[target_id][:200],
                                opens_at=opens_at, closes_at=closes_at)
        db.session.add(audience)
        db.session.flush()
    elif (clock.as_utc(audience.opens_at), clock.as_utc(audience.closes_at)) != (clock.as_utc(opens_at),
                                                                                  clock.as_utc(closes_at)):
        _check_editable(exam, _("已有考生开始作答，该班级的考试时间不能再修改。"))
        audience.opens_at, audience.closes_at = opens_at, closes_at
    members = source.members(target_id)
    allowed = permissions.grantable_students(by, exam, members)
    skipped = len(members) - len(allowed)
    have = {g.user_id: g for g in db.session.scalars(select(ExamGrant).where(
        ExamGrant.exam_id == exam.id, ExamGrant.user_id.in_([u.id for u in allowed])))} if allowed else {}
    new_ids = []
    for user in allowed:
        grant = have.get(user.id)
        if grant is None:
            new_ids.append(user.id)
        elif grant.audience_id is None and grant.audience is None:
            grant.audience_id = audience.id
    db.session.flush()
    if new_ids:  # one multi-row INSERT: a course of 2,000 learners is granted in one statement, not 2,000 objects
        db.session.execute(insert(ExamGrant.__table__),
                           [{"exam_id": exam.id, "user_id": uid, "audience_id": audience.id} for uid in new_ids])
        signals.exam_granted.send("exams", exam_id=exam.id, user_ids=new_ids)
    return audience, len(new_ids), skipped


def set_extra_time(exam: Exam, user_id: int, minutes: int) -> ExamGrant:
    """Extra minutes for one granted learner (an accommodation); applies to attempts started afterwards."""
    grant = db.session.scalar(select(ExamGrant).where(ExamGrant.exam_id == exam.id, ExamGrant.user_id == user_id))
    if grant is None:
        raise ValidationError(_("请从已授权的考生中选择。"), details={"field": "user_id"})
    if not 0 <= int(minutes) <= 24 * 60:
        raise ValidationError(_("延长时间必须在 0 到 1440 分钟之间。"), details={"field": "minutes"})
    grant.extra_minutes = int(minutes)
    db.session.flush()
    return grant


def parse_networks(text: str | None) -> list:
    """CIDR blocks (or single addresses), one per line or separated by commas; a bad line is named."""
    nets = []
    for raw in (text or "").replace(",", "\n").replace("，", "\n").splitlines():
        line = raw.strip()
        if not line:
            continue
        try:
            nets.append(ipaddress.ip_network(line, strict=False))
        except ValueError:
            raise ValidationError(_("“%(v)s”不是有效的 IP 地址段（例如 10.1.2.0/24）。", v=line),
                                  details={"field": "allowed_networks"}) from None
    return nets


def set_entry(exam: Exam, *, access_code: str | None, allowed_networks: str | None) -> Exam:
    """Set the access code and the allowed networks; refused once someone has started (they entered under the
    old rules)."""
    code = (access_code or "").strip() or None
    if code is not None and len(code) > 32:
        raise ValidationError(_("考试口令最多 32 个字符。"), details={"field": "access_code"})
    nets = parse_networks(allowed_networks)
    text = "\n".join(str(n) for n in nets)
    if (code, text) != (exam.access_code, exam.allowed_networks or ""):
        _check_editable(exam, _("已有考生开始作答，考试口令和允许的 IP 地址段不能再修改。"))
    exam.access_code, exam.allowed_networks = code, text
    db.session.flush()
    return exam


#: Wrong access codes a user may type before further guesses are refused for a while.
CODE_GUESSES = "20 per 15 minutes"


def _code_limit():
    from limits import parse

    return parse(CODE_GUESSES)


def check_entry(exam: Exam, user, *, code: str | None, ip: str | None) -> None:
    """Refuse a start from outside the allowed networks or without the right access code (wrong codes count
    toward a per-user limit, shared by every exam, so codes cannot be guessed)."""
    if exam.allowed_networks:
        nets = parse_networks(exam.allowed_networks)
        try:
            address = ipaddress.ip_address(ip or "")
        except ValueError:
            address = None
        if address is None or not any(address.version == n.version and address in n for n in nets):
            raise PermissionDenied(_("这场考试只能在指定的机房（IP 地址段 %(nets)s）参加，您当前的地址 %(ip)s "
                                     "不在其中。", nets="、".join(str(n) for n in nets), ip=ip or "-"))
    if exam.access_code:
        store, limit, key = limiter.limiter, _code_limit(), str(user.id)
        if store is not None and not store.test(limit, "exam-code", key):
            raise Conflict(_("考试口令输错次数过多，请 15 分钟后再试。"), details={"field": "access_code"})
        if not hmac.compare_digest((code or "").strip().encode(), exam.access_code.encode()):
            if store is not None:
                store.hit(limit, "exam-code", key)
            raise ValidationError(_("考试口令不正确，请向监考老师确认。") if code else _("请输入考试口令。"),
                                  details={"field": "access_code"})


@dataclass
class Window:
    opens_at: datetime | None
    closes_at: datetime | None


def window_for(exam: Exam, grant: ExamGrant | None) -> Window:
    """The window that applies to a learner: their course/cohort's, falling back to the exam's per end."""
    audience = grant.audience if grant is not None and grant.audience_id is not None else None
    if audience is None:
        return Window(exam.opens_at, exam.closes_at)
    return Window(audience.opens_at or exam.opens_at, audience.closes_at or exam.closes_at)


def window_state(window: Window, now: datetime | None = None) -> str:
    now = now or clock.now()
    if window.opens_at and now < clock.as_utc(window.opens_at):
        return "not_open"
    if window.closes_at and now >= clock.as_utc(window.closes_at):
        return "closed"
    return "open"
