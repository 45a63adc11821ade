"""The demo seed gives a newcomer an HR account, published posts on the board and one application."""
from __future__ import annotations

from config import DEMO_PASSWORD

from app.auth import services as auth
from app.careers.models import JobApplication


def test_demo_seed_adds_hr_posts_and_an_application(runner, client):
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    assert "1 份申请及进行中的实习" in result.output
    hr = auth.find_user("hr")
    assert hr.has_role("enterprise_hr") and hr.enterprise is not None
    board = client.get("/jobs").get_data(as_text=True)
    assert "汽车机电维修技师" in board and "汽车维修实习生" in board and "面议" in board
    student = auth.find_user("student")
    from app.extensions import db

    assert db.session.query(JobApplication).filter_by(student_id=student.id).count() == 1
    login = client.form("/login", {"username": "hr", "password": DEMO_PASSWORD})
    assert login.status_code == 302
    assert "刘同学" in client.get("/careers/applications").get_data(as_text=True)
    again = runner.invoke(args=["demo", "seed"])
    assert "招聘就业：人力资源账号、岗位、需求清单与一份申请：已存在" in again.output


def test_demo_student_has_a_running_placement_with_a_weekly_log(runner, client):
    from app.careers.models import Placement

    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    student = auth.find_user("student")
    from app.extensions import db

    placement = db.session.query(Placement).filter_by(student_id=student.id).one()
    assert placement.logs and placement.supervisor_id == auth.find_user("teacher").id
    client.form("/login", {"username": "student", "password": DEMO_PASSWORD})
    assert "第一周" in client.get(f"/careers/placements/{placement.id}").get_data(as_text=True)
