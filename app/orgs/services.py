"""Schools, enterprises and partnerships: the public operations (they flush; callers commit)."""
from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.core.i18n import by_pinyin
from app.errors import Conflict, NotFound, ValidationError, get_or_raise
from app.extensions import db
from app.orgs.models import Enterprise, Partnership, PartnershipKind, School, SchoolKind

KEY_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")
SCHOOL_FIELDS = ("name", "kind", "province", "city", "integrated_since")
ENTERPRISE_FIELDS = ("name", "industry", "province", "city")


def _check_key(model, key: str, *, current=None) -> str:
    key = (key or "").strip().lower()
    if not KEY_RE.match(key):
        raise ValidationError(_("代码只能包含小写字母、数字和连字符，长度 2–64。"))
    other = db.session.scalar(select(model).where(model.key == key))
    if other is not None and other is not current:
        raise Conflict(_("代码 %(key)s 已被使用。", key=key))
    return key


def _check_version(obj, expected: int | None) -> None:
    if expected is not None and expected != obj.version:
        raise Conflict(_("该记录已被其他人修改，请刷新后重试。"))


def get_school(school_id: int) -> School:
    return get_or_raise(School, school_id, _("学校不存在。"))


def school_by_key(key: str) -> School:
    school = db.session.scalar(select(School).where(School.key == key.strip().lower()))
    if school is None:
        raise NotFound(_("未知学校：%(key)s", key=key))
    return school


def all_schools() -> list[School]:
    """Active schools, by the pinyin of their names (for drop-downs)."""
    return by_pinyin(db.session.scalars(select(School).where(School.is_active.is_(True))), key=lambda s: s.name)


def _save_organisation(model, obj, *, key: str, expected_version: int | None, field_names, fields):
    """Create (obj=None) or update a school or enterprise: key checked, optimistic version, fields trimmed."""
    if obj is None:
        obj = model(key=_check_key(model, key))
        db.session.add(obj)
    else:
        _check_version(obj, expected_version)
        obj.key = _check_key(model, key, current=obj)
        obj.version += 1
    for name in field_names:
        if name in fields:
            value = fields[name]
            setattr(obj, name, value.strip() if isinstance(value, str) else value)
    db.session.flush()
    return obj


def _set_active(obj, active: bool):
    """Deactivate or reactivate a school or enterprise (records are never deleted)."""
    obj.is_active = active
    obj.version += 1
    db.session.flush()
    return obj


def save_school(school: School | None, *, key: str, expected_version: int | None = None, **fields) -> School:
    """Create (school=None) or update a school."""
    if fields.get("kind") not in SchoolKind.__members__:
        raise ValidationError(_("未知的学校类型。"))
    if not (fields.get("name") or "").strip() or not (fields.get("province") or "").strip():
        raise ValidationError(_("学校名称和省份不能为空。"))
    return _save_organisation(School, school, key=key, expected_version=expected_version,
                              field_names=SCHOOL_FIELDS, fields=fields)


def set_school_active(school: School, active: bool) -> School:
    """Deactivate or reactivate a school."""
    return _set_active(school, active)


def search_schools(*, q: str = "", province: str = "", kind: str = "", active: str = "1"):
    stmt = select(School).order_by(School.province, School.name)
    if q:
        stmt = stmt.where(School.name.ilike(f"%{q.strip()}%") | School.key.ilike(f"%{q.strip()}%"))
    if province:
        stmt = stmt.where(School.province == province)
    if kind:
        stmt = stmt.where(School.kind == kind)
    if active in ("0", "1"):
        stmt = stmt.where(School.is_active.is_(active == "1"))
    return stmt


def provinces() -> list[str]:
    names = set(db.session.scalars(select(School.province).distinct()))
    names |= set(db.session.scalars(select(Enterprise.province).distinct()))
    return sorted(n for n in names if n)


def get_enterprise(enterprise_id: int) -> Enterprise:
    return get_or_raise(Enterprise, enterprise_id, _("企业不存在。"))


def enterprise_by_key(key: str) -> Enterprise:
    enterprise = db.session.scalar(select(Enterprise).where(Enterprise.key == key.strip().lower()))
    if enterprise is None:
        raise NotFound(_("未知企业：%(key)s", key=key))
    return enterprise


def all_enterprises() -> list[Enterprise]:
    """Active enterprises, by the pinyin of their names (for drop-downs)."""
    return by_pinyin(db.session.scalars(select(Enterprise).where(Enterprise.is_active.is_(True))),
                     key=lambda e: e.name)


def save_enterprise(enterprise: Enterprise | None, *, key: str, expected_version: int | None = None,
                    **fields) -> Enterprise:
    """Create (enterprise=None) or update an enterprise."""
    if not (fields.get("name") or "").strip() or not (fields.get("province") or "").strip():
        raise ValidationError(_("企业名称和省份不能为空。"))
    return _save_organisation(Enterprise, enterprise, key=key, expected_version=expected_version,
                              field_names=ENTERPRISE_FIELDS, fields=fields)


def set_enterprise_active(enterprise: Enterprise, active: bool) -> Enterprise:
    """Deactivate or reactivate an enterprise."""
    return _set_active(enterprise, active)


def search_enterprises(*, q: str = "", province: str = "", active: str = "1"):
    stmt = select(Enterprise).order_by(Enterprise.province, Enterprise.name)
    if q:
        stmt = stmt.where(Enterprise.name.ilike(f"%{q.strip()}%") | Enterprise.industry.ilike(f"%{q.strip()}%"))
    if province:
        stmt = stmt.where(Enterprise.province == province)
    if active in ("0", "1"):
        stmt = stmt.where(Enterprise.is_active.is_(active == "1"))
    return stmt


def add_partnership(school: School, enterprise: Enterprise, kind: str, since=None) -> Partnership:
    """Record a 校企合作 of ``kind``. The same school, enterprise and kind again is refused (409): it exists."""
    if kind not in PartnershipKind.__members__:
        raise ValidationError(_("未知的合作形式。"))
    existing = db.session.scalar(select(Partnership.id).where(
        Partnership.school_id == school.id, Partnership.enterprise_id == enterprise.id, Partnership.kind == kind))
    if existing is not None:
        raise Conflict(_("该校企合作已存在：%(school)s 与 %(enterprise)s 已有这种合作形式。", school=school.name,
                         enterprise=enterprise.name))
    partnership = Partnership(school=school, enterprise=enterprise, kind=kind, since=since)
    db.session.add(partnership)
    db.session.flush()
    return partnership


def remove_partnership(partnership: Partnership) -> None:
    db.session.delete(partnership)
    db.session.flush()


def partnerships_of_school(school: School) -> list[Partnership]:
    return list(db.session.scalars(select(Partnership).where(Partnership.school_id == school.id)
                                   .order_by(Partnership.since)))


def partnerships_of_enterprise(enterprise: Enterprise) -> list[Partnership]:
    return list(db.session.scalars(select(Partnership).where(Partnership.enterprise_id == enterprise.id)
                                   .order_by(Partnership.since)))


def count_schools() -> dict[str, int]:
    total = db.session.scalar(select(func.count()).select_from(School).where(School.is_active.is_(True))) or 0
    integrated = db.session.scalar(select(func.count()).select_from(School).where(
        School.is_active.is_(True), School.integrated_since.is_not(None))) or 0
    enterprises = db.session.scalar(select(func.count()).select_from(Enterprise)
                                    .where(Enterprise.is_active.is_(True))) or 0
    return {"schools": total, "integrated_schools": integrated, "enterprises": enterprises}
