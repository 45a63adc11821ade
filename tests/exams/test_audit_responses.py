"""Responses of the wrong shape sent to the autosave API are refused with 400, never a 500 or a wrong grade."""
from __future__ import annotations

import pytest

from app.extensions import db
from tests import factories
from tests.exams import builders
from tests.exams.test_api import bearer


@pytest.fixture
def matching_attempt(app, client):
    teacher = factories.user("teacher")
    student = factories.user("student", school_=teacher.school)
    bank = builders.bank()
    exam = builders.fixed_exam([builders.question(bank, "matching")], students=[student], creator=teacher)
    db.session.commit()
    headers = bearer(student)
    attempt = client.post(f"/api/v1/exams/{exam.id}/attempts", headers=headers).get_json()["attempt_id"]
    return attempt, headers


@pytest.mark.parametrize("response", [{"1": ["A"]}, {"1": 1}, {"1": "AB"}, {"²": "A"}, {"1": {"x": "A"}}])
def test_matching_response_of_the_wrong_shape_is_refused(client, matching_attempt, response):
    attempt, headers = matching_attempt
    res = client.put(f"/api/v1/attempts/{attempt}/items/1", json={"response": response, "seq": 1}, headers=headers)
    assert res.status_code == 400
    assert "匹配题" in res.get_json()["error"]["message"]


@pytest.mark.parametrize("seq", [2**31, 2**70, 1.5, "3", True, 0])
def test_autosave_seq_out_of_range_or_not_an_integer_is_refused(client, matching_attempt, seq):
    attempt, headers = matching_attempt
    res = client.put(f"/api/v1/attempts/{attempt}/items/1", json={"response": {"1": "A"}, "seq": seq},
                     headers=headers)
    assert res.status_code == 400 and res.get_json()["error"]["message"]


def test_matching_two_letter_key_earns_nothing(client, matching_attempt):
    """"AB" is not option A: it used to pass as a substring of the key list and score as A."""
    attempt, headers = matching_attempt
    client.put(f"/api/v1/attempts/{attempt}/items/1", json={"response": {"1": "AB"}, "seq": 1}, headers=headers)
    body = client.post(f"/api/v1/attempts/{attempt}/submit", headers=headers).get_json()
    assert body["state"] == "graded"
    assert body["items"][0].get("response") in (None, {})


def test_submit_grades_a_stored_response_that_no_longer_validates(client, matching_attempt):
    """A response stored before a stricter check (here "AB", once accepted for matching) must not make the
    submit fail: it earns nothing and the attempt closes."""
    from sqlalchemy import update

    from app.exams.models import AttemptItem

    attempt, headers = matching_attempt
    db.session.execute(update(AttemptItem).where(AttemptItem.attempt_id == attempt)
                       .values(response={"1": "AB"}, seq=1))
    db.session.commit()
    res = client.post(f"/api/v1/attempts/{attempt}/submit", headers=headers)
    assert res.status_code == 200 and res.get_json()["state"] == "graded"
