"""What an import says is Chinese and human: the format by its name (GIFT 格式, not ``gift``), XML errors
translated with their line, and the ``flask questions import`` report in the configured locale."""
from __future__ import annotations

import io
import json
import re

import pytest

from app.questions.formats import FORMATS, get_format
from tests.questions.test_files import xlsx
from tests.questions.test_gift import run_import
from tests.questions.test_pages import make_bank

FILES = {
    "gift": ("q.gift", "::甲::题一{=对 ~错}\n".encode()),
    "aiken": ("q.txt", "扳手是什么？\nA. 工具\nB. 食物\nANSWER: A\n".encode()),
    "moodlexml": ("q.xml", '<?xml version="1.0"?><quiz><question type="truefalse"><name><text>t</text></name>'
                           '<questiontext><text>对吗</text></questiontext><answer fraction="100"><text>true</text>'
                           '</answer><answer fraction="0"><text>false</text></answer></question></quiz>'.encode()),
    "json": ("q.json", json.dumps({"questions": [{"type": "true_false", "text": "对吗", "answers": [
        {"text": "True", "fraction": 1}, {"text": "False", "fraction": 0}]}]}, ensure_ascii=False).encode()),
    "xlsx": ("q.xlsx", None),
}
LABELS = {"gift": "GIFT 格式", "aiken": "Aiken 格式", "moodlexml": "Moodle XML", "json": "JSON", "xlsx": "Excel"}


@pytest.mark.parametrize("fmt", sorted(FILES))
def test_import_preview_names_the_format_as_people_know_it(client, login_as, fmt):
    teacher = login_as("teacher")
    bank = make_bank(teacher)
    name, data = FILES[fmt]
    if data is None:
        data = xlsx([["题型", "题干", "正确答案"], ["判断", "对吗", "对"]])
    url = f"/questions/banks/{bank.id}/import"
    response = client.form(url, {"file": (io.BytesIO(data), name), "format": "auto"}, token_from=url,
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[:2000]
    assert f"格式：{LABELS[fmt]}；" in page
    assert f"格式：{fmt}；" not in page


def test_every_importable_format_has_a_human_label_that_is_not_its_key(app):
    for name, fmt in FORMATS.items():
        if fmt.can_import:
            assert str(fmt.label) and str(fmt.label) != name, name


BROKEN_XML = [
    (b'<?xml version="1.0"?>\n<quiz>\n<question type="truefalse"', 3, "没有闭合"),
    (b'<?xml version="1.0"?>\n<quiz>\n<question></name>\n</quiz>', 3, "不匹配"),
    (b'<quiz>\n\n<question><name><text>a&nbsp;b</text></name></question></quiz>', 3, "未定义的实体"),
    (b'<quiz></quiz>\n<quiz></quiz>', 2, "多余的内容"),
    (b'<quiz>\n<question a="1" a="2"/></quiz>', 2, "属性"),
]


@pytest.mark.parametrize("data,line,words", BROKEN_XML)
def test_xml_parse_errors_are_chinese_with_their_line(app, data, line, words):
    errors = get_format("moodlexml").parse(data).errors
    assert len(errors) == 1 and errors[0]["line"] == line
    message = errors[0]["message"]
    assert f"第 {line} 行" in message and words in message
    # expat's English ("unclosed token", "mismatched tag", "line 3, column 2") never reaches the user.
    assert not re.search(r"[A-Za-z]{4,}", message.replace("XML", "").replace("nbsp", "")), message


def test_cli_import_report_is_chinese_by_default(runner, tmp_path):
    result = run_import(runner, tmp_path, "::甲::题一{=对 ~错}\n\n::乙::坏题 {=a ~b\n", "--bank", "zh-cli", "--dry-run")
    assert result.exit_code == 1
    output = result.output
    assert "格式：GIFT 格式" in output and "第 3 行" in output and "未导入任何试题" in output
    for english in ("format:", "questions read", "error(s)", "nothing was imported", "line 3"):
        assert english not in output, output


def test_cli_output_follows_the_configured_locale(app, runner, tmp_path):
    from flask_babel import refresh

    app.config["BABEL_DEFAULT_LOCALE"] = "en"
    refresh()
    try:
        result = run_import(runner, tmp_path, "::甲::题一{=对 ~错}\n", "--bank", "en-cli", "--dry-run")
    finally:
        app.config["BABEL_DEFAULT_LOCALE"] = "zh_CN"
        refresh()
    assert result.exit_code == 0, result.output
    assert "GIFT format" in result.output and "dry run" in result.output.lower()
    assert "格式" not in result.output


def test_cli_refusals_are_chinese_including_the_error_prefix(runner, tmp_path):
    result = runner.invoke(args=["questions", "export", "--bank", "nope", "--format", "gift",
                                 "-o", str(tmp_path / "x.gift")])
    assert result.exit_code == 1
    assert "错误：没有这个题库：nope" in result.output
    assert "Error" not in result.output and "no such bank" not in result.output


def test_import_page_refuses_a_zip_with_100000_entries_with_a_clear_reason(client, login_as):
    import time

    from tests.media import samples

    teacher = login_as("teacher")
    bank = make_bank(teacher)
    url = f"/questions/banks/{bank.id}/import"
    data = samples.many_entries(100_000)
    started = time.perf_counter()
    response = client.form(url, {"file": (io.BytesIO(data), "题库.xlsx"), "format": "auto"}, token_from=url,
                           content_type="multipart/form-data")
    assert time.perf_counter() - started < 3.0
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'type="file"' in page  # the import form again, with the reason
    assert "压缩文件包含的条目过多（100,001 个，上限 10,000 个）" in page
