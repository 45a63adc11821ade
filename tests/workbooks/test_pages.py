"""What authors and readers see: editor, sanitised content, worksheet fields, history and diff, print and PDF."""
import io
import re

import pypdf
import pytest

from app.extensions import db
from app.workbooks import services
from app.workbooks.models import PageVersion, WorkbookPage
from tests import factories
from tests.workbooks import helpers


def _pdf_text(data: bytes) -> str:
    return re.sub(r"[\s\x00]+", "", "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages))


def test_author_creates_a_workbook_and_a_page_through_the_forms(client, login_as):
    author = login_as("teacher")
    prof = helpers.profession()
    response = client.form(f"/professions/{prof.id}/workbooks/new", {"title": "电气控制线路安装工作页"},
                           token_from=f"/professions/{prof.id}/workbooks/new")
    assert response.status_code == 302
    wb_url = response.headers["Location"]
    response = client.form(wb_url + "/pages/new", {
        "title": "识读电路图", "stage": "inform", "source": helpers.PAGE, "change_note": "初稿",
        "effective_date": "2026-09-01"}, token_from=wb_url + "/pages/new")
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "识读电路图" in page and "获取信息" in page and "草稿" in page and "螺栓扭矩记录" in page
    version = db.session.scalars(db.select(PageVersion).where(PageVersion.author_id == author.id)).one()
    assert [f["key"] for f in version.fields] == ["tools", "torque"]
    assert version.fields[1]["rows"] == 2 and version.fields[1]["columns"][1]["unit"] == "N·m"


def test_bad_worksheet_block_goes_back_to_the_form_with_its_line(client, login_as):
    author = login_as("teacher")
    wb = helpers.workbook(author)
    db.session.commit()
    source = "正文\n\n```worksheet\n- key: Bad Key\n  type: text\n  label: 姓名\n```\n"
    response = client.form(f"/workbooks/{wb.id}/pages/new", {"title": "页", "source": source,
                                                              "effective_date": "2026-09-01"},
                           token_from=f"/workbooks/{wb.id}/pages/new")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "第 3 行" in body and "Bad Key" in body
    assert db.session.scalar(db.select(db.func.count()).select_from(WorkbookPage)
                             .where(WorkbookPage.workbook_id == wb.id)) == 0


def test_markdown_is_sanitised_once_when_saved(client, login_as, monkeypatch):
    author = login_as("teacher")
    source = ("<script>alert(1)</script>\n\n[点我](javascript:alert(1))\n\n<img src=x onerror=alert(1)>\n\n"
              "![示意图](/media/brake.png)\n\n**注意安全**")
    version = helpers.page(helpers.workbook(author), author, source=source)
    db.session.commit()
    # Raw HTML in the source is shown as text at most, never as markup.
    assert "<script" not in version.html and 'href="javascript' not in version.html
    assert not re.search(r"<[^>]*onerror", version.html)
    assert '<img src="/media/brake.png" alt="示意图">' in version.html and "<strong>注意安全</strong>" in version.html

    def _refuse(*args, **kwargs):
        raise AssertionError("reading a page must not sanitise again")

    import app.core.sanitize as sanitize
    import app.workbooks.markup as markup

    monkeypatch.setattr(sanitize, "clean_html", _refuse)
    monkeypatch.setattr(markup, "render_markdown", _refuse)
    body = client.get(f"/workbook-pages/{version.page_id}").get_data(as_text=True)
    assert "<strong>注意安全</strong>" in body and "<script>alert" not in body


def test_forged_worksheet_slot_in_raw_html_is_removed():
    from app.workbooks.markup import render_page

    rendered = render_page('<div class="worksheet-slot" data-field="tools"></div>\n\nGXSLOTabcdtools')
    assert '<div class="worksheet-slot"' not in rendered.html and rendered.fields == []


def test_history_and_escaped_diff(client, login_as):
    author = login_as("teacher")
    reviewer = factories.user("reviewer")
    v1 = helpers.publish(helpers.page(helpers.workbook(author), author, source="第一步：拆卸车轮\n第二步：检查"),
                         author, reviewer)
    services.save_version(v1.page, author=author, title="更换制动片", source="第一步：拆卸车轮\n第二步：<script>x</script>",
                          change_note="修改第二步")
    db.session.commit()
    history = client.get(f"/workbook-pages/{v1.page_id}/history").get_data(as_text=True)
    assert "修改第二步" in history and "第 2 版" in history and "在用" in history
    diff = client.get(f"/workbook-pages/{v1.page_id}/diff?old=2&new=1").get_data(as_text=True)
    assert "第 1 版与第 2 版的差异" in diff
    assert 'class="diff-del"' in diff and "第二步：检查" in diff
    assert "&lt;script&gt;x&lt;/script&gt;" in diff and "<script>x" not in diff
    side = client.get(f"/workbook-pages/{v1.page_id}/diff?old=1&new=2&mode=side").get_data(as_text=True)
    assert "&lt;script&gt;x&lt;/script&gt;" in side and "<script>x" not in side and 'class="diff"' in side
    # Only the two versions side by side: no difflib navigation column ("f"/"n"/"t" links) or English.
    assert "diff_next" not in side and 'href="#difflib_chg' not in side
    assert not re.search(r"<a [^>]*>[fnt]</a>", side)
    same = client.get(f"/workbook-pages/{v1.page_id}/diff?old=1&new=1&mode=side").get_data(as_text=True)
    assert "No Differences Found" not in same and "两个版本内容相同" in same


def test_print_view_has_one_leaf_per_page_with_its_header(client, login_as):
    author = factories.user("teacher")
    reviewer = factories.user("reviewer")
    wb = helpers.workbook(author)
    helpers.publish(helpers.page(wb, author, title="第一页", stage="plan"), author, reviewer)
    helpers.publish(helpers.page(wb, author, title="第二页"), author, reviewer)
    helpers.page(wb, author, title="未发布的页")
    db.session.commit()
    login_as("student")
    body = client.get(f"/workbooks/{wb.id}/print").get_data(as_text=True)
    assert body.count('data-testid="leaf"') == 2 and "未发布的页" not in body
    assert wb.profession.name in body and "制定计划" in body and "第 1 版" in body and "2026年9月1日" in body
    css = client.get("/static/css/workbooks.css").get_data(as_text=True)
    assert "page-break-after: always" in css and "@media print" in css
    # Students cannot ask for the drafts proof.
    assert "未发布的页" not in client.get(f"/workbooks/{wb.id}/print?drafts=1").get_data(as_text=True)


def test_pdf_renders_chinese_headers_content_and_fields(client, login_as):
    author = factories.user("teacher")
    reviewer = factories.user("reviewer")
    wb = helpers.workbook(author)
    helpers.publish(helpers.page(wb, author), author, reviewer)
    helpers.page(wb, author, title="未发布的页")
    db.session.commit()
    login_as("student")
    response = client.get(f"/workbooks/{wb.id}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    text = _pdf_text(response.data)
    assert "汽车制动系统检修工作页" in text and "更换制动片" in text and "本页练习更换制动片。" in text
    assert "领取工具" in text and "扭力扳手" in text and "螺栓扭矩记录" in text and "左前" in text
    assert "页码：1" in text and "第1版" in text and "未发布的页" not in text


@pytest.mark.parametrize("pages", [1, 6])
def test_workbook_and_page_statements_stay_constant(client, login_as, count_queries, pages):
    author = factories.user("teacher")
    reviewer = factories.user("reviewer")
    wb = helpers.workbook(author)
    first = None
    for n in range(pages):
        v = helpers.publish(helpers.page(wb, author, title=f"第{n}页"), author, reviewer)
        services.save_version(v.page, author=author, title=f"第{n}页", source="草稿")
        first = first or v
    for n in range(pages):
        helpers.workbook(author, title=f"另一本{n}")
    db.session.commit()
    login_as(user=author)
    counts = {}
    for name, url in {"list": f"/professions/{wb.profession_id}/workbooks", "workbook": f"/workbooks/{wb.id}",
                      "page": f"/workbook-pages/{first.page_id}", "history": f"/workbook-pages/{first.page_id}/history",
                      "index": "/workbooks", "print": f"/workbooks/{wb.id}/print"}.items():
        with count_queries() as q:
            assert client.get(url).status_code == 200
        counts[name] = q.count
    # Same numbers for 1 and 6 pages/workbooks (the parametrised runs compare against these ceilings).
    assert counts == EXPECTED_COUNTS, counts


# "print" is 3 since the session lookup stopped preloading roles the print view never asks for.
EXPECTED_COUNTS = {"list": 5, "workbook": 4, "page": 5, "history": 4, "index": 3, "print": 3}


def test_pdf_copes_with_markup_fpdf_cannot_nest(client, login_as):
    author = factories.user("teacher")
    reviewer = factories.user("reviewer")
    wb = helpers.workbook(author)
    source = ("| 步骤 | 安全要点 |\n|---|---|\n| 1 | 卡钳**不得**悬挂在[软管](https://example.com)上，`注意` |\n\n"
              "- 外层\n  - 内层 **加粗**\n\n> - 引用里的列表\n\n![示意图](/media/x.png)\n")
    helpers.publish(helpers.page(wb, author, source=source), author, reviewer)
    db.session.commit()
    login_as("student")
    response = client.get(f"/workbooks/{wb.id}/pdf")
    assert response.status_code == 200
    text = _pdf_text(response.data)
    assert "卡钳不得悬挂在软管上，注意" in text and "内层加粗" in text and "引用里的列表" in text
    assert "[图片未打印：示意图" in text  # not a stored image this application serves: a note, never a fetch


def test_editor_says_so_while_a_version_waits_for_review(client, login_as):
    author = login_as("teacher")
    version = helpers.page(helpers.workbook(author), author)
    from app.review import services as review

    review.submit(version, author)
    db.session.commit()
    body = client.get(f"/workbook-pages/{version.page_id}/edit").get_data(as_text=True)
    assert "第 1 版正在审核中" in body and "保存草稿" not in body
    response = client.form(f"/workbook-pages/{version.page_id}/edit",
                           {"title": "x", "source": "y", "effective_date": "2026-09-01"},
                           token_from=f"/workbook-pages/{version.page_id}")
    assert response.status_code == 409


def test_cli_prints_a_workbook_to_pdf_and_lists_workbooks(runner, tmp_path):
    author = factories.user("teacher")
    wb = helpers.workbook(author)
    helpers.page(wb, author, title="校样页")
    db.session.commit()
    out = tmp_path / "wb.pdf"
    result = runner.invoke(args=["workbooks", "pdf", str(wb.id), "-o", str(out), "--drafts"])
    assert result.exit_code == 0, result.output
    assert "校样页" in _pdf_text(out.read_bytes())
    result = runner.invoke(args=["workbooks", "pdf", str(wb.id), "-o", str(out)])
    assert "校样页" not in _pdf_text(out.read_bytes())
    assert "没有键名或编号为 nope 的活页式教材" in runner.invoke(args=["workbooks", "pdf", "nope", "-o", str(out)]).output
    listing = runner.invoke(args=["workbooks", "list"]).output
    assert f"{wb.id}\t-\t" in listing and "0/1\t汽车制动系统检修工作页" in listing


def test_a_page_inserted_before_page_two_pushes_the_others_down(client, login_as):
    author = login_as("teacher")
    wb = helpers.workbook(author)
    helpers.page(wb, author, title="第一页")
    helpers.page(wb, author, title="原第二页")
    db.session.commit()
    url = f"/workbooks/{wb.id}/pages/new"
    response = client.form(url, {"title": "插入页", "source": "x", "effective_date": "2026-09-01", "position": "2"},
                           token_from=url)
    assert response.status_code == 302
    rows = services.pages_of_workbook(wb, include_unpublished=True)
    assert [(r.page.position, r.shown.title) for r in rows] == [(1, "第一页"), (2, "插入页"), (3, "原第二页")]


def test_titles_are_kept_to_one_line_so_the_pdf_download_works(client, login_as):
    author = login_as("teacher")
    prof = helpers.profession()
    url = f"/professions/{prof.id}/workbooks/new"
    response = client.form(url, {"title": "制动系统\r\nX-Injected: 1\n检修工作页"}, token_from=url)
    assert response.status_code == 302
    wb_url = response.headers["Location"]
    response = client.form(wb_url + "/pages/new", {"title": "更换\n制动片", "source": "正文",
                                                   "effective_date": "2026-09-01"}, token_from=wb_url + "/pages/new")
    assert response.status_code == 302
    version = db.session.scalars(db.select(PageVersion).where(PageVersion.author_id == author.id)).one()
    assert version.title == "更换 制动片" and version.page.workbook.title == "制动系统 X-Injected: 1 检修工作页"
    pdf = client.get(wb_url + "/pdf?drafts=1")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert "X-Injected" not in pdf.headers and "\n" not in pdf.headers["Content-Disposition"]


def test_a_stored_title_with_a_line_break_still_downloads(client, login_as):
    author = login_as("teacher")
    wb = helpers.workbook(author)
    wb.title = "旧标题\n第二行"  # saved before titles were kept to one line
    db.session.commit()
    pdf = client.get(f"/workbooks/{wb.id}/pdf")
    assert pdf.status_code == 200
    assert pdf.headers["Content-Disposition"].endswith("''%E6%97%A7%E6%A0%87%E9%A2%98%20%E7%AC%AC%E4%BA%8C%E8%A1%8C.pdf")
