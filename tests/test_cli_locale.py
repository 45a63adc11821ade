"""``flask ...`` commands speak the configured locale (zh_CN by default), like the pages.

The whole class: no command prints or refuses with an English literal (everything goes through ``_()``), and
refusals use :class:`app.core.cli.CliError`, whose "错误：" prefix is translated (click's own is English)."""
from __future__ import annotations

import ast
import re
from pathlib import Path

APP = Path(__file__).resolve().parents[1] / "app"
ENGLISH = re.compile(r"[A-Za-z]{3,}")
#: Calls whose first argument is shown to the person at the terminal.
SHOWN = {"echo", "secho", "CliError", "ClickException", "BadParameter", "UsageError", "_fail"}


def _literal_text(node) -> str | None:
    """The literal text of a str constant or f-string (placeholders left out), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
    return None


def _cli_modules():
    for path in sorted(APP.rglob("*.py")):
        source = path.read_text("utf-8")
        if "import click" in source:
            yield path, ast.parse(source)


def test_no_command_prints_an_english_literal():
    found = []
    for path, tree in _cli_modules():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            texts = []
            if name in SHOWN and node.args:
                texts.append(_literal_text(node.args[0]))
            texts += [_literal_text(k.value) for k in node.keywords if k.arg == "label"]
            for text in texts:
                if text and ENGLISH.search(text):
                    found.append(f"{path.relative_to(APP.parent)}:{node.lineno}: {text!r}")
    assert found == [], "CLI output must go through _() (Chinese source, English in the catalogue):\n" + \
        "\n".join(found)


def test_commands_refuse_with_the_translated_error():
    users = [f"{path.relative_to(APP.parent)}:{node.lineno}" for path, tree in _cli_modules()
             for node in ast.walk(tree)
             if isinstance(node, ast.Attribute) and node.attr == "ClickException"
             and path.relative_to(APP).as_posix() != "core/cli.py"]
    assert users == [], f"raise app.core.cli.CliError instead (its 错误： prefix is translated): {users}"


def test_a_command_prints_chinese_by_default_and_english_when_configured(app, runner):
    result = runner.invoke(args=["exams", "close-overdue"])
    assert result.exit_code == 0 and "已关闭 0 份超时的答卷" in result.output
    refused = runner.invoke(args=["workbooks", "pdf", "nope", "-o", "/dev/null"])
    assert refused.exit_code == 1 and refused.output.startswith("错误：没有键名或编号为 nope 的活页式教材")
    from flask_babel import refresh

    app.config["BABEL_DEFAULT_LOCALE"] = "en"
    refresh()  # the test's app context cached the locale of the commands above; a real run is a new process
    try:
        english = runner.invoke(args=["exams", "close-overdue"])
        refused_en = runner.invoke(args=["workbooks", "pdf", "nope", "-o", "/dev/null"])
    finally:
        app.config["BABEL_DEFAULT_LOCALE"] = "zh_CN"
        refresh()
    assert "Closed 0 overdue attempt(s)" in english.output
    assert refused_en.output.startswith("Error: No workbook with key or id nope")
