"""Content sections: targets, phases."""
from __future__ import annotations

from app.certification.models import Phase, Target
from app.core.content import Item, as_date, check_keys, section, upsert

METRICS = {"integrated_professions", "schools", "certified_teachers"}


@section("targets", order=40)
def load_targets(items: list[Item]) -> int:
    check_keys(items)
    changed = 0
    for item in items:
        item.require("name", "metric", "value")
        if item["metric"] not in METRICS:
            raise item.error(f"unknown metric '{item['metric']}' (one of {', '.join(sorted(METRICS))})")
        if not isinstance(item["value"], int) or item["value"] <= 0:
            raise item.error("'value' must be a positive whole number")
        changed += upsert(Target, item, name=item["name"], metric=item["metric"], value=item["value"],
                          deadline=as_date(item, "deadline"), source=item.get("source") or "")
    return changed


@section("phases", order=41)
def load_phases(items: list[Item]) -> int:
    check_keys(items)
    changed = 0
    for item in items:
        item.require("number", "name", "starts_on", "ends_on", "professions_total", "schools_total",
                     "teacher_trainings")
        starts, ends = as_date(item, "starts_on"), as_date(item, "ends_on")
        if ends < starts:
            raise item.error("'ends_on' is before 'starts_on'")
        changed += upsert(Phase, item, number=item["number"], name=item["name"], starts_on=starts, ends_on=ends,
                          professions_total=item["professions_total"], schools_total=item["schools_total"],
                          teacher_trainings=item["teacher_trainings"])
    return changed
