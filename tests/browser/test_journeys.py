"""What people do in a real browser: log in per role, log out for good, import users, activate, use a phone,
switch to English. Every page visited must log no console error (a CSP violation is one)."""
from __future__ import annotations

import csv
import io
import urllib.request

import openpyxl
import pytest

from tests.browser.conftest import PHONE, assert_fits_screen, log_in, log_out

#: username -> (heading of their home page, sees the user administration).
DEMO_HOMES = {
    "admin": ("平台概览", True),
    "schooladmin": ("示范技师学院", True),
    "reviewer": ("审核专家工作台", False),
    "teacher": ("教师工作台", False),
    "student": ("学习中心", False),
    "mentor": ("您好，陈师傅", False),
}


def _nav(page):
    return page.get_by_role("navigation", name="主导航")


def _fetch_with_cookies(url: str, cookies: list[dict]) -> str:
    """GET ``url`` outside the browser with the given cookies; a redirect (to the login page) is an error."""
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    request = urllib.request.Request(url, headers={"Cookie": "; ".join(f"{c['name']}={c['value']}" for c in cookies)})
    with urllib.request.build_opener(NoRedirect).open(request) as response:
        assert response.status == 200
        return response.read().decode("utf-8")


@pytest.mark.parametrize("username", list(DEMO_HOMES))
def test_each_demo_account_logs_in_sees_its_home_and_its_old_cookie_dies_at_logout(new_context, server, username):
    heading, administers_users = DEMO_HOMES[username]
    context = new_context()
    page = context.new_page()
    log_in(page, username)

    assert page.get_by_test_id("home-title").inner_text() == heading
    assert page.get_by_role("status").filter(has_text="欢迎回来").is_visible()
    assert _nav(page).get_by_role("link", name="首页").is_visible()
    # 用户管理 sits in the 管理 menu (hidden until opened): count it whether or not the menu is open.
    assert _nav(page).get_by_role("link", name="用户管理", include_hidden=True).count() == (1 if administers_users else 0)
    if administers_users:
        _nav(page).get_by_role("button", name="管理", exact=True).click()
        assert _nav(page).get_by_role("link", name="用户管理").is_visible()

    if username == "admin":
        # A picture of the busiest home page for a person to look at.
        page.screenshot(path="/tmp/gx-admin-home.png", full_page=True)

    # A copy of the session cookie works while the session lives...
    stolen = context.cookies()
    assert any(c["name"] == "gx_session" for c in stolen)
    assert heading in _fetch_with_cookies(server + "/home", stolen)

    # ...and is refused once its owner has logged out.
    log_out(page)
    assert page.get_by_role("status").filter(has_text="您已安全退出").is_visible()
    replay = new_context()
    replay.add_cookies(stolen)
    replayed = replay.new_page()
    replayed.goto("/home")
    assert "/login" in replayed.url
    assert replayed.get_by_role("heading", name="登录").is_visible()


def _csv(rows) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")


