"""Catalogue queries and edits."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.catalog.models import IndustryField, Profession, TrainingLevel
from app.core.i18n import by_pinyin
from app.errors import Conflict, NotFound, ValidationError, get_or_raise
from app.extensions import db


def get_profession(profession_id: int) -> Profession:
    return get_or_raise(Profession, profession_id, _("专业不存在。"))


def profession_by_key(key: str) -> Profession:
    profession = db.session.scalar(select(Profession).where(Profession.key == key))
    if profession is None:
        raise NotFound(_("未知专业：%(key)s", key=key))
    return profession


def fields() -> list[IndustryField]:
    return list(db.session.scalars(select(IndustryField).order_by(IndustryField.position)))


def profession_choices() -> list[tuple[int, str]]:
    """(id, name) of every profession for drop-downs, ordered by the pinyin of the name (光伏 < 健康 < 信息)."""
    rows = db.session.execute(select(Profession.id, Profession.name))
    return by_pinyin([(pid, name) for pid, name in rows], key=lambda row: row[1])


def training_levels() -> list[TrainingLevel]:
    return list(db.session.scalars(select(TrainingLevel).order_by(TrainingLevel.position)))


def search_professions(*, q: str = "", field_id: int | None = None, integrated: str = ""):
    stmt = select(Profession).order_by(Profession.field_id, Profession.name)
    if q:
        stmt = stmt.where(Profession.name.ilike(f"%{q.strip()}%"))
    if field_id:
        stmt = stmt.where(Profession.field_id == field_id)
    if integrated in ("0", "1"):
        stmt = stmt.where(Profession.is_integrated.is_(integrated == "1"))
    return stmt


def count_professions() -> dict[str, int]:
    """All professions and the integrated ones (one statement: the home pages count their statements)."""
    total, integrated = db.session.execute(
        select(func.count(Profession.id), func.count(Profession.id).filter(Profession.is_integrated.is_(True)))).one()
    return {"professions": total or 0, "integrated_professions": integrated or 0}


def professions_by_field() -> list[tuple[IndustryField | None, int]]:
    rows = db.session.execute(select(Profession.field_id, func.count()).group_by(Profession.field_id)).all()
    counts = dict(rows)
    return [(f, counts.get(f.id, 0)) for f in fields()]


def save_profession(profession: Profession | None, *, key: str, name: str, code: str | None, field_id: int | None,
                    level_ids: list[int], is_integrated: bool, integrated_since=None, description: str = "") -> Profession:
    """Create (profession=None) or update a profession. ``code`` stays empty unless the official one is known."""
    from app.orgs.services import KEY_RE

    key = (key or "").strip().lower()
    if not KEY_RE.match(key):
        raise ValidationError(_("代码只能包含小写字母、数字和连字符，长度 2–64。"))
    other = db.session.scalar(select(Profession).where(Profession.key == key))
    if other is not None and other is not profession:
        raise Conflict(_("代码 %(key)s 已被使用。", key=key))
    if not (name or "").strip():
        raise ValidationError(_("专业名称不能为空。"))
    if profession is None:
        profession = Profession(key=key)
        db.session.add(profession)
    profession.key = key
    profession.name = name.strip()
    profession.code = (code or "").strip() or None
    profession.field_id = field_id or None
    profession.levels = [lv for lv in training_levels() if lv.id in set(level_ids or [])]
    profession.is_integrated = bool(is_integrated)
    profession.integrated_since = integrated_since if is_integrated else None
    profession.description = (description or "").strip()
    db.session.flush()
    return profession
