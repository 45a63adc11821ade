"""Worksheet field definitions are validated by their type; answers later are checked against them."""
import pytest

from app.workbooks.fields import FIELD_TYPES, FieldError, validate_definitions, validate_response
from app.workbooks.markup import MarkupError, render_page


@pytest.fixture(autouse=True)
def _ctx(app):
    with app.test_request_context():
        yield


def test_every_documented_type_is_registered():
    assert set(FIELD_TYPES) == {"text", "long_text", "table", "checklist", "photo", "file"}


def test_definitions_are_normalised_with_defaults():
    fields = validate_definitions([
        {"key": "name", "type": "text", "label": "姓名"},
        {"key": "plan", "type": "long_text", "label": "工作计划", "lines": 8, "required": True},
        {"key": "grid", "type": "table", "label": "记录", "columns": ["位置", "读数"], "rows": 4},
        {"key": "done", "type": "checklist", "label": "检查", "items": ["断电", "挂牌"], "min_checked": 2},
        {"key": "pic", "type": "photo", "label": "现场照片", "max_files": 3, "stage": "check"},
        {"key": "doc", "type": "file", "label": "报告"},
    ])
    by_key = {f["key"]: f for f in fields}
    assert by_key["name"]["max_length"] == 200 and by_key["name"]["required"] is False
    assert by_key["plan"]["lines"] == 8 and by_key["plan"]["required"] is True
    assert [c["key"] for c in by_key["grid"]["columns"]] == ["c1", "c2"] and by_key["grid"]["rows"] == 4
    assert by_key["pic"]["max_files"] == 3 and by_key["pic"]["stage"] == "check"
    assert by_key["doc"]["max_files"] == 1


@pytest.mark.parametrize("raw, path, words", [
    ([{"key": "a", "type": "slider", "label": "x"}], "a.type", "slider"),
    ([{"key": "a", "type": "text"}], "a.label", "label"),
    ([{"key": "a", "type": "text", "label": "x", "onclick": "y"}], "a", "onclick"),
    ([{"key": "a", "type": "text", "label": "x"}, {"key": "a", "type": "text", "label": "y"}], "a.key", "重复"),
    ([{"key": "t", "type": "table", "label": "x", "columns": [{"key": "c", "label": "A"}, {"key": "c", "label": "B"}]}],
     "t.columns[1].key", "重复"),
    ([{"key": "t", "type": "table", "label": "x", "columns": [{"key": "c", "label": "A", "type": "date"}]}],
     "t.columns[0].type", "number"),
    ([{"key": "t", "type": "table", "label": "x", "columns": ["A"], "rows": 500}], "t.rows", "50"),
    ([{"key": "c", "type": "checklist", "label": "x", "items": []}], "c.items", "items"),
    ([{"key": "c", "type": "checklist", "label": "x", "items": ["a"], "min_checked": 2}], "c.min_checked", "1"),
    ([{"key": "p", "type": "photo", "label": "x", "max_files": 0}], "p.max_files", "10"),
    ([{"key": "1abc", "type": "text", "label": "x"}], "[0].key", "1abc"),
    (["just text"], "[0]", "映射"),
])
def test_bad_definitions_say_where(raw, path, words):
    with pytest.raises(FieldError) as info:
        validate_definitions(raw)
    assert info.value.path == path and words in info.value.message


def test_responses_are_checked_against_the_definition():
    fields = {f["key"]: f for f in validate_definitions([
        {"key": "name", "type": "text", "label": "姓名", "max_length": 5, "required": True},
        {"key": "grid", "type": "table", "label": "记录",
         "columns": [{"key": "pos", "label": "位置"}, {"key": "val", "label": "读数", "type": "number"}], "rows": 2},
        {"key": "done", "type": "checklist", "label": "检查", "items": ["断电", "挂牌", "验电"], "min_checked": 2},
        {"key": "pic", "type": "photo", "label": "照片", "max_files": 2},
    ])}
    assert validate_response(fields["name"], "  张三 ") == "张三"
    with pytest.raises(FieldError, match="必填"):
        validate_response(fields["name"], "")
    with pytest.raises(FieldError):
        validate_response(fields["name"], "太长的一个名字啊")
    assert validate_response(fields["grid"], [{"pos": "左前", "val": "1.5"}]) == [{"pos": "左前", "val": 1.5}]
    with pytest.raises(FieldError) as info:
        validate_response(fields["grid"], [{"pos": "左前", "val": "很多"}])
    assert info.value.path == "grid.[0].val"
    with pytest.raises(FieldError):
        validate_response(fields["grid"], [{}, {}, {}])
    assert validate_response(fields["done"], [2, 0, 0]) == [0, 2]
    with pytest.raises(FieldError):
        validate_response(fields["done"], [0])
    with pytest.raises(FieldError):
        validate_response(fields["done"], [0, 7])
    assert validate_response(fields["pic"], [5, 5, 6]) == [5, 6]
    with pytest.raises(FieldError):
        validate_response(fields["pic"], [1, 2, 3])


def test_worksheet_blocks_in_markdown_become_fields_and_slots():
    rendered = render_page("前言\n\n```worksheet\nkey: only\ntype: text\nlabel: 单个\n```\n\n后记")
    assert [f["key"] for f in rendered.fields] == ["only"]
    assert rendered.html.index("前言") < rendered.html.index('data-field="only"') < rendered.html.index("后记")


@pytest.mark.parametrize("source, line", [
    ("a\n\n```worksheet\n- key: x\n  type: text\n  label: [unclosed\n```", 6),
    ("a\n\n- item\n\n  ```worksheet\n  - key: x\n    type: text\n    label: y\n  ```", 5),
    ("```worksheet\n- key: x\n  type: text\n  label: a\n```\n\n```worksheet\n- key: x\n  type: text\n  label: b\n```", 7),
])
def test_bad_worksheet_blocks_report_their_line(source, line):
    with pytest.raises(MarkupError) as info:
        render_page(source)
    assert info.value.line == line
