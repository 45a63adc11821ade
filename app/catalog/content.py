"""Content sections of the catalogue: industry_fields, skill_levels, training_levels, professions."""
from __future__ import annotations

from sqlalchemy import select

from app.catalog.models import IndustryField, Profession, SkillLevel, TrainingLevel
from app.core.content import Item, as_date, check_keys, section, upsert
from app.extensions import db


@section("industry_fields", order=10)
def load_fields(items: list[Item]) -> int:
    check_keys(items)
    changed = 0
    for position, item in enumerate(items):
        item.require("name")
        changed += upsert(IndustryField, item, name=item["name"], position=position)
    return changed


@section("skill_levels", order=11)
def load_skill_levels(items: list[Item]) -> int:
    check_keys(items)
    changed = 0
    for item in items:
        item.require("name", "grade")
        if not isinstance(item["grade"], int) or not 1 <= item["grade"] <= 5:
            raise item.error("'grade' must be a whole number from 1 to 5")
        changed += upsert(SkillLevel, item, name=item["name"], grade=item["grade"])
    return changed


@section("training_levels", order=12)
def load_training_levels(items: list[Item]) -> int:
    check_keys(items)
    db.session.flush()
    skills = {s.key: s.id for s in db.session.scalars(select(SkillLevel))}
    changed = 0
    for position, item in enumerate(items):
        item.require("name")
        skill = item.get("skill_level")
        if skill and skill not in skills:
            raise item.error(f"unknown skill_level '{skill}'")
        changed += upsert(TrainingLevel, item, name=item["name"], position=position,
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
        field = item.get("field")
        if field and field not in fields:
            raise item.error(f"unknown industry field '{field}'")
        wanted = item.get("levels") or []
        for key in wanted:
            if key not in levels:
                raise item.error(f"unknown training level '{key}'")
        code = item.get("code")
        changed += upsert(Profession, item, name=item["name"], code=str(code) if code else None,
                          field_id=fields[field].id if field else None,
                          is_integrated=bool(item.get("integrated", False)),
                          integrated_since=as_date(item, "integrated_since"),
                          description=item.get("description") or "")
        db.session.flush()
        profession = db.session.scalar(select(Profession).where(Profession.key == item["key"]))
        new_levels = [levels[k] for k in wanted]
        if [lv.id for lv in profession.levels] != [lv.id for lv in new_levels]:
            profession.levels = new_levels
            changed = changed or 1
    return changed
