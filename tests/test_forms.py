"""Every HTML form, submitted with a bad value, comes back as the same form with what was typed and the reason —
never a bare error page, never a 500, never a redirect that drops the input (DESIGN.md, Forms).

The forms are found the way a user finds them: each demo account (``flask demo seed``) follows the links of the
site from its home page, and every ``<form method="post">`` (or ``hx-post``) on the pages it reaches is collected
with the page it sits on. Each POST route of the url_map must be reached this way or be listed in SKIPPED with
the reason, so a new form is covered without editing this test."""
from __future__ import annotations

import io
from collections import defaultdict
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from werkzeug.exceptions import HTTPException

from config import DEMO_PASSWORD

#: What a user types wrong: not a number, not a date, not a key, a username or an address.
BAD = "12 mm"
ROLES = ("admin", "schooladmin", "reviewer", "teacher", "student", "mentor", "hr")

#: POST routes this test does not submit, with the reason. Everything else must be reached by the crawl; a route
#: listed here that the crawl does reach is submitted all the same (the list only excuses not reaching it).
SKIPPED = {
    "auth.logout": "ends the session the crawl runs in; it has no input",
    "auth.login": "its refusals are covered by tests/auth/test_login.py (rate-limited per account and IP)",
    "auth.activate": "reached only with an activation code (tests/auth/test_login.py covers its refusals)",
    "auth.revoke_token": "a button, shown only once a token exists",
    "notifications.delete_webhook": "a button, shown only once a webhook exists; the demo has none",
    "exams.regrade": "a button, offered only when questions of a taken exam got a new version",
    "exams.submit": "a button on the attempt page; answers go through the JSON API (tests/exams/test_api.py)",
    "exams.goto": "上一题/下一题 of a one-question-at-a-time exam; the demo has none (test_integrity_log.py)",
    "courses.join": "needs a course with an enrol key the user is not in; tests/courses/test_courses.py",
    "courses.mark_done": "a button (mark an activity read)",
    "certification.batches.step": "posted by htmx while a certificate batch runs; no input",
    "certification.enroll": "a button; the demo teacher is already enrolled",
    "certification.program_publish": "a button; the demo program is already published",
    "certification.offline_import": "on an offline session page; the demo has no offline session",
    "certification.offline_pick": "on an offline session page; the demo has no offline session",
    "certification.review_practical": "needs a practical task waiting for review; the demo has none",
    "grading.grade_cell": "the gradebook cell form is loaded by htmx when a cell is opened",
    "grading.attach_files": "on a grade cell opened by htmx",
    "media.edit": "only drafts can be edited; the demo media are published",
    "media.delete": "only drafts can be deleted; the demo media are published",
    "questions.confirm_import": "step 2 of an import, after a valid file (tests/questions/test_pages.py)",
    "review.submit": "a button on a draft; the demo has no draft of its reviewers' authors",
    "standards.confirm_upload": "step 2 of a YAML upload, after a valid file (tests/standards/test_upload.py)",
    "standards.edit_version": "editing needs a draft version; the demo standards are published",
    "standards.new_course": "editing needs a draft version; the demo standards are published",
    "standards.edit_course": "editing needs a draft version; the demo standards are published",
    "standards.delete_course": "editing needs a draft version; the demo standards are published",
    "standards.new_task": "editing needs a draft version; the demo standards are published",
    "standards.edit_task": "editing needs a draft version; the demo standards are published",
    "standards.delete_task": "editing needs a draft version; the demo standards are published",
    "tasks.start": "a button (start a task)",
    "tasks.new_group": "group work; the demo task is individual (tests/tasks/test_groups.py)",
    "tasks.auto_groups": "group work; the demo task is individual (tests/tasks/test_groups.py)",
    "tasks.move_member": "group work; the demo task is individual (tests/tasks/test_groups.py)",
    "tasks.adjust": "group work; the demo task is individual (tests/tasks/test_groups.py)",
    "tasks.attach_feedback": "on an evaluation already given; the demo has none by a teacher or mentor",
    "alliances.score": "needs a base application in expert review; the demo has none (tests/alliances)",
    "alliances.decide": "needs a base application in expert review; the demo has none (tests/alliances)",
    "alliances.accept": "needs a decided base application; the demo has none (tests/alliances)",
    "alliances.publish": "needs an accepted base application; the demo has none (tests/alliances)",
    "careers.edit_post": "only drafts can be edited; the demo posts are published (tests/careers/test_posts.py)",
    "careers.submit_post": "a button on a draft post; the demo posts are published",
    "careers.create_placement": "needs an offered application without a placement; the demo's has one",
}

#: Routes whose form may be gone when its turn comes, because a route submitted before it changed the data.
MAY_BE_GONE = {
    "review.request_changes": "review.approve, submitted first, publishes the one demo item waiting for review",
}

