"""Alliances and committees: the shipped first batch, stored keys guarded in the database, member rows."""
from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.alliances import services
from app.alliances.models import Committee, CommitteeMember
from app.errors import ValidationError
from app.extensions import db
from tests import factories


def test_first_batch_of_13_committees_is_shipped_with_lead_schools():
    summaries = services.committee_summaries()
    names = {s["industry_field"]: s["lead_organisation"] for s in summaries}
    assert len(summaries) == 13
    assert names["新餐饮"] == "山东省城市服务技师学院"
    assert names["工业物联网"] == "广东省珠海技师学院"
    catering = services.committee_by_key("new-catering")
    assert catering.short_name == "新餐饮理事会"
    assert {p.name for p in catering.professions} >= {"烹饪（中式烹调）"}


def test_loading_the_content_twice_changes_nothing(app):
    from app.core.content import default_content_root, load_content

    counts = load_content(default_content_root())
    assert counts.get("alliances", 0) == 0 and counts.get("plans", 0) == 0


@pytest.mark.parametrize("values", [
    {"role": "boss", "organisation_name": "某协会"},  # unknown role key
    {"role": "chair", "organisation_name": ""},  # no organisation at all
])
def test_database_refuses_bad_member_rows(values):
    committee = services.committee_by_key("new-catering")
    db.session.add(CommitteeMember(committee_id=committee.id, **values))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_database_refuses_unknown_committee_kind():
    alliance = services.alliances()[0]
    db.session.add(Committee(key="x-kind", alliance_id=alliance.id, name="某委员会", kind="club"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_member_is_a_school_an_enterprise_or_a_name_never_two():
    committee = services.committee_by_key("industrial-robots")
    school = factories.school()
    with pytest.raises(ValidationError):
        services.add_committee_member(committee, role="participant", school=school, enterprise=factories.enterprise(),
                                      name="")
    member = services.add_committee_member(committee, role="participant", school=school)
    assert member.name == school.name
    groups = dict(services.committee_members_by_role(committee))
    assert school.name in [m.name for m in groups["participant"]]
    assert db.session.scalar(select(CommitteeMember.id).where(CommitteeMember.school_id == school.id))


def test_cli_puts_people_into_a_committee_and_sets_its_rubric(runner, tmp_path):
    from app.alliances.models import CommitteeExpert

    expert = factories.user("teacher", username="cli-expert")
    db.session.commit()
    result = runner.invoke(args=["alliances", "add-expert", "new-catering", "cli-expert", "--title", "烹饪"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(CommitteeExpert.title).where(CommitteeExpert.user_id == expert.id)) == "烹饪"
    bad = tmp_path / "bad.yaml"
    bad.write_text("- {name: 校企合作, max_score: 500}\n", encoding="utf-8")
    result = runner.invoke(args=["alliances", "set-criteria", "new-catering", str(bad)])
    assert result.exit_code == 1 and "1 到 100" in result.output
    good = tmp_path / "good.yaml"
    good.write_text("- {name: 校企合作, max_score: 40, evidence: true}\n", encoding="utf-8")
    assert runner.invoke(args=["alliances", "set-criteria", "new-catering", str(good)]).exit_code == 0
    assert services.committee_by_key("new-catering").criteria == [{"name": "校企合作", "max_score": 40,
                                                                   "evidence": True}]
    assert runner.invoke(args=["alliances", "add-manager", "nope", "cli-expert"]).exit_code != 0
