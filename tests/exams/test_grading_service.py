"""The batch grading service (compiled graders per question version) gives what each type's grade() gives."""
from __future__ import annotations

import pytest

from app.exams import services
from app.questions.types import TYPES
from tests.exams.builders import SAMPLE_DATA


@pytest.mark.parametrize("scoring", [None, "all_or_nothing", "proportional", "fractions"])
def test_batch_grades_equal_per_item_grades(scoring):
    data = {name: TYPES[name].validate_data(SAMPLE_DATA[name])
            for name in ("single_choice", "multiple_choice", "true_false", "fill_blank", "numerical")}
    responses = {"single_choice": ["A", "B", None], "multiple_choice": [["A", "B"], ["A"], ["A", "C"], []],
                 "true_false": [True, False, None], "fill_blank": [["扭矩", "nm"], ["扭矩", "kg"], ["", ""]],
                 "numerical": [9.815, 3.0, None]}
    # The same version at two point values in one batch gets a grader for each.
    versions = {(name, points): (name, data[name], points) for name in data for points in (1.0, 2.5)}
    items = [((name, points), response) for (name, points) in versions for response in responses[name]]
    expected = [TYPES[name].grade(data[name], response, points, scoring=scoring)
                for (name, points), response in items]
    assert services.grade_items(versions, items, scoring) == expected
    assert services.grade_items({}, []) == []
