"""Download headers: the Chinese name for every current browser, a sensible plain name for the rest."""
from __future__ import annotations

from urllib.parse import unquote

from app.core.exports import download_name


def _parts(name: str) -> tuple[str, str]:
    header = download_name(name)["Content-Disposition"]
    plain = header.split('filename="', 1)[1].split('";', 1)[0]
    encoded = unquote(header.split("filename*=UTF-8''", 1)[1])
    return plain, encoded


def test_a_chinese_name_keeps_its_extension_and_is_not_a_bare_hidden_file():
    plain, encoded = _parts("作业报告.pdf")
    assert encoded == "作业报告.pdf"
    assert plain == "download.pdf"


def test_mixed_names_keep_their_ascii_part():
    assert _parts("GX-2026-000123 证书.pdf") == ("GX-2026-000123.pdf", "GX-2026-000123 证书.pdf")


def test_quotes_backslashes_and_line_breaks_cannot_break_the_header():
    plain, encoded = _parts('a"b\\c\r\nX-Evil: 1.csv')
    assert '"' not in plain and "\\" not in plain and "\n" not in plain and "\r" not in plain
    assert "\n" not in download_name('a"b\r\nX.csv')["Content-Disposition"]
    assert encoded == 'a"b\\cX-Evil: 1.csv'
