"""Alliances, committees and demonstration bases: every write flushes, the caller (a view, the CLI, the content
loader) commits. Reads return plain rows or small dicts the templates and the JSON API share."""
from __future__ import annotations

from collections import defaultdict

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.alliances.models import (
    COMMITTEE_KINDS,
    COMMITTEE_MEMBER_ROLES,
    Alliance,
    AllianceMember,
    AllianceSecretary,
    Committee,
    CommitteeExpert,
    CommitteeManager,
    CommitteeMember,
)
from app.errors import ValidationError, get_or_raise
from app.extensions import db


# ------------------------------------------------------------------------------------------------ alliances
def get_alliance(alliance_id: int) -> Alliance:
    """The alliance or NotFound."""
    return get_or_raise(Alliance, alliance_id, _("联盟不存在。"))


def alliances() -> list[Alliance]:
    """All alliances by name."""
    return list(db.session.scalars(select(Alliance).order_by(Alliance.name)))


def add_alliance_member(alliance: Alliance, *, role: str, school=None, enterprise=None, joined_on=None):
    """Add a school or an enterprise to the alliance as 理事单位 ``council`` or 成员单位 ``member``; adding it
    again changes its role and date."""
    if role not in ("council", "member"):
        raise ValidationError(_("未知的成员类别。"))
    if (school is None) == (enterprise is None):
        raise ValidationError(_("请选择一所学校或一家企业。"))
    column, org = (AllianceMember.school_id, school) if school is not None else (AllianceMember.enterprise_id,
                                                                                 enterprise)
    member = db.session.scalar(select(AllianceMember).where(AllianceMember.alliance_id == alliance.id,
                                                            column == org.id))
    if member is None:
        member = AllianceMember(alliance_id=alliance.id, school_id=getattr(school, "id", None),
                                enterprise_id=getattr(enterprise, "id", None))
        db.session.add(member)
    member.role, member.joined_on = role, joined_on
    db.session.flush()
    return member


def alliance_members(alliance: Alliance) -> list[AllianceMember]:
    """Members, 理事单位 first, then by join date."""
    return list(db.session.scalars(select(AllianceMember).where(AllianceMember.alliance_id == alliance.id)
                                   .order_by(AllianceMember.role, AllianceMember.joined_on, AllianceMember.id)))


def add_secretary(alliance: Alliance, user) -> None:
    """Make ``user`` part of the alliance's secretariat (idempotent)."""
    if not is_secretary(user, alliance.id):
        db.session.add(AllianceSecretary(alliance_id=alliance.id, user_id=user.id))
        db.session.flush()


def is_secretary(user, alliance_id: int) -> bool:
    return db.session.scalar(select(AllianceSecretary.id).where(
        AllianceSecretary.alliance_id == alliance_id, AllianceSecretary.user_id == user.id)) is not None


# ------------------------------------------------------------------------------------------------ committees
def get_committee(committee_id: int) -> Committee:
    """The committee or NotFound."""
    return get_or_raise(Committee, committee_id, _("委员会不存在。"))


def committee_by_key(key: str) -> Committee | None:
    return db.session.scalar(select(Committee).where(Committee.key == key))


def save_committee(committee: Committee | None, *, key: str, alliance: Alliance, name: str, kind: str = "guidance",
                   industry_field=None, professions=(), short_name: str = "", position: int = 0,
                   description: str = "", criteria: list | None = None) -> Committee:
    """Create or update a committee; ``criteria`` (the base rubric) is checked by :func:`check_criteria`."""
    if kind not in COMMITTEE_KINDS:
        raise ValidationError(_("未知的委员会类型。"))
    if not name.strip():
        raise ValidationError(_("请填写委员会名称。"))
    if committee is None:
        committee = Committee(key=key)
        db.session.add(committee)
    committee.alliance_id, committee.name, committee.kind = alliance.id, name.strip(), kind
    committee.industry_field_id = getattr(industry_field, "id", None)
    committee.short_name, committee.position, committee.description = short_name, position, description
    committee.criteria = check_criteria(criteria or [])
    committee.professions = list(professions)
    db.session.flush()
    return committee


def check_criteria(criteria: list) -> list[dict]:
    """Normalise a rubric: ``[{"name", "max_score" (1–100), "evidence" (bool)}]``; ValidationError otherwise."""
    out = []
    for n, row in enumerate(criteria, 1):
        name = str((row or {}).get("name") or "").strip()
        max_score = (row or {}).get("max_score")
        if not name:
            raise ValidationError(_("第 %(n)s 条评审标准缺少名称。", n=n))
        if not isinstance(max_score, int) or isinstance(max_score, bool) or not 1 <= max_score <= 100:
            raise ValidationError(_("第 %(n)s 条评审标准的满分须为 1 到 100 的整数。", n=n))
        out.append({"name": name, "max_score": max_score, "evidence": bool(row.get("evidence"))})
    return out


