"""Versions go through review; learners see only the current approved version; drafts are edited by forms."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.errors import Conflict
from app.extensions import db
from app.review import services as review
from app.review.services import queue
from app.standards import services
from app.standards.models import StandardVersion
from tests import factories


def test_approval_makes_the_version_current_and_withdrawal_falls_back(make_standard):
    v1 = make_standard(1, 2)
    standard = v1.standard
    assert standard.current_version_id == v1.id
    editor = factories.user("reviewer")
    v2 = services.new_draft(standard, editor)
    assert v2.number == 2 and v2.review_state == "draft" and v2.based_on_id == v1.id
    assert [t.lineage_id for c in v2.courses for t in c.tasks] == [t.id for c in v1.courses for t in c.tasks]
    with pytest.raises(Conflict):
        services.new_draft(standard, editor)  # one open version at a time
    review.submit(v2, editor)
    review.approve(v2, factories.user("reviewer"))
    assert standard.current_version_id == v2.id
    review.withdraw(v2, factories.user("reviewer"), "发现错误")
    assert standard.current_version_id == v1.id


def test_submitted_version_is_frozen(make_standard):
    v1 = make_standard(1, 1, approve=False)
    review.submit(v1, factories.user("platform_admin"))
    with pytest.raises(Conflict):
        services.save_course(v1, None, code="C9", name="新增", hours=10)


def test_queue_shows_diff_against_previous_version(make_standard):
    v1 = make_standard(1, 2)
    editor = factories.user("reviewer")
    v2 = services.new_draft(v1.standard, editor)
    services.save_course(v2, v2.courses[0], code="C0", name="改名后的课程", hours=20)
    v2.change_note = "课程改名"
    review.submit(v2, editor)
    db.session.commit()
    item = next(i for i in queue() if i.kind.name == "standard_version" and i.obj.id == v2.id)
    diff = str(item.diff)
    assert "课程改名" in diff and "改名后的课程" in diff and "一体化课程0" in diff
    assert 'class="diff-add"' in diff and 'class="diff-del"' in diff


def test_student_sees_only_approved_versions(client, login_as, make_standard):
    v1 = make_standard(1, 1)
    v2 = services.new_draft(v1.standard, factories.user("reviewer"))
    db.session.commit()
    login_as("student")
    assert client.get(f"/standards/versions/{v1.id}").status_code == 200
    assert client.get(f"/standards/versions/{v2.id}").status_code == 404
    assert client.get(f"/standards/versions/{v2.id}/print").status_code == 404
    page = client.get(f"/standards/{v1.standard_id}").get_data(as_text=True)
    assert "V1" in page and "V2" not in page


def test_teacher_cannot_edit(client, login_as, make_standard):
    v1 = make_standard(1, 1, approve=False)
    login_as("teacher")
    assert client.get(f"/standards/versions/{v1.id}/edit").status_code == 403
    assert client.get(f"/standards/versions/{v1.id}/courses/new").status_code == 403
    assert client.get("/standards/new").status_code == 403


def test_editor_builds_a_standard_with_forms(client, login_as):
    login_as("reviewer")
    from app.catalog.models import Profession, TrainingLevel

    profession = db.session.scalar(select(Profession).where(Profession.key == "welding"))
    level = db.session.scalar(select(TrainingLevel).where(TrainingLevel.key == "intermediate"))
    r = client.form("/standards/new", {"profession_id": profession.id, "level_id": level.id, "title": ""},
                    token_from="/standards/new")
    assert r.status_code == 302
    version = db.session.scalar(select(StandardVersion).order_by(StandardVersion.id.desc()))
    vurl = f"/standards/versions/{version.id}"
    r = client.form(f"{vurl}/edit", {"title": "焊接加工专业（中级技能）课程标准", "change_note": "初稿",
                                     "section_objectives": "# 目标\n<script>alert(1)</script>\n[x](javascript:alert(1))"},
                    token_from=f"{vurl}/edit")
    assert r.status_code == 302
    r = client.form(f"{vurl}/courses/new", {"code": "W1", "name": "焊接安全与基础操作", "hours": 60,
                                            "task_description": "企业焊接车间的入职培训"}, token_from=vurl)
    assert r.status_code == 302
    db.session.expire_all()
    course = services.load_tree(version).courses[0]
    r = client.form(f"/standards/courses/{course.id}/tasks/new",
                    {"code": "W1-T1", "name": "焊接安全防护", "hours": 20, "objectives": "能穿戴防护用品",
                     "stage_lines": "获取信息（资讯）\n制定计划\n现场演练\n评价反馈"}, token_from=vurl)
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    page = client.get(vurl).get_data(as_text=True)
    assert "焊接安全防护" in page and "现场演练" in page
    assert "<script>alert(1)</script>" not in page and "href=\"javascript" not in page
    assert "&lt;script&gt;" in page  # shown as text, not run
    assert "比课程学时 60 少 40 学时" in page  # the hours check warns by how much
    db.session.expire_all()
    task = services.load_tree(version).courses[0].tasks[0]
    assert [s.key for s in task.stages] == ["inform", "plan", "stage-1", "evaluate"]
    # A second task that requires the first, then a loop attempt is refused.
    r = client.form(f"/standards/courses/{course.id}/tasks/new",
                    {"code": "W1-T2", "name": "平焊", "hours": 40, "prerequisite_codes": ["W1-T1", "W1-T1"]},
                    token_from=vurl)
    assert r.status_code == 302  # a code sent twice is one prerequisite (it was a 500)
    assert [p.code for p in services.load_tree(version).courses[0].tasks[1].prerequisites] == ["W1-T1"]
    r = client.form(f"/standards/tasks/{task.id}/edit",
                    {"code": "W1-T1", "name": "焊接安全防护", "hours": 20, "prerequisite_codes": ["W1-T2"]},
                    token_from=vurl)
    assert r.status_code == 200 and "循环" in r.get_data(as_text=True)
    assert 'name="code"' in r.get_data(as_text=True)  # the form comes back with the error, input kept
    # Reordering and renaming stages keeps the keys of stages the task already had.
    r = client.form(f"/standards/tasks/{task.id}/edit",
                    {"code": "W1-T1", "name": "焊接安全防护", "hours": 20,
                     "stage_lines": "现场演练\n获取信息（资讯）\n安全复盘"}, token_from=vurl)
    assert r.status_code == 302
    db.session.expire_all()
    task = services.get_task(task.id)
    assert [(s.key, s.name) for s in task.stages] == [("stage-1", "现场演练"), ("inform", "获取信息（资讯）"),
                                                       ("stage-2", "安全复盘")]


def test_print_view_has_every_course_and_print_css(client, login_as, make_standard):
    v1 = make_standard(3, 2)
    login_as("teacher")
    page = client.get(f"/standards/versions/{v1.id}/print").get_data(as_text=True)
    assert page.count('class="print-course"') == 3
    assert "css/standards.css" in page
    css = client.get("/static/css/standards.css").get_data(as_text=True)
    assert "@media print" in css and "page-break-before: always" in css
    # Five columns do not fit a 360 px phone: each task table scrolls on its own instead of widening the page
    # (it made the page 660 px wide), and prints in full.
    assert page.count('<div class="table-responsive"><table class="table table-bordered table-sm">') == 3
    assert ".print-course .table-responsive { overflow: visible; }" in css


def test_reviewer_unpublishes_from_the_version_page(client, login_as, make_standard):
    v1 = make_standard(1, 1)
    login_as("reviewer")
    page = client.get(f"/standards/versions/{v1.id}").get_data(as_text=True)
    assert f"/review/standard_version/{v1.id}/withdraw" in page and "撤销发布" in page
    r = client.form(f"/review/standard_version/{v1.id}/withdraw", {"comment": "需更新"},
                    token_from=f"/standards/versions/{v1.id}")
    assert r.status_code == 302
    db.session.expire_all()
    assert v1.standard.current_version_id is None
    student = client.application.test_client()
    login_as("student", client_=student)
    assert student.get(f"/standards/versions/{v1.id}").status_code == 404
