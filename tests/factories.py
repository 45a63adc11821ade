"""Test data through the real services, so that factories obey the same rules as the application."""
from __future__ import annotations

import itertools

from app.auth import services as auth
from app.orgs import services as orgs

_seq = itertools.count(1)

#: Roles that belong to a school or an enterprise by default.
SCHOOL_ROLES = {"school_admin", "teacher", "student"}
ENTERPRISE_ROLES = {"mentor", "enterprise_hr"}


def school(**fields):
    n = next(_seq)
    values = dict(key=f"school-{n}", name=f"测试技师学院{n}", kind="technician_college", province="广东省", city="广州市")
    values.update(fields)
    return orgs.save_school(None, **values)


def enterprise(**fields):
    n = next(_seq)
    values = dict(key=f"enterprise-{n}", name=f"测试企业{n}", industry="汽车制造", province="广东省")
    values.update(fields)
    return orgs.save_enterprise(None, **values)


def user(role: str = "teacher", *, username: str | None = None, password: str | None = None, school_=None,
         enterprise_=None, roles=None, **fields):
    from tests.conftest import PASSWORD

    n = next(_seq)
    roles = roles or [role]
    # Zero-padded so that username order is creation order (student00009 before student00010): pages and
    # services that sort by username (group forming, lists) then behave the same whatever ran before.
    if school_ is None and enterprise_ is None:
        if SCHOOL_ROLES & set(roles):
            school_ = school()
        elif ENTERPRISE_ROLES & set(roles):
            enterprise_ = enterprise()
    return auth.create_user(username=username or f"{role.replace('_', '')}{n:05d}", roles=roles,
                            full_name=fields.pop("full_name", f"测试用户{n}"), school=school_,
                            enterprise=enterprise_, password=PASSWORD if password is None else password, **fields)
