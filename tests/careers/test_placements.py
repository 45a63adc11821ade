"""岗位实习: created from an offered application, refused with the broken rule named; weekly logs inside the period."""
from __future__ import annotations

from datetime import date

from app.careers import placements, services
from app.careers.models import Placement, WeeklyLog
from app.errors import ValidationError
from app.extensions import db
from tests import factories
from tests.careers import builders


def _offered(hr=None):
    hr = hr or builders.hr()
    post = builders.published_post(hr, kind="internship", period_start=date(2027, 3, 1), period_end=date(2027, 6, 30))
    student = factories.user("student")
    application = services.apply(post, student)
    services.set_status(application, "offered")
    return hr, application


def _fields(**overrides):
    fields = dict(start_on="2027-03-01", end_on="2027-06-30", supervisor_id="0", hours_per_day="8",
                  hours_per_week="40", insured_on="2027-02-20")
    fields.update(overrides)
    return {f"placement-{k}": v for k, v in fields.items()}


def test_hr_creates_a_placement_for_an_offered_application(client, login_as):
    hr, application = _offered()
    teacher = factories.user("teacher", school_=application.student.school, full_name="王指导")
    db.session.commit()
    login_as(user=hr)
    url = f"/careers/applications/{application.id}"
    assert "安排岗位实习" in client.get(url).get_data(as_text=True)
    r = client.form(url + "/placement", _fields(supervisor_id=str(teacher.id)), token_from=url)
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    placement = db.session.query(Placement).one()
    assert placement.supervisor_id == teacher.id and placement.student_id == application.student_id


def test_a_placement_breaking_a_rule_is_refused_with_the_rule_named(client, login_as):
    hr, application = _offered()
    db.session.commit()
    login_as(user=hr)
    url = f"/careers/applications/{application.id}"
    r = client.form(url + "/placement", _fields(hours_per_day="10", insured_on=""), token_from=url)
    page = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "每日实习时间不超过 8 小时" in page and "实习开始前已投保实习责任保险" in page
    assert 'value="10"' in page
    assert db.session.query(Placement).count() == 0


def test_night_shifts_are_refused():
    _, application = _offered()
    try:
        placements.create_placement(application, start_on=date(2027, 3, 1), end_on=date(2027, 6, 30),
                                    supervisor_id=None, hours_per_day=8, hours_per_week=40, night_shifts=True,
                                    insured_on=date(2027, 2, 1))
    except ValidationError as exc:
        assert "不安排学生上夜班" in exc.message
    else:
        raise AssertionError("a night-shift placement was accepted")


def test_weekly_log_outside_the_placement_is_refused(client, login_as):
    _, application = _offered()
    placement = placements.create_placement(application, start_on=date(2027, 3, 1), end_on=date(2027, 6, 30),
                                            supervisor_id=None, hours_per_day=8, hours_per_week=40,
                                            insured_on=date(2027, 2, 1))
    db.session.commit()
    login_as(user=application.student)
    url = f"/careers/placements/{placement.id}"
    r = client.form(url + "/logs", {"week_start": "2027-08-02", "body": "暑假"}, token_from=url)
    assert r.status_code == 400 and "这一周不在实习期" in r.get_data(as_text=True)
    r = client.form(url + "/logs", {"week_start": "2027-03-03", "body": "第一周：熟悉车间与安全规范"}, token_from=url)
    assert r.status_code == 302
    log = db.session.query(WeeklyLog).one()
    assert log.week_start == date(2027, 3, 1)
    assert "第一周" in client.get(url).get_data(as_text=True)


def test_others_cannot_see_a_placement(app, client, login_as):
    _, application = _offered()
    placement = placements.create_placement(application, start_on=date(2027, 3, 1), end_on=date(2027, 6, 30),
                                            supervisor_id=None, hours_per_day=8, hours_per_week=40,
                                            insured_on=date(2027, 2, 1))
    db.session.commit()
    login_as(user=builders.hr())
    assert client.get(f"/careers/placements/{placement.id}").status_code == 404
