"""Template filters, globals and the navigation, which depends on the user's roles."""
from __future__ import annotations

from flask import Flask, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.core import i18n

ROLE_LABELS = {
    "platform_admin": _l("平台管理员"), "school_admin": _l("院校管理员"), "reviewer": _l("审核专家"),
    "teacher": _l("教师"), "student": _l("学生"), "mentor": _l("企业导师"),
    "enterprise_hr": _l("企业招聘专员"),
}
SCHOOL_KIND_LABELS = {
    "technician_college": _l("技师学院"), "senior_technical_school": _l("高级技工学校"),
    "technical_school": _l("技工学校"),
}
PARTNERSHIP_KIND_LABELS = {
    "order_training": _l("订单培养"), "apprenticeship": _l("学徒制"), "training_base": _l("实训基地"),
    "industry_college": _l("产业学院"),
}

#: Menus of the navigation bar, in display order: key -> label. An entry without a group stands on its own.
NAV_GROUPS = {"resources": _l("资源库"), "teaching": _l("教学"), "training": _l("师资"),
             "careers": _l("就业"), "admin": _l("管理")}

#: (endpoint, label, roles that see it (None = every logged-in user), menu key or None). Domains append theirs.
NAVIGATION: list[tuple] = [
    ("workbench.home", _l("首页"), None, None),
    ("catalog.professions", _l("专业目录"), None, "resources"),
    ("questions.banks", _l("题库"), {"platform_admin", "school_admin", "teacher", "reviewer"}, "resources"),
    ("courses.index", _l("我的课程"), {"student", "teacher", "mentor", "school_admin", "platform_admin"}, "teaching"),
    ("courses.cohorts", _l("班级"), {"school_admin", "teacher", "platform_admin"}, "teaching"),
    ("tasks.mine", _l("学习任务"), {"student", "teacher", "mentor"}, "teaching"),
    ("certification.programs", _l("师资培训"), {"teacher", "school_admin", "platform_admin", "reviewer"}, "training"),
    ("certification.progress_national", _l("百千万进展"), {"platform_admin", "school_admin"}, "training"),
    ("certification.batches.index", _l("批量发证"), {"platform_admin"}, "training"),
    ("certification.my_hours", _l("我的学时"), {"teacher"}, "training"),
    ("certification.offline_sessions", _l("线下培训"), {"platform_admin", "school_admin"}, "training"),
    ("certification.admin_programs", _l("培训项目管理"), {"platform_admin"}, "training"),
    ("careers.board", _l("招聘岗位"), None, "careers"),
    ("careers.applications", _l("投递记录"), {"student", "teacher", "school_admin", "enterprise_hr", "platform_admin"},
     "careers"),
    ("careers.placements_list", _l("岗位实习"), {"student", "teacher", "mentor", "enterprise_hr", "platform_admin"},
     "careers"),
    ("careers.my_posts", _l("本企业岗位"), {"enterprise_hr"}, "careers"),
    ("careers.demand", _l("三张清单"), {"enterprise_hr"}, "careers"),
    ("careers.demand_summary", _l("企业需求汇总"), {"platform_admin", "school_admin"}, "careers"),
    ("orgs.schools", _l("学校"), {"platform_admin", "school_admin"}, "admin"),
    ("orgs.enterprises", _l("企业"), {"platform_admin", "school_admin"}, "admin"),
    ("auth.users", _l("用户管理"), {"platform_admin", "school_admin"}, "admin"),
    ("alliances.committees", _l("专指委"), None, "resources"),
    ("alliances.bases", _l("示范基地"), None, "resources"),
    ("alliances.plan_list", _l("形象进度"), {"platform_admin", "school_admin"}, "admin"),
]


#: The phone tab bar of learners (首页 / 课程 / 任务 / 消息 / 我的): (endpoint, label, path prefixes it covers).
TABBAR: list[tuple] = [
    ("workbench.home", _l("首页"), ("/home",)),
    ("courses.index", _l("课程"), ("/courses",)),
    ("tasks.mine", _l("任务"), ("/tasks", "/my/exams", "/attempts")),
    ("notifications.inbox", _l("消息"), ("/notifications",)),
    ("auth.account", _l("我的"), ("/account",)),
]
#: Roles that get the tab bar on phones instead of the collapsed menu.
TABBAR_ROLES = {"student"}


def tabbar_items() -> list[dict]:
    """The tab bar for the current user (empty for roles that keep the menu), with the current tab marked."""
    if not current_user.is_authenticated or not current_user.role_names & TABBAR_ROLES:
        return []
    return [{"url": url_for(endpoint), "label": label, "active": request.path.startswith(prefixes)}
            for endpoint, label, prefixes in TABBAR]


def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))


def school_kind_label(kind: str) -> str:
    return str(SCHOOL_KIND_LABELS.get(kind, kind))


def partnership_kind_label(kind: str) -> str:
    return str(PARTNERSHIP_KIND_LABELS.get(kind, kind))


def nav_items() -> list[dict]:
    """The navigation for the current user: links, and menus (``{"label", "items", "active"}``) of grouped links.

    A menu with a single visible link is shown as that link."""
    if not current_user.is_authenticated:
        return []
    roles = current_user.role_names
    top: list[dict] = []
    menus: dict[str, dict] = {}
    for endpoint, label, allowed, *rest in NAVIGATION:
        if allowed is not None and not roles & allowed:
            continue
        prefix = url_for(endpoint)
        active = request.path == prefix or (prefix != "/" and request.path.startswith(prefix + "/"))
        item = {"url": prefix, "label": label, "active": active}
        group = rest[0] if rest else None
        if group is None:
            top.append(item)
        else:
            menus.setdefault(group, {"label": NAV_GROUPS[group], "items": [], "active": False})
            menus[group]["items"].append(item)
            menus[group]["active"] |= active
    ordered = [menus[key] for key in NAV_GROUPS if key in menus]
    out = top[:1] + [m["items"][0] if len(m["items"]) == 1 else m for m in ordered] + top[1:]
    return out


def url_with(**changes) -> str:
    """The current URL with some query arguments changed (for filters and pagination)."""
    view_args = request.view_args or {}
    # Query keys that url_for would read as its own options (_external, _scheme, _anchor) or as the route's
    # arguments would let a crafted address rewrite the page's links (or fail with a 500): drop them.
    args = {key: value for key, value in request.args.items() if not key.startswith("_") and key not in view_args}
    for key, value in changes.items():
        if value in (None, ""):
            args.pop(key, None)
        else:
            args[key] = value
    return url_for(request.endpoint, **view_args, **args)


def register(app: Flask) -> None:
    app.jinja_env.filters.update(
        date=i18n.fmt_date, datetime=i18n.fmt_datetime, local_input=i18n.fmt_local_input, number=i18n.fmt_number,
        score=i18n.fmt_score, role=role_label,
        school_kind=school_kind_label, partnership_kind=partnership_kind_label)
    app.jinja_env.globals.update(nav_items=nav_items, tabbar_items=tabbar_items, url_with=url_with,
                                 ROLE_LABELS=ROLE_LABELS,
                                 SCHOOL_KIND_LABELS=SCHOOL_KIND_LABELS)

    @app.context_processor
    def _locale():
        locale = get_locale()
        return {"current_locale": str(locale) if locale else "zh_CN",
                "html_lang": "zh-CN" if not locale or locale.language == "zh" else str(locale).replace("_", "-")}
