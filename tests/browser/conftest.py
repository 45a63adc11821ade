"""Browser journeys: a real server on 127.0.0.1 with its own fresh database, driven by Debian's Chromium.

The server is the application as ``make run`` builds it (Alembic migrations, ``flask content load``,
``flask demo seed``, run through the CLI) in a temporary folder with SQLite, served by werkzeug in a background
thread; only the testing configuration's cheap password hashing differs from production. These journeys do not
use the per-test rollback of tests/conftest.py: the browser talks to the server over HTTP, so each journey
works on the shared demo database and creates only what it needs, with names of its own (``bx-...``), and
never changes the demo accounts. A server error (500) or any other failed load shows up as a console error.

One browser for the session and a new context (cookies, storage) per journey keeps the suite fast.
"""
from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading

import pytest

from tests.conftest import require_or_skip

CHROMIUM = os.environ.get("GX_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DEMO_PASSWORD = "gongxue-demo-2026"
#: The phone the narrow-screen journeys use (a common Android size; WeChat opens links at this width).
PHONE = {"width": 360, "height": 740}

_OVERFLOWING = """(limit) => [...document.querySelectorAll('body *')]
    .filter(el => el.getBoundingClientRect().right > limit + 0.5)
    .slice(-5).map(el => el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).replace(/ +/g, '.') : '')
                   + ' ' + Math.round(el.getBoundingClientRect().right) + 'px')"""

#: The user agent of WeChat's built-in browser on Android (its X5/XWeb engine itself cannot run here).
WECHAT_UA = ("Mozilla/5.0 (Linux; Android 13; V2227A Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
             "Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160065 MMWEBSDK/20231202 "
             "MMWEBID/2247 MicroMessenger/8.0.47.2560(0x28002F30) WeChat/arm64 Weixin NetType/WIFI "
             "Language/zh_CN ABI/arm64")


@pytest.fixture(autouse=True)
def _transaction():
    """Replace the per-test rollback of tests/conftest.py: it would build the unit-test database for nothing,
    and the server thread must see what the journeys commit."""
    yield None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _prepare_database(app) -> None:
    """Exactly what ``make run`` does before serving: ``flask db upgrade``, ``flask content load``,
    ``flask demo seed``, through the same CLI commands."""
    runner = app.test_cli_runner()
    for command in (["db", "upgrade"], ["content", "load"], ["demo", "seed"]):
        result = runner.invoke(args=command)
        assert result.exit_code == 0, f"flask {' '.join(command)} failed:\n{result.output}\n{result.exception!r}"


#: The application behind the live server (see ``server_app``).
_SERVED: dict = {}


@pytest.fixture(scope="session")
def server_app(server):
    """The application the live server runs, for a journey that prepares its own data through the services
    (inside ``with server_app.app_context():``, committing) instead of changing the demo accounts' data."""
    return _SERVED["app"]


@pytest.fixture(scope="session")
def server():
    """Base URL of a live server on a free port of 127.0.0.1, with the demo accounts."""
    from werkzeug.serving import make_server

    from app import create_app

    tmp = tempfile.mkdtemp(prefix="gx-browser-")
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": "sqlite:///" + os.path.join(tmp, "gongxue.db"),
        "INSTANCE_PATH": tmp,
        "RATELIMIT_STORAGE_URI": "memory://",
        "STORAGE_URL": "file://" + os.path.join(tmp, "storage"),
        # Errors must reach the browser as the styled 500 page, as in production, not as a traceback.
        "PROPAGATE_EXCEPTIONS": False,
    })
    _prepare_database(app)
    _SERVED["app"] = app
    port = _free_port()
    httpd = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, name="gx-browser-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        httpd.shutdown()
        thread.join(timeout=10)
        with app.app_context():
            from app.extensions import db

            db.engine.dispose()
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def browser():
    require_or_skip(os.path.exists(CHROMIUM), f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the dev requirements install it
        require_or_skip(False, "playwright is not installed (pip install -r requirements-dev.txt)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class ConsoleWatch:
    """Collects console errors and uncaught page errors; a CSP violation is reported as a console error."""

    def __init__(self):
        self.errors: list[str] = []

    def attach(self, page) -> None:
        page.on("console", lambda msg: self.errors.append(f"{page.url}: {msg.text}") if msg.type == "error" else None)
        page.on("pageerror", lambda exc: self.errors.append(f"{page.url}: uncaught {exc}"))


@pytest.fixture
def new_context(browser, server):
    """``new_context(**options)`` opens a fresh browser context (own cookies) whose pages are watched for
    console errors; at the end of the test every watched page must have logged none."""
    contexts = []
    watch = ConsoleWatch()

    def _open(**options):
        options.setdefault("base_url", server)
        options.setdefault("locale", "zh-CN")
        context = browser.new_context(**options)
        context.set_default_timeout(30_000)  # the CI machine may be busy
        context.on("page", watch.attach)
        contexts.append(context)
        return context

    yield _open
    for context in contexts:
        context.close()
    assert not watch.errors, "console errors:\n" + "\n".join(watch.errors)


def assert_fits_screen(page, width: int = PHONE["width"]) -> None:
    """Nothing on the page is wider than the screen, so no sideways scrolling.

    Waits for the ``load`` event first: measured while a stylesheet is still on its way, the layout is not
    the one a person sees (without Bootstrap's ``fieldset {min-width: 0}`` a form is 16 px too wide), and on a
    busy CI machine that made the check flaky. A failure names the innermost elements that stick out."""
    page.wait_for_load_state("load")
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, (f"{page.url} is {scroll_width}px wide on a {width}px screen; "
                                   f"sticking out: {page.evaluate(_OVERFLOWING, width)}")


def log_in(page, username: str, password: str = DEMO_PASSWORD) -> None:
    """Fill in the login form as a person would and wait for the home page."""
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/home")


def log_out(page) -> None:
    """Log out through the user menu (opening the collapsed navbar first on a narrow screen); a learner on a phone
    has the tab bar instead, and logs out from 我的."""
    if page.get_by_test_id("tabbar").is_visible():
        page.get_by_test_id("tabbar").get_by_role("link", name="我的").click()
        page.get_by_test_id("phone-more").get_by_role("button", name="退出登录").click()
        return
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()
    page.get_by_test_id("user-menu").click()
    page.get_by_role("button", name="退出登录").click()


#: axe-core, vendored from npm (tests/browser/vendor/VERSIONS.txt); injected into pages under test.
AXE = os.path.join(os.path.dirname(__file__), "vendor", "axe.min.js")


def axe_violations(page, impacts=("serious", "critical")) -> list[str]:
    """Run axe-core (WCAG 2 A/AA rules) on the page; the violations of these impacts, one line each. The
    context must be opened with ``bypass_csp=True`` (the site's CSP forbids injected scripts)."""
    page.wait_for_load_state("load")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        with open(AXE, encoding="utf-8") as fh:
            page.add_script_tag(content=fh.read())
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa']}});
        return r.violations.map(v => ({id: v.id, impact: v.impact,
            nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' ' + (n.failureSummary || '').slice(0, 160))}));
    }""")
    return [f"{page.url} {v['id']} ({v['impact']}): {v['nodes']}" for v in result if v["impact"] in impacts]
    page.wait_for_url("**/login")