def _codes_from_sheet(path) -> dict[str, str]:
    with open(path, "rb") as fh:
        sheet = openpyxl.load_workbook(io.BytesIO(fh.read()), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    user_col, code_col = header.index("用户名"), header.index("激活码")
    return {row[user_col]: row[code_col] for row in rows[1:]}


def test_school_admin_imports_users_with_progress_and_an_imported_student_activates(new_context):
    context = new_context(accept_downloads=True)
    page = context.new_page()
    log_in(page, "schooladmin")
    page.goto("/users/import")

    # The upload goes through the progress UI (an XMLHttpRequest), not a plain form post: hold the request
    # until the progress indicator has been seen.
    uploads = []

    def _watch_upload(route, request):
        if request.method == "POST":
            uploads.append((request.resource_type, page.locator("#import-progress").is_visible()))
        route.continue_()

    page.route("**/users/import", _watch_upload)
    page.get_by_label("用户名单（.xlsx 或 .csv）").set_input_files(files=[{
        "name": "新生名单.csv", "mimeType": "text/csv",
        "buffer": _csv([["用户名", "姓名", "角色", "学校代码"],
                        ["bx-student-1", "赵一", "学生", "demo-technician-college"],
                        ["bx-teacher-1", "钱二", "教师", "demo-technician-college"]])}])
    page.get_by_role("button", name="上传并导入").click()
    report = page.get_by_test_id("import-report")
    report.wait_for()
    assert uploads == [("xhr", True)]
    assert "新建 2" in report.inner_text() and "错误 0" in report.inner_text()

    with page.expect_download() as download:
        report.get_by_role("link", name="下载激活码表").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    codes = _codes_from_sheet(download.value.path())
    assert set(codes) == {"bx-student-1", "bx-teacher-1"}

    fresh = new_context().new_page()
    fresh.goto("/login")
    fresh.get_by_role("link", name="使用激活码设置密码").click()
    fresh.get_by_label("用户名").fill("bx-student-1")
    fresh.get_by_label("激活码").fill(codes["bx-student-1"].lower())  # codes are case-insensitive
    fresh.get_by_label("新密码", exact=True).fill("my-own-password-1")
    fresh.get_by_label("确认新密码").fill("my-own-password-1")
    fresh.get_by_role("button", name="激活并登录").click()
    fresh.wait_for_url("**/home")
    assert fresh.get_by_test_id("home-title").inner_text() == "学习中心"
    assert fresh.get_by_role("status").filter(has_text="账号已激活").is_visible()
    assert fresh.get_by_test_id("user-menu").inner_text().startswith("赵一")


def test_on_a_phone_pages_fit_the_screen_and_the_navbar_folds_into_a_toggler(new_context):
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    page.goto("/login")
    assert_fits_screen(page)

    log_in(page, "student")
    assert_fits_screen(page)
    # a learner gets the tab bar instead of the toggler (tests/browser/test_everyday.py)
    assert page.get_by_test_id("tabbar").is_visible()
    assert not page.get_by_role("button", name="展开导航").is_visible()
    log_out(page)
    log_in(page, "teacher")
    toggler = page.get_by_role("button", name="展开导航")
    home_link = _nav(page).get_by_role("link", name="首页")
    assert toggler.is_visible() and not home_link.is_visible()
    page.screenshot(path="/tmp/gx-teacher-home-360.png", full_page=True)
    toggler.click()
    home_link.wait_for(state="visible")
    page.locator("#nav.show").wait_for()  # the collapse transition has finished
    assert toggler.get_attribute("aria-expanded") == "true"
    page.screenshot(path="/tmp/gx-teacher-nav-360.png")

    # The user list and the other menu pages at this width: see the next journey.


def test_the_footer_switch_turns_the_login_page_into_english_and_back(new_context):
    page = new_context().new_page()
    page.goto("/login")
    page.get_by_test_id("locale-switch").click()
    page.get_by_role("heading", name="Log in").wait_for()
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.get_by_label("Username").is_visible()
    assert page.get_by_test_id("locale-switch").inner_text() == "中文"

    page.get_by_test_id("locale-switch").click()
    page.get_by_role("heading", name="登录").wait_for()
    assert page.evaluate("document.documentElement.lang") == "zh-CN"


def test_a_platform_admin_on_a_phone_can_open_every_menu_page_without_overflow_or_errors(new_context):
    """Every page of the navigation (the list is whatever the menu offers, so new domains are covered as they
    add entries) loads, fits 360 px and logs no console error or CSP violation."""
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    log_in(page, "admin")
    links = _nav(page).locator("a.nav-link[href^='/'], a.dropdown-item[href^='/']")
    targets = [href for href in links.evaluate_all("els => els.map(e => e.getAttribute('href'))") if href != "#"]
    assert {"/home", "/professions", "/schools", "/enterprises", "/users"} <= set(targets)
    for href in targets + ["/account"]:
        response = page.goto(href)
        assert response.status == 200, href
        assert page.locator("main h1").first.is_visible(), href
        if href == "/users":
            assert page.get_by_role("table").is_visible()
        assert_fits_screen(page)


def test_school_admin_creates_a_teacher_then_deactivates_them_after_confirming_and_their_session_ends(new_context):
    admin = new_context().new_page()
    log_in(admin, "schooladmin")
    admin.goto("/users/new")
    admin.get_by_label("用户名").fill("bx-teacher-2")
    admin.get_by_label("姓名").fill("孙三")
    admin.get_by_role("checkbox", name="教师").check()
    admin.get_by_label("初始密码（留空则生成激活码）").fill("initial-secret-2")
    admin.get_by_role("button", name="保存").click()
    # The click returns once the next page starts loading: wait for its message rather than look at once.
    admin.get_by_role("status").filter(has_text="bx-teacher-2").wait_for()

    teacher = new_context().new_page()
    log_in(teacher, "bx-teacher-2", "initial-secret-2")
    assert teacher.get_by_test_id("home-title").inner_text() == "教师工作台"

    admin.goto("/users?q=bx-teacher-2")
    row = admin.get_by_role("row").filter(has_text="bx-teacher-2")
    # Deactivating asks first (app.js, data-confirm): saying no changes nothing...
    posts = []
    admin.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    admin.once("dialog", lambda dialog: dialog.dismiss())
    row.get_by_role("button", name="停用").click()
    admin.goto("/users?q=bx-teacher-2")
    assert posts == [] and row.get_by_text("已启用").is_visible()
    # ...saying yes deactivates the account and ends its sessions at once.
    admin.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="停用").click()
    admin.get_by_role("status").filter(has_text="已停用").wait_for()
    assert len(posts) == 1 and posts[0].endswith("/active")
    assert admin.get_by_role("row").filter(has_text="bx-teacher-2").get_by_text("已停用").is_visible()

    teacher.goto("/home")
    assert "/login" in teacher.url