#: GET pages the crawl does not open: files, exports and prints (not HTML pages with forms).
_NOT_PAGES = ("export", "download", ".xlsx", ".csv", ".pdf", "/pdf", "print", "/files/", "/file", "thumb",
              "template", "codes", "/static/", "/api/", "/logout", ".json", "/raw", "/stream", "/media/f/")


class _Page(HTMLParser):
    """Links and post forms of a page: each form as action, enctype, fields (name, kind, value, attrs) and
    its named submit buttons."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links, self.forms = [], []
        self._form = self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            method = (a.get("method") or "get").lower()
            action = a.get("hx-post") or a.get("action") or ""
            post = method == "post" or "hx-post" in a
            self._form = {"action": action, "multipart": "multipart" in (a.get("enctype") or ""), "fields": [],
                          "buttons": []} if post else None
            if self._form is not None:
                self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input":
            kind = (a.get("type") or "text").lower()
            if "disabled" in a or not a.get("name"):
                return
            if kind in ("submit", "button", "image", "reset"):
                self._form["buttons"].append((a["name"], a.get("value", "")))
                return
            self._form["fields"].append({"name": a["name"], "kind": kind, "value": a.get("value", ""),
                                         "checked": "checked" in a, "readonly": "readonly" in a})
        elif tag == "button" and a.get("name") and (a.get("type") or "submit") == "submit":
            self._form["buttons"].append((a["name"], a.get("value", "")))
        elif tag == "select" and a.get("name") and "disabled" not in a:
            self._select = {"name": a["name"], "kind": "select", "options": [], "multiple": "multiple" in a}
            self._form["fields"].append(self._select)
        elif tag == "option" and self._select is not None:
            self._select["options"].append((a.get("value", ""), "selected" in a))
        elif tag == "textarea" and a.get("name") and "disabled" not in a:
            self._textarea = {"name": a["name"], "kind": "textarea", "value": "", "readonly": "readonly" in a}
            self._form["fields"].append(self._textarea)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea["value"] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            if self._textarea is not None and self._textarea["value"][:1] in ("\r", "\n"):
                # HTML drops the newline right after <textarea> (WTForms writes one).
                self._textarea["value"] = self._textarea["value"].removeprefix("\r").removeprefix("\n")
            self._textarea = None


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def _endpoint(app, url: str, method: str):
    try:
        return app.url_map.bind("localhost").match(urlsplit(url).path, method=method)[0]
    except HTTPException:
        return None


def login(app, username: str | None):
    client = app.test_client()
    if username is not None:
        r = client.form("/login", {"username": username, "password": DEMO_PASSWORD})
        assert r.status_code == 302, username
    return client


def forms_on(app, client, url: str) -> dict:
    """{post endpoint: form} of the post forms on one page (the first form of each endpoint)."""
    found = {}
    for form in parse(client.get(url).get_data(as_text=True)).forms:
        action = urljoin(url, form["action"]) if form["action"] else url
        target = _endpoint(app, action, "POST")
        parts = urlsplit(action)
        if target is not None and target not in found:
            found[target] = {**form, "action": parts.path + ("?" + parts.query if parts.query else "")}
    return found


def crawl(app, client, per_endpoint: int = 5, limit: int = 500) -> dict:
    """{post endpoint: (page url, form)} of every post form on the pages reachable by links from home."""
    queue, seen, opened, found = ["/"], {"/"}, defaultdict(int), {}
    while queue and sum(opened.values()) < limit:
        url = queue.pop(0)
        endpoint = _endpoint(app, url, "GET")
        if endpoint is None or opened[endpoint] >= per_endpoint or any(p in url for p in _NOT_PAGES):
            continue
        opened[endpoint] += 1
        r = client.get(url)
        if r.status_code in (301, 302, 303) and r.headers["Location"] not in seen:
            seen.add(r.headers["Location"])
            queue.append(r.headers["Location"])
        if r.status_code != 200 or r.mimetype != "text/html":
            continue
        page = parse(r.get_data(as_text=True))
        for form in page.forms:
            action = urljoin(url, form["action"]) if form["action"] else url
            target = _endpoint(app, action, "POST")
            if target is not None and target not in found:
                found[target] = (url, form)
        for href in page.links:
            link = urljoin(url, href.split("#")[0])
            parts = urlsplit(link)
            if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
                continue
            link = parts.path + ("?" + parts.query if parts.query else "")
            if link not in seen:
                seen.add(link)
                queue.append(link)
    return found


def typed_fields(form) -> list[dict]:
    return [f for f in form["fields"] if f["kind"] in ("text", "number", "textarea", "date", "datetime-local",
                                                       "email", "url", "tel", "search", "time", "password")
            and not f.get("readonly")]


def fill(form) -> tuple[dict, list[str]]:
    """The form as a user would send it with BAD typed into every text field (a bad file for uploads)."""
    data, typed, radios = {}, [], set()
    for f in form["fields"]:
        name, kind = f["name"], f["kind"]
        if f in typed_fields(form):
            data[name] = BAD
            if kind != "password":  # passwords are never sent back to the browser
                typed.append(name)
        elif kind == "select":
            chosen = [v for v, selected in f["options"] if selected] or [v for v, _ in f["options"] if v][:1]
            if chosen:
                data[name] = chosen if f["multiple"] else chosen[0]
        elif kind in ("checkbox", "radio"):
            if f["checked"] or (kind == "radio" and name not in radios and name not in data):
                data.setdefault(name, [])
                data[name] = [*data[name], f["value"]] if kind == "checkbox" else f["value"]
                radios.add(name)
        elif kind == "file":
            data[name] = (io.BytesIO(b"this is not the file you are looking for"), "坏文件.xlsx")
        else:  # hidden, readonly
            data.setdefault(name, f["value"])
    if form["buttons"]:
        name, value = form["buttons"][-1]  # the main action (submit, save) comes last
        data[name] = value
    return data, typed


def kept(page: _Page, name: str) -> bool:
    return any(f["name"] == name and f.get("value") == BAD for form in page.forms for f in form["fields"])


def is_error_page(html: str) -> bool:
    return 'class="display-4 text-body-secondary"' in html and "返回首页" in html


@pytest.fixture
def demo_world(app, runner):
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output


def test_every_form_comes_back_with_what_was_typed_and_the_reason(app, demo_world):
    reached, clients = {}, {}
    for role in (*ROLES, None):
        clients[role] = login(app, role)
        for endpoint, (page_url, form) in crawl(app, clients[role]).items():
            reached.setdefault(endpoint, (role, page_url, form))

    post_routes = {r.endpoint for r in app.url_map.iter_rules() if "POST" in r.methods
                   and not r.rule.startswith("/api/")}
    missing = post_routes - set(reached) - set(SKIPPED)
    failures, refused, accepted, without_input, gone = [], [], [], [], []
    for endpoint, (role, page_url, form) in sorted(reached.items(), key=lambda kv: kv[0]):
        if endpoint in ("auth.logout", "auth.login", "auth.activate"):
            continue
        if not typed_fields(form) and not any(f["kind"] in ("file", "select") for f in form["fields"]):
            without_input.append(endpoint)  # a button (approve, delete, start): nothing typed to keep
            continue
        client = clients[role]
        # The page again, as it is now: earlier submissions may have changed it (an approved item leaves the
        # review queue), and the same route is then tried on the form that is still there.
        current = forms_on(app, client, page_url).get(endpoint)
        if current is None:
            gone.append(endpoint)
            continue
        form = current
        data, typed = fill(form)
        where = f"{endpoint} ({role or 'anonymous'} on {page_url})"
        r = client.post(form["action"], data=data,
                        content_type="multipart/form-data" if form["multipart"] else None)
        html = r.get_data(as_text=True)
        if r.status_code >= 500 or is_error_page(html):
            failures.append(f"{where}: {r.status_code} error page")
            continue
        if r.status_code in (302, 303):
            after = client.get(r.headers["Location"]).get_data(as_text=True)
            if "alert alert-danger alert-dismissible" in after:  # a refusal flashed on another page
                failures.append(f"{where}: refused by a redirect that drops the input")
            else:
                accepted.append(endpoint)
            continue
        if r.mimetype != "text/html" or ("alert-success" in html and not any(
                mark in html for mark in ("alert-danger", "invalid-feedback"))):
            accepted.append(endpoint)  # e.g. a new API token shown once on the page
            continue
        refused.append(endpoint)
        back = parse(html)
        lost = [name for name in typed if not kept(back, name)]
        if r.status_code != 200:
            failures.append(f"{where}: a refused form answers {r.status_code}, not 200")
        if lost:
            failures.append(f"{where}: typed input lost: {', '.join(lost)}")
        if not any(mark in html for mark in ("alert-danger", "invalid-feedback", "text-danger")):
            failures.append(f"{where}: no reason shown")
        if not back.forms:
            failures.append(f"{where}: the answer has no form")
    report = (f"\nreached {len(reached)} post routes; refused {len(refused)}, accepted {len(accepted)}, "
              f"no input {len(without_input)}, gone {gone}\nnot reached: {sorted(missing)}\n")
    assert not failures, report + "\n".join(failures)
    assert not missing, report
    assert set(gone) <= set(MAY_BE_GONE), report
    assert len(refused) >= 20, report
