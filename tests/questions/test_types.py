"""The question-type registry: authoring checks, what students see, response shapes and grading."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from app.errors import ValidationError
from app.questions.types import TYPES, get_type


def version(type_name, data, text="题干", points=2.0):
    return SimpleNamespace(type=type_name, text=text, data=get_type(type_name).validate_data(data), points=points)


def test_registry_has_every_type():
    assert list(TYPES) == ["single_choice", "multiple_choice", "true_false", "fill_blank", "numerical",
                           "matching", "essay", "description"]


def test_single_choice_public_view_hides_answers_and_grades():
    v = version("single_choice", {"options": [{"text": "对的", "fraction": 1, "feedback": "好"},
                                              {"text": "错的", "fraction": 0}]})
    view = get_type("single_choice").public_view(v)
    assert view["options"] == [{"key": "A", "text": "对的"}, {"key": "B", "text": "错的"}]
    assert "fraction" not in str(view) and "好" not in str(view)
    t = TYPES["single_choice"]
    assert t.grade(v.data, t.validate_response(v.data, "A"), 2.0) == (2.0, 1.0)
    assert t.grade(v.data, "B", 2.0) == (0.0, 0.0)
    with pytest.raises(ValidationError):
        t.validate_response(v.data, "Z")


def test_multiple_choice_scoring_modes():
    t = TYPES["multiple_choice"]
    data = t.validate_data({"options": [{"text": "a", "fraction": 0.5}, {"text": "b", "fraction": 0.5},
                                        {"text": "c", "fraction": -1}, {"text": "d", "fraction": 0}]})
    assert t.validate_response(data, "BA") == ["A", "B"]
    assert t.grade(data, ["A", "B"], 4) == (4.0, 1.0)
    assert t.grade(data, ["A"], 4) == (0.0, 0.0)
    assert t.grade(data, ["A"], 4, scoring="proportional") == (2.0, 0.5)
    assert t.grade(data, ["A", "D"], 4, scoring="proportional") == (0.0, 0.0)
    assert t.grade(data, ["A", "C"], 4, scoring="fractions") == (0.0, 0.0)
    assert t.grade(data, ["A", "D"], 4, scoring="fractions") == (2.0, 0.5)


def test_true_false_accepts_chinese_spellings():
    t = TYPES["true_false"]
    data = t.validate_data({"answer": False, "feedback_true": "想错了", "feedback_false": "对"})
    assert t.validate_response(data, "×") is False
    assert t.grade(data, False, 1) == (1, 1.0)
    assert t.feedback(data, True) == "想错了"
    with pytest.raises(ValidationError):
        t.validate_response(data, "maybe")


def test_fill_blank_width_case_whitespace_and_wildcards():
    t = TYPES["fill_blank"]
    data = t.validate_data({"blanks": [{"answers": ["ＡＢＣ １"]}, {"answers": ["电*机", {"text": "马达", "fraction": 0.5}]}]})
    assert t.grade(data, ["abc   1", "电动机"], 4) == (4.0, 1.0)
    assert t.grade(data, ["abc1", "马达"], 4) == (1.0, 0.25)
    strict = t.validate_data({"blanks": [{"answers": ["Nm"]}], "case_sensitive": True, "whitespace": "ignore"})
    assert t.grade(strict, [" N m "], 1) == (1.0, 1.0)
    assert t.grade(strict, ["nm"], 1) == (0.0, 0.0)
    with pytest.raises(ValidationError):
        t.validate_response(data, ["only one"])


def test_numerical_tolerance_ranges_and_fullwidth_input():
    t = TYPES["numerical"]
    data = t.validate_data({"answers": [{"value": 9.8, "tolerance": 0.1}, {"min": 1, "max": 5, "fraction": 0.5}]})
    assert t.grade(data, t.validate_response(data, "９.７５"), 2) == (2.0, 1.0)
    assert t.grade(data, 4.9, 2) == (1.0, 0.5)
    assert t.grade(data, 6, 2) == (0.0, 0.0)
    with pytest.raises(ValidationError):
        t.validate_response(data, "十")


def test_matching_public_order_does_not_reveal_pairs():
    t = TYPES["matching"]
    v = version("matching", {"pairs": [{"prompt": "扳手", "answer": "拧螺栓"}, {"prompt": "万用表", "answer": "测电压"}],
                             "distractors": ["焊接"]})
    view = t.public_view(v)
    assert [o["text"] for o in view["options"]] == sorted(["拧螺栓", "测电压", "焊接"])
    right = t.correct_answer_view(v.data)["pairs"]
    assert t.grade(v.data, t.validate_response(v.data, right), 3) == (3.0, 1.0)
    assert t.grade(v.data, {"1": right["1"]}, 3) == (1.5, 0.5)
    with pytest.raises(ValidationError):
        t.validate_response(v.data, {"9": "A"})


def test_essay_is_graded_by_hand_and_limits_files():
    t = TYPES["essay"]
    data = t.validate_data({"require_attachment": True})
    assert data["attachments"] == 1 and not t.is_auto_graded
    assert t.grade(data, {"text": "x", "files": []}, 5) == (None, None)
    with pytest.raises(ValidationError):
        t.validate_response(data, {"text": "x", "files": [1, 2]})


def test_description_has_no_points():
    v = version("description", {}, points=0)
    assert not TYPES["description"].has_points and TYPES["description"].public_view(v)["points"] == 0


def test_authoring_errors_are_clear():
    with pytest.raises(ValidationError, match="完全正确"):
        get_type("single_choice").validate_data({"options": [{"text": "a"}, {"text": "b"}]})
    with pytest.raises(ValidationError):
        get_type("nope")


@pytest.mark.parametrize("type_name,data,responses", [
    ("single_choice", {"options": [{"text": "a", "fraction": 1}, {"text": "b", "fraction": 0.5}, {"text": "c"}]},
     ["A", "B", "C", None, "Z"]),
    ("true_false", {"answer": True}, [True, False, None]),
    ("multiple_choice", {"options": [{"text": "a", "fraction": 0.5}, {"text": "b", "fraction": 0.5}, {"text": "c"}]},
     [["A", "B"], ["A"], [], ["A", "B", "C"]]),
    ("fill_blank", {"blanks": [{"answers": ["x"]}]}, [["x"], ["y"], []]),
])
def test_precompiled_grader_equals_grade(type_name, data, responses):
    t = TYPES[type_name]
    data = t.validate_data(data)
    for scoring in (None, "proportional", "fractions"):
        g = t.grader(data, 3.0, scoring=scoring)
        for response in responses:
            assert g(response) == t.grade(data, response, 3.0, scoring=scoring)


def test_numerical_blank_with_spaces_is_unanswered():
    t = TYPES["numerical"]
    data = t.validate_data({"answers": [{"value": 1}]})
    assert t.validate_response(data, "  ") is None and t.validate_response(data, "\u3000") is None
    with pytest.raises(ValidationError):
        t.validate_response(data, "一")


def test_fill_blank_escaped_asterisk_is_literal():
    """Moodle's short answer: ``*`` is a wildcard, ``\\*`` an asterisk (formulas such as P=U*I)."""
    t = TYPES["fill_blank"]
    data = t.validate_data({"blanks": [{"answers": ["P=U\\*I"]}, {"answers": ["*电机"]}]})
    assert t.grade(data, ["P=U*I", "异步电机"], 2) == (2.0, 1.0)
    assert t.grade(data, ["P=UxI", "电机"], 2) == (1.0, 0.5)
    assert t.correct_answer_view(data)["blanks"][0] == ["P=U*I"]


def test_multiple_choice_weights_must_reach_full_marks():
    """As in Moodle: with weighted scoring the right options' fractions add up to 100 %, else nobody could earn
    full marks (the import reports the question's line)."""
    t = TYPES["multiple_choice"]
    with pytest.raises(ValidationError) as err:
        t.validate_data({"options": [{"text": "a", "fraction": 0.5}, {"text": "b", "fraction": 0.3},
                                     {"text": "c", "fraction": -1}], "scoring": "fractions"})
    assert "100%" in err.value.message and "80%" in err.value.message
    thirds = t.validate_data({"options": [{"text": k, "fraction": 0.3333333} for k in "abc"] + [{"text": "d"}],
                              "scoring": "fractions"})
    assert t.grade(thirds, ["A", "B", "C"], 3)[1] > 0.999
