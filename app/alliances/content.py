"""Content section ``alliances``: alliances with their committees (专指委) and member organisations.

A member is ``{role, school: <key>}``, ``{role, enterprise: <key>}`` or ``{role, name: <organisation>}`` for an
organisation that is not on the platform (associations, institutes, most companies of the published lists).
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from app.alliances import services
from app.alliances.models import COMMITTEE_KINDS, COMMITTEE_MEMBER_ROLES, Alliance
from app.core.content import Item, as_date, check_keys, section, upsert
from app.core.content_values import text, text_list
from app.errors import ValidationError
from app.extensions import db


@section("alliances", order=60)
def load_alliances(items: list[Item]) -> int:
    from app.catalog.models import IndustryField, Profession
    from app.orgs.models import Enterprise, School

    check_keys(items)
    fields = {f.key: f for f in db.session.scalars(select(IndustryField))}
    professions = {p.key: p for p in db.session.scalars(select(Profession))}
    schools = {s.key: s for s in db.session.scalars(select(School))}
    enterprises = {e.key: e for e in db.session.scalars(select(Enterprise))}
    changed = 0
    for item in items:
        item.require("name")
        changed += upsert(Alliance, item, name=text(item, "name"), description=text(item, "description"),
                          founded_on=as_date(item, "founded_on"))
        db.session.flush()
        alliance = db.session.scalar(select(Alliance).where(Alliance.key == item["key"]))
        committees = item.get("committees") or []
        if not isinstance(committees, list):
            raise item.error(_("“committees”必须是列表"))
        check_keys(committees)
        for position, entry in enumerate(committees):
            changed += _load_committee(entry, alliance, position, fields, professions, schools, enterprises)
    return changed


def _load_committee(entry: Item, alliance, position, fields, professions, schools, enterprises) -> int:
    entry.require("name")
    kind = text(entry, "kind", "guidance")
    if kind not in COMMITTEE_KINDS:
        raise entry.error(_("未知的委员会类型“%(kind)s”", kind=kind))
    field = None
    if entry.get("field"):
        field = fields.get(text(entry, "field"))
        if field is None:
            raise entry.error(_("未知的产业领域：%(key)s", key=entry["field"]))
    chosen = []
    for key in text_list(entry, "professions"):
        if key not in professions:
            raise entry.error(_("未知的专业：%(key)s", key=key))
        chosen.append(professions[key])
    rows = []
    for member in entry.get("members") or []:
        if not isinstance(member, Item):
            raise entry.error(_("成员单位必须写成 {role: …, name: …}"))
        role = text(member, "role")
        if role not in COMMITTEE_MEMBER_ROLES:
            raise member.error(_("未知的成员单位类别“%(role)s”", role=role))
        row = {"role": role, "name": text(member, "name")}
        if member.get("school"):
            row["school"] = schools.get(text(member, "school"))
            if row["school"] is None:
                raise member.error(_("未知学校：%(key)s", key=member["school"]))
        if member.get("enterprise"):
            row["enterprise"] = enterprises.get(text(member, "enterprise"))
            if row["enterprise"] is None:
                raise member.error(_("未知企业：%(key)s", key=member["enterprise"]))
        rows.append(row)
    existing = services.committee_by_key(entry["key"])
    before = _snapshot(existing)
    try:
        committee = services.save_committee(
            existing, key=entry["key"], alliance=alliance, name=text(entry, "name"), kind=kind,
            industry_field=field, professions=chosen, short_name=text(entry, "short_name"), position=position,
            description=text(entry, "description"), criteria=entry.get("criteria") or [])
        members_changed = services.set_committee_members(committee, rows)
    except ValidationError as exc:
        raise entry.error(exc.message) from None
    return 1 if (members_changed or before != _snapshot(committee)) else 0


def _snapshot(committee) -> tuple | None:
    if committee is None:
        return None
    return (committee.alliance_id, committee.name, committee.kind, committee.industry_field_id,
            committee.short_name, committee.position, committee.description, list(committee.criteria or []),
            sorted(p.id for p in committee.professions))


@section("plans", order=61)
def load_plans(items: list[Item]) -> int:
    """Plans: ``{key, title, owner, year, goals, tasks: [{key, title, department, milestones: {1: text, …}}]}``."""
    from app.alliances.models import Milestone, Plan, PlanTask

    check_keys(items)
    changed = 0
    for item in items:
        item.require("title", "year")
        if not isinstance(item["year"], int):
            raise item.error(_("“year”必须是年份数字"))
        changed += upsert(Plan, item, title=text(item, "title"), owner_name=text(item, "owner"),
                          year=item["year"], goals=text(item, "goals"))
        db.session.flush()
        plan = db.session.scalar(select(Plan).where(Plan.key == item["key"]))
        tasks = item.get("tasks") or []
        check_keys(tasks)
        for position, entry in enumerate(tasks):
            entry.require("title")
            task = db.session.scalar(select(PlanTask).where(PlanTask.plan_id == plan.id, PlanTask.key == entry["key"]))
            values = dict(title=text(entry, "title"), department=text(entry, "department"), position=position)
            if task is None:
                task = PlanTask(plan_id=plan.id, key=entry["key"], **values)
                db.session.add(task)
                changed += 1
            elif any(getattr(task, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(task, k, v)
                changed += 1
            db.session.flush()
            milestones = entry.get("milestones") or {}
            if not isinstance(milestones, dict) or any(q not in (1, 2, 3, 4) for q in milestones):
                raise entry.error(_("“milestones”须按季度 1–4 填写"))
            current = {m.quarter: m for m in db.session.scalars(select(Milestone).where(Milestone.task_id == task.id))}
            for quarter, planned in milestones.items():
                if quarter not in current:
                    db.session.add(Milestone(task_id=task.id, quarter=quarter, planned=str(planned)))
                    changed += 1
                elif current[quarter].planned != str(planned):
                    current[quarter].planned = str(planned)
                    changed += 1
    return changed
