"""Bulk user import from CSV/XLSX: validate every row, then write everything in one go, or nothing."""
from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import insert, select

from app.auth import permissions, services
from app.auth.models import ActivationCode, User, UserImport, UserRole
from app.core import clock, exports, storage, tabular
from app.core.templating import role_label
from app.errors import ValidationError
from app.extensions import db

ALIASES: dict[str, tuple[str, ...]] = {
    "username": ("username", "用户名", "账号", "帐号", "登录名", "工号/学号", "学号", "工号"),
    "full_name": ("full_name", "name", "姓名", "名字"),
    "email": ("email", "邮箱", "电子邮箱", "e-mail"),
    "phone": ("phone", "手机", "手机号", "电话", "联系电话"),
    "roles": ("roles", "role", "角色", "身份"),
    "school": ("school", "学校", "学校代码", "院校", "所属学校"),
    "enterprise": ("enterprise", "企业", "企业代码", "所属企业"),
}
REQUIRED = ("username", "full_name", "roles")
#: Longest values the user table holds (User.full_name, User.email; the phone is checked by services.phone_error).
FULL_NAME_MAX, EMAIL_MAX = 100, 254

ROLE_WORDS = {
    "学生": "student", "教师": "teacher", "老师": "teacher", "企业导师": "mentor", "企业招聘专员": "enterprise_hr", "导师": "mentor",
    "师傅": "mentor", "院校管理员": "school_admin", "学校管理员": "school_admin", "审核专家": "reviewer",
    "专家": "reviewer", "平台管理员": "platform_admin",
}
_SPLIT = re.compile(r"[,，;；、/|\s]+")


@dataclass
class RowError:
    row: int
    message: str


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    import_id: int | None = None
    #: (username, full_name, organisation name, code) of the accounts created.
    codes: list[tuple[str, str, str, str]] = field(default_factory=list)
    encoding: str | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


def _parse_roles(text: str) -> list[str]:
    out = []
    for word in _SPLIT.split(text.strip()):
        if not word:
            continue
        role = ROLE_WORDS.get(word, word.lower())
        if role not in out:
            out.append(role)
    return out


def _partner_enterprise_ids(school_id: int | None) -> set[int]:
    """Enterprises in a 校企合作 (any kind) with the school: a school admin may import their mentors."""
    from app.orgs.models import Partnership

    if school_id is None:
        return set()
    return set(db.session.scalars(select(Partnership.enterprise_id).where(Partnership.school_id == school_id)))


def _lookup_orgs():
    from app.orgs.models import Enterprise, School

    schools = {}
    for s in db.session.scalars(select(School)):
        schools[s.key.lower()] = s
        schools.setdefault(s.name, s)
    enterprises = {}
    for e in db.session.scalars(select(Enterprise)):
        enterprises[e.key.lower()] = e
        enterprises.setdefault(e.name, e)
    return schools, enterprises


