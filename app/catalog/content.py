"""Content sections of the catalogue: industry_fields, skill_levels, training_levels, professions."""
from __future__ import annotations

from sqlalchemy import select

from app.catalog.models import IndustryField, Profession, SkillLevel, TrainingLevel
from flask_babel import gettext as _

from app.core.content import Item, as_date, check_keys, section, upsert
from app.core.content_values import text, text_list
from app.extensions import db


@section("industry_fields", order=10)
def load_fields(items: list[Item]) -> int:
    check_keys(items)
    changed = 0
    for position, item in enumerate(items):
        item.require("name")
        changed += upsert(IndustryField, item, name=text(item, "name"), position=position)
    return changed


@section("skill_levels", order=11)
def load_skill_levels(items: list[Item]) -> int:
    check_keys(items)
    changed = 0
    for item in items:
        item.require("name", "grade")
        if not isinstance(item["grade"], int) or not 1 <= item["grade"] <= 5:
            raise item.error(_("“grade”必须是 1 到 5 的整数"))
        changed += upsert(SkillLevel, item, name=text(item, "name"), grade=item["grade"])
    return changed


@section("training_levels", order=12)
def load_training_levels(items: list[Item]) -> int:
    check_keys(items)
    db.session.flush()
    skills = {s.key: s.id for s in db.session.scalars(select(SkillLevel))}
    changed = 0
    for position, item in enumerate(items):
        item.require("name")
        skill = text(item, "skill_level")
        if skill and skill not in skills:
            raise item.error(_("未知的职业技能等级“%(key)s”", key=skill))
        changed += upsert(TrainingLevel, item, name=text(item, "name"), position=position,
                          skill_level_id=skills.get(skill) if skill else None)
    return changed


@section("professions", order=20)
def load_professions(items: list[Item]) -> int:
    check_keys(items)
    db.session.flush()
    fields = {f.key: f for f in db.session.scalars(select(IndustryField))}
    levels = {lv.key: lv for lv in db.session.scalars(select(TrainingLevel))}
    changed = 0
    for item in items:
        item.require("name")
        field = text(item, "field")
        if field and field not in fields:
            raise item.error(_("未知的产业领域“%(key)s”", key=field))
        wanted = text_list(item, "levels")
        for key in wanted:
            if key not in levels:
                raise item.error(_("未知的培养层级“%(key)s”", key=key))
        code = text(item, "code")
        changed += upsert(Profession, item, name=text(item, "name"), code=code or None,
                          field_id=fields[field].id if field else None,
                          is_integrated=bool(item.get("integrated", False)),
                          integrated_since=as_date(item, "integrated_since"),
                          description=text(item, "description"))
        db.session.flush()
        profession = db.session.scalar(select(Profession).where(Profession.key == item["key"]))
        new_levels = [levels[k] for k in wanted]
        if [lv.id for lv in profession.levels] != [lv.id for lv in new_levels]:
            profession.levels = new_levels
            changed = changed or 1
    return changed
