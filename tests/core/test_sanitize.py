"""User-written HTML and Markdown lose everything that could run in a reader's browser."""
from app.core.sanitize import clean_html, render_markdown


def test_scripts_event_handlers_and_javascript_urls_are_removed():
    html = clean_html('<p onclick="x()">正文<script>alert(1)</script><a href="javascript:alert(1)">链接</a>'
                      '<img src="x.png" onerror="alert(1)"><style>p{}</style><iframe src="//evil"></iframe></p>')
    assert "script" not in html and "alert" not in html and "onerror" not in html and "onclick" not in html
    assert "javascript:" not in html and "iframe" not in html
    assert "正文" in html and "链接" in html and '<img src="x.png">' in html


def test_svg_and_data_urls_are_not_kept():
    html = clean_html('<svg onload="alert(1)"><circle/></svg><img src="data:text/html;base64,PHNjcmlwdD4=">')
    assert "<svg" not in html and "data:" not in html


def test_markdown_renders_tables_and_escapes_raw_html():
    html = render_markdown("## 任务描述\n\n<script>alert(1)</script>\n\n[坏链接](javascript:alert(1)) "
                           "[手册](https://example.cn/m.pdf)\n\n|工具|数量|\n|-|-|\n|扭力扳手|1|\n")
    assert "<h2>任务描述</h2>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="javascript' not in html and '<a href="https://example.cn/m.pdf">手册</a>' in html
    assert "<td>扭力扳手</td>" in html


def test_empty_input():
    assert clean_html("") == "" and render_markdown("") == ""
