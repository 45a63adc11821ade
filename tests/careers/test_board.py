"""The public board (/jobs) and its JSON (/api/v1/job-posts): no login, filters, constant SQL."""
from __future__ import annotations

from app.extensions import db
from tests.careers import builders


def test_board_is_public_and_filters_by_profession_city_kind_and_pay(client):
    hr = builders.hr()
    p0, p1 = builders.profession(0), builders.profession(1)
    builders.published_post(hr, title="广州修车", professions=[p0.id], city="广州市", pay_min=4000, pay_max=6000)
    builders.published_post(hr, title="深圳实习", professions=[p1.id], city="深圳市", kind="internship",
                            period_start=builders.date(2027, 3, 1), period_end=builders.date(2027, 6, 30),
                            pay_min=2000, pay_max=3000)
    db.session.commit()
    page = client.get("/jobs").get_data(as_text=True)
    assert "广州修车" in page and "深圳实习" in page
    only = client.get(f"/jobs?profession={p0.id}").get_data(as_text=True)
    assert "广州修车" in only and "深圳实习" not in only
    only = client.get("/jobs?city=深圳市").get_data(as_text=True)
    assert "深圳实习" in only and "广州修车" not in only
    only = client.get("/jobs?kind=internship").get_data(as_text=True)
    assert "深圳实习" in only and "广州修车" not in only
    only = client.get("/jobs?pay=5000").get_data(as_text=True)
    assert "广州修车" in only and "深圳实习" not in only
    assert "广州修车" in client.get("/jobs?q=修车").get_data(as_text=True)


def test_garbled_filters_are_ignored_not_500(client):
    assert client.get("/jobs?profession=abc&pay=99999999999999999999&page=x&sort=zzz").status_code == 200
    assert client.get("/api/v1/job-posts?profession=-1&per_page=abc").status_code == 200


def test_api_lists_public_posts_paginated(client):
    hr = builders.hr()
    prof = builders.profession()
    for i in range(3):
        builders.published_post(hr, title=f"岗位{i}", professions=[prof.id], city="佛山市")
    builders.published_post(hr, title="别处", city="广州市")
    db.session.commit()
    body = client.get(f"/api/v1/job-posts?profession={prof.id}&city=佛山市&per_page=2").get_json()
    assert body["total"] == 3 and len(body["items"]) == 2
    item = body["items"][0]
    assert item["city"] == "佛山市" and item["pay_min"] == 5000 and item["pay_negotiable"] is False
    assert {p["id"] for p in item["professions"]} == {prof.id}


def test_board_and_api_send_a_constant_number_of_statements(client, count_queries):
    hr = builders.hr()

    def grow(n):
        for i in range(n):
            builders.published_post(hr, title=f"岗位{i}", professions=[builders.profession(0).id,
                                                                     builders.profession(1).id])
        db.session.commit()

    counts = []
    for n in (2, 10):
        grow(n)
        with count_queries() as board:
            assert client.get("/jobs").status_code == 200
        with count_queries() as api:
            assert client.get("/api/v1/job-posts").status_code == 200
        counts.append((board.count, api.count))
    assert counts[0] == counts[1], counts


def test_board_fits_a_phone_with_cards(client):
    builders.published_post(title="卡片岗位")
    db.session.commit()
    page = client.get("/jobs").get_data(as_text=True)
    assert 'class="card h-100"' in page and "<table" not in page


def test_student_sorts_by_match_with_their_profession_first(client, login_as):
    from app.courses import services as courses

    hr = builders.hr()
    mine, other = builders.profession(0), builders.profession(1)
    builders.published_post(hr, title="对口岗位", professions=[mine.id])
    builders.published_post(hr, title="其他岗位", professions=[other.id])  # newer: first by date
    student = login_as("student")
    cohort = courses.create_cohort(school=student.school, name="匹配班", entry_year=2025, profession=mine,
                                   training_level=None)
    courses.add_cohort_members(cohort, [student])
    db.session.commit()
    by_date = client.get("/jobs").get_data(as_text=True)
    assert by_date.index("其他岗位") < by_date.index("对口岗位")
    by_match = client.get("/jobs?sort=match").get_data(as_text=True)
    assert by_match.index("对口岗位") < by_match.index("其他岗位")