def import_users(actor, filename: str, data: bytes, *, dry_run: bool = False,
                 progress: Callable[[int, int], None] | None = None) -> ImportReport:
    """Import users from a spreadsheet.

    Every row is validated first; when any row has an error nothing is written and the report lists each
    error with its row number. Usernames that already exist with the same organisation are left unchanged,
    so importing the same file twice creates nothing the second time. New accounts get activation codes;
    the codes sheet is stored for the importing admin to download (``UserImport.sheet_key``).
    """
    if len(data) > current_app.config["IMPORT_MAX_BYTES"]:
        raise tabular.TableError(_("文件过大（上限 %(mb)s MB）。", mb=current_app.config["IMPORT_MAX_BYTES"] // 2**20))
    table = tabular.read_table(filename, data)
    report = ImportReport(dry_run=dry_run, encoding=table.encoding)
    missing = tabular.missing_columns(table.headers, ALIASES, REQUIRED)
    if missing:
        # Name each missing column by its Chinese header, as the template and the page describe them.
        names = "、".join(next(a for a in ALIASES[m] if not a.isascii()) for m in missing)
        raise ValidationError(_("缺少必需的列：%(cols)s。表头应包含：用户名、姓名、角色、学校代码（可选：邮箱、手机号、企业代码）。",
                                cols=names))
    report.rows = len(table.rows)
    if not table.rows:
        raise ValidationError(_("文件中没有数据行。"))

    schools, enterprises = _lookup_orgs()
    seen: dict[str, int] = {}
    parsed = []
    # actor None: a command-line import, with the platform's authority.
    platform = actor is None or permissions.is_platform_admin(actor)
    allowed_roles = {r.value for r in services.Role} if platform else set(permissions.assignable_roles(actor))
    # A school admin also imports the 企业导师 of the school's partner enterprises (as mentors only).
    partners = set() if platform else _partner_enterprise_ids(actor.school_id)
    mentor_roles = {services.Role.mentor.value}
    total = len(table.rows)
    for index, (number, row) in enumerate(table.rows):
        if progress and index % 500 == 0:
            progress(index, total)
        get = lambda name: tabular.pick(row, ALIASES, name)  # noqa: E731
        errors = []
        username = services.normalize_username(get("username"))
        if not services.USERNAME_RE.match(username):
            errors.append(_("用户名“%(u)s”不合法（小写字母、数字、._-，2–64 位）", u=get("username")))
        elif username in seen:
            errors.append(_("用户名 %(u)s 与第 %(row)s 行重复", u=username, row=seen[username]))
        else:
            seen[username] = number
        school = enterprise = None
        school_ref, enterprise_ref = get("school"), get("enterprise")
        if school_ref:
            school = schools.get(school_ref.lower()) or schools.get(school_ref)
            if school is None:
                errors.append(_("未知学校：%(s)s", s=school_ref))
        elif not platform and not enterprise_ref:
            school = actor.school
        if enterprise_ref:
            enterprise = enterprises.get(enterprise_ref.lower()) or enterprises.get(enterprise_ref)
            if enterprise is None:
                errors.append(_("未知企业：%(e)s", e=enterprise_ref))
        if school is not None and enterprise is not None:
            errors.append(_("用户只能属于一个学校或一个企业"))
        elif not platform and enterprise is not None and enterprise.id not in partners:
            errors.append(_("企业“%(e)s”不是本校的合作企业，不能导入其人员（请先添加校企合作）", e=enterprise.name))
        elif not platform and school is not None and school.id != actor.school_id:
            errors.append(_("只能导入本校用户"))
        # A school admin's row of a partner enterprise may only make 企业导师.
        row_roles = mentor_roles if (not platform and enterprise is not None) else allowed_roles
        roles = _parse_roles(get("roles"))
        if not roles:
            errors.append(_("缺少角色"))
        for role in roles:
            if role not in services.Role.__members__:
                errors.append(_("未知角色：%(role)s", role=role))
            elif role not in row_roles:
                errors.append(_("您不能分配角色：%(role)s", role=role_label(role)))
        email = get("email")
        if email and (not services.EMAIL_RE.match(email) or len(email) > EMAIL_MAX):
            errors.append(_("邮箱格式不正确：%(email)s", email=email))
        # The columns' limits: PostgreSQL would refuse a longer value at insert time, failing the whole import.
        full_name = get("full_name")
        if not full_name:
            errors.append(_("缺少姓名"))
        elif len(full_name) > FULL_NAME_MAX:
            errors.append(_("姓名过长（最多 %(n)s 个字）", n=FULL_NAME_MAX))
        phone = get("phone")
        if phone:
            problem = services.phone_error(phone)
            if problem:
                errors.append(problem)
        for message in errors:
            report.errors.append(RowError(number, message))
        parsed.append((number, username, get("full_name"), email or None, get("phone") or None, roles, school,
                       enterprise))

    # Existing accounts: the same person again is "unchanged"; someone else's username is an error.
    existing: dict[str, User] = {}
    names = [p[1] for p in parsed]
    for i in range(0, len(names), 500):
        for user in db.session.scalars(select(User).where(User.username.in_(names[i:i + 500]))):
            existing[user.username] = user
    to_create = []
    for number, username, full_name, email, phone, roles, school, enterprise in parsed:
        user = existing.get(username)
        if user is None:
            to_create.append((number, username, full_name, email, phone, roles, school, enterprise))
        elif user.school_id == (school.id if school else None) and user.enterprise_id == (
                enterprise.id if enterprise else None):
            report.unchanged += 1
        else:
            report.errors.append(RowError(number, _("用户名 %(u)s 已被其他账号使用", u=username)))
    report.errors.sort(key=lambda e: e.row)
    if report.errors or dry_run:
        report.created = 0 if report.errors else len(to_create)
        return report
    if not to_create:
        return report

    record = UserImport(created_by_id=actor.id if actor else None, filename=filename[:255],
                        checksum=hashlib.sha256(data).hexdigest(), rows=report.rows)
    db.session.add(record)
    db.session.flush()
    now = clock.now()
    ids = db.session.scalars(insert(User).returning(User.id, sort_by_parameter_order=True), [
        {"username": u, "full_name": n, "email": e, "phone": p, "school_id": s.id if s else None,
         "enterprise_id": ent.id if ent else None, "is_active": True, "created_at": now, "version": 1}
        for (_n, u, n, e, p, _r, s, ent) in to_create]).all()
    db.session.execute(insert(UserRole), [
        {"user_id": uid, "role": role} for uid, item in zip(ids, to_create) for role in item[5]])
    expires = now + current_app.config["ACTIVATION_CODE_TTL"]
    code_rows = []
    for uid, item in zip(ids, to_create):
        code = services.new_activation_code()
        org = item[6] or item[7]
        report.codes.append((item[1], item[2], org.name if org else "", code))
        code_rows.append({"user_id": uid, "code_hash": services.sha256(code), "created_at": now,
                          "expires_at": expires, "batch_id": record.id})
    db.session.execute(insert(ActivationCode), code_rows)
    report.created = len(to_create)
    record.created, record.unchanged = report.created, report.unchanged
    sheet = activation_sheet(report.codes, expires)
    key = storage.new_key("private/activation", "xlsx")
    storage.get_storage().put(key, sheet)
    record.sheet_key = key
    report.import_id = record.id
    db.session.flush()
    if progress:
        progress(total, total)
    return report


def activation_sheet(codes, expires) -> bytes:
    from app.core.i18n import fmt_datetime

    from app.core.clock import zone_header

    headers = [_("用户名"), _("姓名"), _("所属单位"), _("激活码"), zone_header(_("有效期至"))]
    until = fmt_datetime(expires)
    return exports.to_xlsx(headers, [(u, n, org, code, until) for (u, n, org, code) in codes], title=_("激活码"))


def template_sheet() -> bytes:
    headers = ["用户名", "姓名", "角色", "学校代码", "企业代码", "邮箱", "手机号"]
    rows = [("zhangsan2026", "张三", "学生", "demo-technician-college", "", "", ""),
            ("lisi", "李四", "教师", "demo-technician-college", "", "lisi@example.com", "")]
    return exports.to_xlsx(headers, rows, title="users")
