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
}
SCHOOL_KIND_LABELS = {
    "technician_college": _l("技师学院"), "senior_technical_school": _l("高级技工学校"),
    "technical_school": _l("技工学校"),
}
PARTNERSHIP_KIND_LABELS = {
    "order_training": _l("订单培养"), "apprenticeship": _l("学徒制"), "training_base": _l("实训基地"),
    "industry_college": _l("产业学院"),
}

#: (endpoint, label, roles that see it; None = every logged-in user). Later domains append to this.
NAVIGATION: list[tuple[str, object, set[str] | None]] = [
    ("dashboard.home", _l("首页"), None),
    ("catalog.professions", _l("专业目录"), None),
    ("orgs.schools", _l("学校"), None),
    ("orgs.enterprises", _l("企业"), None),
    ("auth.users", _l("用户管理"), {"platform_admin", "school_admin"}),
    ("questions.banks", _l("题库"), {"platform_admin", "school_admin", "teacher", "reviewer"}),
    ("courses.index", _l("我的课程"), {"student", "teacher", "mentor", "school_admin", "platform_admin"}),
    ("courses.cohorts", _l("班级"), {"school_admin", "teacher", "platform_admin"}),
    ("tasks.mine", _l("学习任务"), {"student", "teacher", "mentor"}),
    ("certification.programs", _l("师资培训"), {"teacher", "school_admin", "platform_admin", "reviewer"}),
    ("certification.progress_national", _l("百千万进展"), {"platform_admin", "school_admin"}),
]


def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))


def school_kind_label(kind: str) -> str:
    return str(SCHOOL_KIND_LABELS.get(kind, kind))


def partnership_kind_label(kind: str) -> str:
    return str(PARTNERSHIP_KIND_LABELS.get(kind, kind))


def nav_items() -> list[dict]:
    if not current_user.is_authenticated:
        return []
    roles = current_user.role_names
    items = []
    for endpoint, label, allowed in NAVIGATION:
        if allowed is None or roles & allowed:
            prefix = url_for(endpoint)
            active = request.path == prefix or (prefix != "/" and request.path.startswith(prefix + "/"))
            items.append({"url": prefix, "label": label, "active": active})
    return items


def url_with(**changes) -> str:
    """The current URL with some query arguments changed (for filters and pagination)."""
    args = request.args.to_dict()
    for key, value in changes.items():
        if value in (None, ""):
            args.pop(key, None)
        else:
            args[key] = value
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def register(app: Flask) -> None:
    app.jinja_env.filters.update(
        date=i18n.fmt_date, datetime=i18n.fmt_datetime, number=i18n.fmt_number, role=role_label,
        school_kind=school_kind_label, partnership_kind=partnership_kind_label)
    app.jinja_env.globals.update(nav_items=nav_items, url_with=url_with, ROLE_LABELS=ROLE_LABELS,
                                 SCHOOL_KIND_LABELS=SCHOOL_KIND_LABELS)

    @app.context_processor
    def _locale():
        locale = get_locale()
        return {"current_locale": str(locale) if locale else "zh_CN",
                "html_lang": "zh-CN" if not locale or locale.language == "zh" else str(locale).replace("_", "-")}