def set_committee_members(committee: Committee, rows: list[dict]) -> int:
    """Replace the committee's member organisations with ``rows`` (``{"role", "school"|"enterprise"|"name"}``,
    in order). Returns 1 when anything changed (the content loader counts changes)."""
    wanted = []
    for position, row in enumerate(rows):
        if row.get("role") not in COMMITTEE_MEMBER_ROLES:
            raise ValidationError(_("未知的成员单位类别。"))
        school, enterprise = row.get("school"), row.get("enterprise")
        name = "" if (school or enterprise) else str(row.get("name") or "").strip()
        if sum(bool(x) for x in (school, enterprise, name)) != 1:
            raise ValidationError(_("成员单位须是一所学校、一家企业或一个单位名称（三选一）。"))
        wanted.append((row["role"], getattr(school, "id", None), getattr(enterprise, "id", None), name, position))
    current = db.session.scalars(select(CommitteeMember).where(CommitteeMember.committee_id == committee.id)
                                 .order_by(CommitteeMember.position, CommitteeMember.id)).all()
    if [(m.role, m.school_id, m.enterprise_id, m.organisation_name, m.position) for m in current] == wanted:
        return 0
    for member in current:
        db.session.delete(member)
    db.session.flush()
    for role, school_id, enterprise_id, name, position in wanted:
        db.session.add(CommitteeMember(committee_id=committee.id, role=role, school_id=school_id,
                                       enterprise_id=enterprise_id, organisation_name=name, position=position))
    db.session.flush()
    return 1


def add_committee_member(committee: Committee, *, role: str, school=None, enterprise=None, name: str = ""):
    """Add one member organisation at the end of its role group."""
    if role not in COMMITTEE_MEMBER_ROLES:
        raise ValidationError(_("未知的成员单位类别。"))
    name = "" if (school or enterprise) else name.strip()
    if sum(bool(x) for x in (school, enterprise, name)) != 1:
        raise ValidationError(_("成员单位须是一所学校、一家企业或一个单位名称（三选一）。"))
    last = db.session.scalar(select(func.max(CommitteeMember.position))
                             .where(CommitteeMember.committee_id == committee.id)) or 0
    member = CommitteeMember(committee_id=committee.id, role=role, school_id=getattr(school, "id", None),
                             enterprise_id=getattr(enterprise, "id", None), organisation_name=name,
                             position=last + 1)
    db.session.add(member)
    db.session.flush()
    return member


def committee_members_by_role(committee: Committee) -> list[tuple[str, list[CommitteeMember]]]:
    """``[(role, members)]`` in the order 主任单位, 副主任单位, 产业…, 参与单位, 技能大师工作室 (empty roles left
    out). One statement, whatever the number of members."""
    groups: dict[str, list] = defaultdict(list)
    for member in db.session.scalars(select(CommitteeMember).where(CommitteeMember.committee_id == committee.id)
                                     .order_by(CommitteeMember.position, CommitteeMember.id)):
        groups[member.role].append(member)
    return [(role, groups[role]) for role in COMMITTEE_MEMBER_ROLES if groups[role]]


def add_expert(committee: Committee, user, title: str = "") -> CommitteeExpert:
    """Put ``user`` into the committee's expert group (idempotent)."""
    expert = db.session.scalar(select(CommitteeExpert).where(CommitteeExpert.committee_id == committee.id,
                                                             CommitteeExpert.user_id == user.id))
    if expert is None:
        expert = CommitteeExpert(committee_id=committee.id, user_id=user.id)
        db.session.add(expert)
    expert.title = title
    db.session.flush()
    return expert


def add_manager(committee: Committee, user) -> None:
    """Let ``user`` manage the committee for its chair organisation (idempotent)."""
    if not is_manager(user, committee.id):
        db.session.add(CommitteeManager(committee_id=committee.id, user_id=user.id))
        db.session.flush()


def is_expert(user, committee_id: int) -> bool:
    return db.session.scalar(select(CommitteeExpert.id).where(
        CommitteeExpert.committee_id == committee_id, CommitteeExpert.user_id == user.id)) is not None


def is_manager(user, committee_id: int) -> bool:
    return db.session.scalar(select(CommitteeManager.id).where(
        CommitteeManager.committee_id == committee_id, CommitteeManager.user_id == user.id)) is not None


def experts(committee: Committee) -> list[CommitteeExpert]:
    """The expert group, by name (one statement)."""
    from app.auth.models import User

    return list(db.session.scalars(select(CommitteeExpert).join(User, User.id == CommitteeExpert.user_id)
                                   .where(CommitteeExpert.committee_id == committee.id)
                                   .order_by(User.full_name, User.id)))


def committee_summaries(field_id: int | None = None) -> list[dict]:
    """Every committee with its field, lead organisation (the first 主任单位) and member count, in a fixed
    number of statements: ``{"committee", "name", "industry_field", "lead_organisation", "member_count"}``."""
    query = select(Committee).order_by(Committee.position, Committee.id)
    if field_id is not None:
        query = query.where(Committee.industry_field_id == field_id)
    committees = list(db.session.scalars(query))
    ids = [c.id for c in committees]
    counts = dict(db.session.execute(select(CommitteeMember.committee_id, func.count())
                                     .where(CommitteeMember.committee_id.in_(ids))
                                     .group_by(CommitteeMember.committee_id)).all()) if ids else {}
    leads: dict[int, str] = {}
    if ids:
        for member in db.session.scalars(select(CommitteeMember).where(
                CommitteeMember.committee_id.in_(ids), CommitteeMember.role == "chair")
                .order_by(CommitteeMember.position, CommitteeMember.id)):
            leads.setdefault(member.committee_id, member.name)
    return [{"committee": c, "name": c.name, "industry_field": c.industry_field.name if c.industry_field else "",
             "lead_organisation": leads.get(c.id, ""), "member_count": counts.get(c.id, 0)} for c in committees]

