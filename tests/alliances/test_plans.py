"""Plans and quarterly progress (形象进度表): the seed 002 plan as content, reporting rules, the table."""
from __future__ import annotations

from sqlalchemy import select

from app.alliances import plans
from app.alliances.models import Plan, PlanTask, ProgressReport
from app.extensions import db
from tests import factories


def _plan():
    return db.session.scalar(select(Plan).where(Plan.key == "shahe-2020-industry-education"))


def test_seed_plan_is_shipped_with_quarterly_milestones(client, login_as):
    plan = _plan()
    table = plans.progress_table(plan)
    assert len(table) == 12
    assert table[0]["quarters"][1]["planned"].startswith("学习研究专业群理论")
    login_as("platform_admin")
    page = client.get(f"/plans/{plan.id}").get_data(as_text=True)
    assert "形象进度表" in page and "第四季度" not in page and "第4季度" in page and "联办1个产业学院" in page


def _task(plan):
    return db.session.scalar(select(PlanTask).where(PlanTask.plan_id == plan.id).order_by(PlanTask.position))


def test_report_above_100_percent_is_refused_on_the_page(client, login_as):
    plan = _plan()
    login_as("platform_admin")
    task = _task(plan)
    url = f"/plans/{plan.id}"
    response = client.form(f"{url}/tasks/{task.id}/report", {"quarter": "1", "percent": "101"}, token_from=url)
    assert response.status_code == 200 and "0 到 100" in response.get_data(as_text=True)
    ok = client.form(f"{url}/tasks/{task.id}/report", {"quarter": "1", "percent": "100", "text": "计划已制订"},
                     token_from=url)
    assert ok.status_code == 302
    assert "已完成 100%" in client.get(url).get_data(as_text=True)


def test_report_for_a_closed_quarter_is_refused(client, login_as):
    plan = _plan()
    plans.close_quarter(plan, 1)
    db.session.commit()
    login_as("platform_admin")
    task = _task(plan)
    url = f"/plans/{plan.id}"
    response = client.form(f"{url}/tasks/{task.id}/report", {"quarter": "1", "percent": "50"}, token_from=url)
    assert response.status_code == 200 and "已关闭" in response.get_data(as_text=True)
    assert db.session.scalar(select(ProgressReport.id)) is None


def test_only_the_responsible_user_or_a_plan_manager_reports(client, login_as):
    plan = _plan()
    task = _task(plan)
    teacher = factories.user("teacher")
    db.session.commit()
    login_as(user=teacher)
    url = f"/plans/{plan.id}"
    assert client.form(f"{url}/tasks/{task.id}/report", {"quarter": "2", "percent": "10"},
                       token_from=url).status_code == 403
    task.responsible_user_id = teacher.id
    db.session.commit()
    assert client.form(f"{url}/tasks/{task.id}/report", {"quarter": "2", "percent": "10"},
                       token_from=url).status_code == 302


def test_progress_table_statements_do_not_grow_with_tasks(client, login_as, count_queries):
    plan = _plan()
    login_as("platform_admin")
    with count_queries() as before:
        client.get(f"/plans/{plan.id}")
    for n in range(48):
        task = PlanTask(plan_id=plan.id, key=f"bulk-{n}", title=f"任务{n}", position=100 + n)
        db.session.add(task)
        db.session.flush()
        plans.report_progress(plan, task, None, quarter=2, percent=n % 101)
    db.session.commit()
    with count_queries() as after:
        page = client.get(f"/plans/{plan.id}").get_data(as_text=True)
    assert "任务47" in page and before.count == after.count
