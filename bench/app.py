"""The application as deployed, plus bench-only "bare" routes: ``gunicorn bench.app:app``.

A bare route renders the same template as a real page with static data: no database, no session lookup. The
ratio of a page's requests/s to its bare twin, measured against the same server in the same run, says how
much the data access costs on top of the framework and the template, independently of the machine.

These routes exist only in this module; the product code never registers them.
"""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, g, render_template

from app import create_app
from app.auth.models import Role, User, UserRole
from app.core.pagination import Page
from app.orgs.models import Enterprise, School

bare_bp = Blueprint("bench_bare", __name__, url_prefix="/_bench/bare")

#: Static page size: the product's default PAGE_SIZE.
PER_PAGE = 25
#: Total shown in the pagination of the static page (the full-scale database's user count, roughly).
STATIC_TOTAL = 115_202


def _static_admin() -> User:
    """A transient (never persisted) platform admin: the logged-in user of the bare pages."""
    user = User(id=1, username="bench-admin", full_name="基准管理员", is_active=True, password_hash="x")
    user.roles = [UserRole(role=Role.platform_admin.value)]
    user.school = None
    user.enterprise = None
    return user


def _static_users(n: int = PER_PAGE) -> list[User]:
    """Rows shaped like the real first page: students of a school, some inactive or not yet activated."""
    school = School(id=1, key="bench-school-0000", name="北京第1技师学院", kind="technician_college",
                    province="北京市", city="北京市")
    enterprise = Enterprise(id=1, key="bench-ent-00000", name="北京汽车制造第1有限公司", province="北京市")
    rows = []
    for i in range(n):
        u = User(id=1000 + i, username=f"s{i:07d}", full_name="张伟" if i % 2 else "王芳",
                 is_active=i % 50 != 7, password_hash=None if i % 20 == 3 else "x",
                 created_at=datetime(2026, 1, 1))
        u.roles = [UserRole(role="mentor" if i % 10 == 9 else "student")]
        u.school, u.enterprise = (None, enterprise) if i % 10 == 9 else (school, None)
        rows.append(u)
    return rows


STATIC_ADMIN = _static_admin()
STATIC_USERS = _static_users()


@bare_bp.route("/users")
def users():
    """auth/users.html with static rows, as a platform admin, without touching the database."""
    from app.auth import forms

    g._login_user = STATIC_ADMIN  # Flask-Login's per-request user: no session lookup
    page = Page(STATIC_USERS, 1, PER_PAGE, STATIC_TOTAL)
    return render_template("auth/users.html", page=page, roles=list(Role), confirm=forms.ConfirmForm())


app = create_app()
app.register_blueprint(bare_bp)
