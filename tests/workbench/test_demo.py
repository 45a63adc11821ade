"""``flask demo seed`` leaves the demo student and teacher with real to-dos on their workbench."""
from __future__ import annotations


def _login(client, username):
    from config import DEMO_PASSWORD

    assert client.form("/login", {"username": username, "password": DEMO_PASSWORD}).status_code == 302


def test_demo_student_and_teacher_have_real_to_dos(runner, client):

    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    assert "待审批的计划，待批改的论述题" in result.output, result.output
    _login(client, "student")
    kinds = [i["kind"] for i in client.get("/api/v1/me/todo").get_json()["items"]]
    assert "tasks.stage" in kinds and "exams.open" in kinds
    client.form("/logout", token_from="/home")
    _login(client, "teacher")
    items = client.get("/api/v1/me/todo").get_json()["items"]
    kinds = [i["kind"] for i in items]
    assert "tasks.approve" in kinds and "exams.marking" in kinds
    assert any("赵同学" in i["title"] for i in items)
    again = runner.invoke(args=["demo", "seed"])
    assert "演示教师的工作台待办：已存在" in again.output
