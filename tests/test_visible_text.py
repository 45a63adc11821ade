"""Class tests over every page a user can reach (issue 9, items 3 and 12).

Logged in as each demo role, with the demo seed loaded, the crawl (tests/crawl.py) visits every GET route and
the links on its pages in zh_CN, and fails on:

* a 500;
* Python or template text leaking into the HTML: ``<built-in``, ``<bound method``, ``undefined``, a raw
  ``{{`` or ``{%``, or a visible ``None``;
* a raw ASCII identifier in what the user reads (text, options, buttons, headings, hints, table cells,
  placeholder/title/aria-label/alt): a snake_case word such as ``work_task``, or any registry, role or state
  key such as ``mentor`` or ``exam``.

Explicit exclusions (kept small): content of <script>, <style>, <code>, <pre> and <textarea>; URLs, ids and
other attribute values not read by the user; and a text that is exactly a user's username (user data).
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from config import DEMO_PASSWORD
from tests import crawl

ROLES = {"platform_admin": "admin", "school_admin": "schooladmin", "reviewer": "reviewer", "teacher": "teacher",
         "student": "student", "mentor": "mentor", "enterprise_hr": "hr"}

LEAKS = re.compile(r"<built-in|&lt;built-in|<bound method|&lt;bound method|\bundefined\b|\{\{|\{%")


@pytest.fixture
def demo(runner):
    """The demo seed, plus what it leaves out: the demo student's submitted attempt at the demo exam (so the
    attempt review, the grading queue and the regrade list have rows)."""
    from app.auth.services import find_user
    from app.exams import services as exams
    from app.exams.content import DEMO_EXAM
    from app.exams.models import Exam

    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    exam = db.session.scalar(select(Exam).where(Exam.title == DEMO_EXAM))
    student = find_user("student")
    attempt, _ = exams.start_attempt(exam, student)
    exams.close_attempt(attempt.id, closed_by="student", user_id=student.id)
    db.session.commit()


def _problems(app, client, username):
    response = client.form("/login", {"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    keys = crawl.known_keys()
    users = db.session.execute(select(User.username, User.full_name)).all()
    usernames = {u for u, _n in users}
    # A person shown by name and username, e.g. 陈师傅（mentor）: the username is user data, not a role key.
    people = re.compile("|".join(re.escape(f"{n}{o}{u}{c}") for u, n in users if n for o, c in (("（", "）"), ("(", ")"), (" (", ")"))))
    problems, pages = [], 0
    for page in crawl.crawl(app, client):
        pages += 1
        where = f"{page.url} ({page.endpoint})"
        if page.status >= 500:
            problems.append(f"{where}: {page.status}")
            continue
        if not page.html:
            continue
        for match in LEAKS.finditer(_outside_code(page.html)):
            problems.append(f"{where}: {match.group(0)!r} in the HTML: …{page.html[max(0, match.start() - 60):match.end() + 60]!r}…")
        for tag, text in page.texts:
            if text in usernames:
                continue
            text = people.sub("", text)
            if re.search(r"(?<![\w-])None(?![\w-])", text):
                problems.append(f"{where}: visible None in {tag} {text!r}")
            found = crawl.raw_identifiers(text, keys)
            if found:
                problems.append(f"{where}: raw identifier {found} in {tag} {text[:120]!r}")
    return problems, pages


def _outside_code(html: str) -> str:
    """The HTML without <script>, <code>, <pre> and <textarea> blocks (code and data may contain braces)."""
    return re.sub(r"<(script|code|pre|textarea)\b.*?</\1>", "", html, flags=re.S | re.I)


@pytest.mark.parametrize("role", list(ROLES))
def test_every_reachable_page_shows_no_raw_keys_or_python_text(app, client, demo, role):
    problems, pages = _problems(app, client, ROLES[role])
    assert pages > 20
    assert not problems, f"{len(problems)} problems on {pages} pages:\n" + "\n".join(dict.fromkeys(problems))


def test_the_reader_flags_what_a_user_would_see_and_only_that(app):
    """The detector itself: raw keys in visible text and attributes are found; code, scripts, URLs are not."""
    with app.app_context():
        keys = crawl.known_keys()
    assert {"work_task", "mentor", "single_choice", "exam", "in_progress"} <= keys
    html = ('<h1>添加活动</h1><p>可选的编号：work_task</p><select><option>陈师傅（mentor）</option></select>'
            '<input placeholder="single_choice"><a href="/media/videos/1" title="视频">视频</a>'
            '<code>course_standards</code><script>var in_progress = 1;</script><textarea>exam</textarea>')
    texts = crawl.read(html).texts
    found = [f for _tag, text in texts for f in crawl.raw_identifiers(text, keys)]
    assert found == ["work_task", "mentor", "single_choice"]
    assert LEAKS.search(_outside_code("<td>&lt;built-in method items of dict object at 0x1&gt;</td>"))
    assert LEAKS.search("<p>{{ title }}</p>") and not LEAKS.search(_outside_code("<pre>{{ x }}</pre>"))
