"""The application as deployed, plus bench-only "bare" routes: ``gunicorn bench.app:app``.

A bare route renders the same template as a real page with static data: no database, no session lookup. The
ratio of a page's requests/s to its bare twin, measured against the same server in the same run, says how
much the data access costs on top of the framework and the template, independently of the machine.

These routes exist only in this module; the product code never registers them.
"""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, g, render_template

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


#: Shape of the profession scenario's full package (bench/scenarios/profession.py).
PACKAGE_COURSES, PACKAGE_TASKS_PER_COURSE, PACKAGE_PAGES_PER_TASK, PACKAGE_VIDEOS = 30, 10, 2, 500
STAGES = [("inform", "获取信息"), ("plan", "制订计划"), ("decide", "作出决策"), ("implement", "实施计划"),
          ("check", "检查控制"), ("evaluate", "评价反馈")]


def _static_package():
    """The profession page's data as transient objects: profession, approved standard, 30 courses, 300 tasks with
    六步法 stages, and per task two workbook-page links plus the videos (500 in all), like the real package."""
    from app.catalog.models import IndustryField, Profession, TrainingLevel
    from app.standards.browse import Package
    from app.standards.models import CourseStandard, IntegratedCourse, LearningTask, StandardVersion, TaskStage
    from app.standards.resources import ResourceLink

    level = TrainingLevel(id=2, key="advanced", name="高级技能", position=2)
    level.skill_level = None
    profession = Profession(id=1, key="cnc-machining", name="数控加工", code="0103-4", is_integrated=True,
                            integrated_since=datetime(2022, 9, 1).date(), description="")
    profession.field = IndustryField(id=1, key="intelligent-manufacturing", name="智能制造")
    profession.levels = [level]
    standard = CourseStandard(id=1, profession_id=1, training_level_id=2, current_version_id=1)
    standard.training_level = level
    version = StandardVersion(id=1, standard_id=1, number=1, title="数控加工专业（高级技能）工学一体化课程标准",
                              review_state="approved")
    resources, n = {}, 0
    for c in range(PACKAGE_COURSES):
        course = IntegratedCourse(id=c + 1, code=f"C{c + 1}", name=f"一体化课程{c + 1}：典型零件的数控加工",
                                  hours=40 * PACKAGE_TASKS_PER_COURSE, position=c,
                                  task_description="企业接到零件订单，按图纸和工艺要求完成加工与检测。")
        for t in range(PACKAGE_TASKS_PER_COURSE):
            n += 1
            task = LearningTask(id=n, code=f"C{c + 1}-T{t + 1}", name=f"学习任务{c + 1}-{t + 1}：台阶轴的加工", hours=40,
                                objectives="能读懂零件图\n能编制加工工艺\n能操作数控车床完成加工", position=t)
            task.stages = [TaskStage(id=n * 10 + i, key=k, name=name, position=i) for i, (k, name) in enumerate(STAGES)]
            task.prerequisites = []
            course.tasks.append(task)
            links = [ResourceLink("workbook_page", f"一体化课程{c + 1}工作页 · 工作页 {n}.{p + 1}（{STAGES[p][1]}）",
                                  f"/workbooks/pages/{n * 2 + p}", detail=f"第 {n * 2 + p} 页 · 第 5 版",
                                  stage_key=STAGES[p][0]) for p in range(PACKAGE_PAGES_PER_TASK)]
            resources[n] = links
        version.courses.append(course)
    total_tasks = PACKAGE_COURSES * PACKAGE_TASKS_PER_COURSE
    for v in range(PACKAGE_VIDEOS):
        resources[v % total_tasks + 1].append(ResourceLink("video", f"操作示范视频 {v + 1}", f"/media/videos/{v + 1}",
                                                           detail=f"{(300 + v) // 60}:{(300 + v) % 60:02d}"))
    return Package(profession=profession, standards=[standard], standard=standard, version=version,
                   resources=resources)


@bare_bp.route("/profession")
def profession():
    """catalog/profession.html with the standards panel (the resource package) from static data."""
    from app.standards import resources

    g._login_user = STATIC_ADMIN
    panel = {"pkg": STATIC_PACKAGE, "providers": resources.providers(),
             "labels": {p.kind: p.label for p in resources.providers()}, "can_edit": True}
    return render_template("catalog/profession.html", profession=STATIC_PACKAGE.profession,
                           panels=[("standards/_package.html", panel)], can_edit=True)


def _static_summary():
    """The dashboard scenario's national summary, decoded from the JSON file it wrote (no database)."""
    import json
    import os

    from app.certification import progress

    path = os.environ.get("BENCH_DASHBOARD_SUMMARY")
    if not path:
        return None
    with open(path, encoding="utf-8") as fh:
        return progress._decode(json.load(fh))


@bare_bp.route("/dashboard")
def dashboard():
    """certification/dashboard.html with the national summary and chart data, from static data."""
    from app.certification.views import _chart_data

    g._login_user = STATIC_ADMIN
    summary = STATIC_SUMMARY or abort(404)
    return render_template("certification/dashboard.html", s=summary, public=False, school=None, teachers=[],
                           chart=_chart_data(summary))


def _workbench_contexts():
    """The workbench scenario's pickled /home contexts (bench/scenarios/workbench.py), or None."""
    import os
    import pickle

    path = os.environ.get("BENCH_WORKBENCH_CONTEXTS")
    if not path:
        return None
    with open(path, "rb") as fh:
        return pickle.load(fh)


@bare_bp.route("/workbench/<who>")
def workbench(who: str):
    """The workbench template of the teacher or the student with the context of their real page."""
    data = (STATIC_WORKBENCH or {}).get(who) or abort(404)
    user = User(id=2, username=f"bench-{who}", full_name=data["full_name"], is_active=True, password_hash="x")
    user.roles = [UserRole(role=r) for r in data["roles"]]
    user.school = School(id=1, key="bench-school", name=data["school"]) if data["school"] else None
    user.enterprise = None
    g._login_user = user
    return render_template(data["template"], **data["context"])


app = create_app()
app.register_blueprint(bare_bp)
# Built after create_app(): every model (and so every relationship target) is imported by then.
STATIC_PACKAGE = _static_package()
STATIC_SUMMARY = _static_summary()


STATIC_WORKBENCH = _workbench_contexts()
