"""Demo accounts for ``flask demo seed``: one per role, all with the documented demo password."""
from __future__ import annotations

from config import DEMO_PASSWORD

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.auth import services
from app.core.content import demo_step

DEMO_SCHOOL = "demo-technician-college"
DEMO_ENTERPRISE = "demo-auto-group"

#: username, roles, full name, organisation kind.
DEMO_USERS = [
    ("admin", ["platform_admin"], "平台管理员", None),
    ("schooladmin", ["school_admin"], "王校管", "school"),
    ("reviewer", ["reviewer"], "李审核", None),
    ("teacher", ["teacher"], "张老师", "school"),
    ("student", ["student"], "刘同学", "school"),
    ("mentor", ["mentor"], "陈师傅", "enterprise"),
]


@demo_step(10, _l("演示账号"))
def seed_demo_users() -> str:
    from app.orgs import services as orgs

    school = orgs.school_by_key(DEMO_SCHOOL)
    enterprise = orgs.enterprise_by_key(DEMO_ENTERPRISE)
    created = 0
    for username, roles, full_name, org in DEMO_USERS:
        user = services.find_user(username)
        if user is None:
            services.create_user(username=username, roles=roles, full_name=full_name, password=DEMO_PASSWORD,
                                 school=school if org == "school" else None,
                                 enterprise=enterprise if org == "enterprise" else None)
            created += 1
    return _("新建 %(created)s 个，已有 %(existing)s 个", created=created, existing=len(DEMO_USERS) - created)
