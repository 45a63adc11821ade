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
    assert r.status_code == 200
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
    assert r.status_code == 200 and "这一周不在实习期" in r.get_data(as_text=True)
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


def _running():
    _, application = _offered()
    return placements.create_placement(application, start_on=date(2027, 3, 1), end_on=date(2027, 6, 30),
                                       supervisor_id=None, hours_per_day=8, hours_per_week=40,
                                       insured_on=date(2027, 2, 1))


def test_check_ins_faster_than_travel_allows_are_flagged_not_blocked(client, login_as):
    from datetime import datetime, timedelta, timezone

    from app.careers.models import CheckIn
    from app.core import clock

    placement = _running()
    db.session.commit()
    login_as(user=placement.student)
    url = f"/careers/placements/{placement.id}"
    start = datetime(2027, 3, 2, 0, 30, tzinfo=timezone.utc)
    clock.set_now(start)
    assert client.form(url + "/check-ins", {"latitude": "23.129", "longitude": "113.264"}, token_from=url).status_code == 302
    clock.set_now(start + timedelta(minutes=30))  # Guangzhou → Beijing (~1,900 km) in half an hour
    r = client.form(url + "/check-ins", {"latitude": "39.904", "longitude": "116.407"}, token_from=url)
    assert r.status_code == 302
    assert "行程异常" in client.get(url).get_data(as_text=True)
    clock.set_now(start + timedelta(days=3))  # back in Guangzhou three days later: plausible
    client.form(url + "/check-ins", {"latitude": "23.130", "longitude": "113.265"}, token_from=url)
    flags = [c.flagged for c in db.session.query(CheckIn).order_by(CheckIn.at)]
    assert flags == [False, True, False]


def test_check_in_without_location_records_the_time(client, login_as):
    from app.careers.models import CheckIn

    placement = _running()
    db.session.commit()
    login_as(user=placement.student)
    url = f"/careers/placements/{placement.id}"
    assert client.form(url + "/check-ins", {"latitude": "", "longitude": ""}, token_from=url).status_code == 302
    entry = db.session.query(CheckIn).one()
    assert entry.latitude is None and not entry.flagged


def test_only_the_student_checks_in(client, login_as):
    placement = _running()
    db.session.commit()
    login_as(user=builders.hr(placement.enterprise))
    url = f"/careers/placements/{placement.id}"
    assert client.form(url + "/check-ins", {}, token_from=url).status_code == 404
