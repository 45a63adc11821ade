"""Content sections: schools, enterprises, partnerships."""
from __future__ import annotations

from sqlalchemy import select

from flask_babel import gettext as _

from app.core.content import Item, as_date, check_keys, section, upsert
from app.core.content_values import text
from app.extensions import db
from app.orgs.models import Enterprise, Partnership, PartnershipKind, School, SchoolKind


@section("schools", order=30)
def load_schools(items: list[Item]) -> int:
    check_keys(items)
    changed = 0
    for item in items:
        item.require("name", "kind", "province")
        if text(item, "kind") not in SchoolKind.__members__:
            raise item.error(_("未知的学校类型“%(kind)s”（可用：%(known)s）", kind=item["kind"],
                               known=", ".join(SchoolKind.__members__)))
        changed += upsert(School, item, name=text(item, "name"), kind=item["kind"], province=text(item, "province"),
                          city=text(item, "city"), integrated_since=as_date(item, "integrated_since"))
    return changed


@section("enterprises", order=31)
def load_enterprises(items: list[Item]) -> int:
    check_keys(items)
    changed = 0
    for item in items:
        item.require("name", "province")
        changed += upsert(Enterprise, item, name=text(item, "name"), industry=text(item, "industry"),
                          province=text(item, "province"), city=text(item, "city"))
    return changed


@section("partnerships", order=32)
def load_partnerships(items: list[Item]) -> int:
    db.session.flush()
    schools = {s.key: s for s in db.session.scalars(select(School))}
    enterprises = {e.key: e for e in db.session.scalars(select(Enterprise))}
    changed = 0
    for item in items:
        item.require("school", "enterprise", "kind")
        school, enterprise = schools.get(text(item, "school")), enterprises.get(text(item, "enterprise"))
        if school is None:
            raise item.error(_("未知学校：%(key)s", key=item["school"]))
        if enterprise is None:
            raise item.error(_("未知企业：%(key)s", key=item["enterprise"]))
        if text(item, "kind") not in PartnershipKind.__members__:
            raise item.error(_("未知的合作形式“%(kind)s”", kind=item["kind"]))
        existing = db.session.scalar(select(Partnership).where(
            Partnership.school_id == school.id, Partnership.enterprise_id == enterprise.id,
            Partnership.kind == item["kind"]))
        since = as_date(item, "since")
        if existing is None:
            db.session.add(Partnership(school=school, enterprise=enterprise, kind=item["kind"], since=since))
            changed += 1
        elif existing.since != since:
            existing.since = since
            changed += 1
    return changed
