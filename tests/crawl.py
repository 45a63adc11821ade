"""Crawl every GET page a user can reach and read it as the user sees it.

Used by tests/test_visible_text.py. Start points are every GET route of ``app.url_map`` (integer arguments
filled with ids of real rows); then the links found on each page are followed (same site, a few URLs per
endpoint so a long list does not make the crawl slow). Each HTML page is parsed with the standard library into
what a user *reads*: text nodes outside script/style/code blocks and form values, plus the attributes a user
sees or hears (placeholder, title, aria-label, alt, button values).
"""
from __future__ import annotations

import enum
import re
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

from sqlalchemy import select

from app.extensions import db

#: Elements whose content is not UI text: scripts and styles, code the user wrote or must copy verbatim
#: (<code>, <pre>), and form values being edited (<textarea>).
SKIP_CONTENT = {"script", "style", "code", "pre", "textarea", "template"}
#: Attributes shown or read aloud to the user.
VISIBLE_ATTRS = ("placeholder", "title", "aria-label", "alt")
#: Routes not crawled: they end the session.
SKIP_ENDPOINTS = {"auth.logout", "static"}
#: How many different URLs of one endpoint are visited per crawl (the first ones found).
PER_ENDPOINT = 3


class _Reader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.skip = 0
        self.texts: list[tuple[str, str]] = []  # (where, text)
        self.links: list[str] = []

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if not self.skip:
            for name in VISIBLE_ATTRS:
                if attrs.get(name):
                    self.texts.append((f"<{tag} {name}>", attrs[name]))
            if tag == "input" and (attrs.get("type") or "").lower() in ("submit", "button") and attrs.get("value"):
                self.texts.append(("<input value>", attrs["value"]))
        if tag in self.VOID:
            return
        self.stack.append(tag)
        if tag in SKIP_CONTENT:
            self.skip += 1

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in self.VOID or tag not in self.stack:
            return
        while self.stack:
            top = self.stack.pop()
            if top in SKIP_CONTENT:
                self.skip -= 1
            if top == tag:
                break

    def handle_data(self, data):
        if not self.skip and data.strip():
            self.texts.append((f"<{self.stack[-1] if self.stack else ''}>", data.strip()))


@dataclass
class Page:
    url: str
    endpoint: str
    status: int
    html: str = ""
    texts: list[tuple[str, str]] = field(default_factory=list)


def read(html: str) -> _Reader:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader


def _models_by_table() -> dict[str, type]:
    return {mapper.class_.__tablename__: mapper.class_ for mapper in db.Model.registry.mappers
            if hasattr(mapper.class_, "__tablename__")}


#: URL argument -> table, where the name is not ``<table>_id``.
ARG_TABLES = {"student_id": "user", "cert_id": "certificate", "task_id": "learning_task",
              "assignment_id": "task_assignment", "submission_id": "task_submission", "stage_id": "task_stage",
              "video_id": "video", "document_id": "document", "image_id": "image", "program_id": "training_program",
              "batch_id": "certificate_batch", "session_id": "offline_session", "item_id": "grade_item",
              "category_id": "grade_category", "page_id": "workbook_page", "version_id": "standard_version",
              "course_id": "course", "bank_id": "question_bank"}


def start_urls(app) -> list[tuple[str, str]]:
    """(url, endpoint) of every GET route; integer arguments take the smallest id of their table."""
    tables = _models_by_table()
    first_ids: dict[str, int | None] = {}

    def first_id(arg: str) -> int | None:
        table = ARG_TABLES.get(arg, arg[:-3] if arg.endswith("_id") else arg)
        if table not in first_ids:
            model = tables.get(table)
            first_ids[table] = db.session.scalar(select(model.id).order_by(model.id).limit(1)) if model else None
        return first_ids[table]

    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in SKIP_ENDPOINTS:
            continue
        values = {}
        for arg in rule.arguments:
            converter = rule._converters[arg]
            if type(converter).__name__ not in ("IntegerConverter", "IdConverter"):
                break
            value = first_id(arg)
            if value is None:
                break
            values[arg] = value
        else:
            with app.test_request_context():
                from flask import url_for

                urls.append((url_for(rule.endpoint, **values), rule.endpoint))
    return sorted(urls)


def crawl(app, client, *, limit: int = 600):
    """Yield each HTML page reachable from the start URLs (and the status of every URL visited)."""
    adapter = app.url_map.bind("localhost")
    queue = deque(start_urls(app))
    seen: set[str] = set()
    per_endpoint: dict[str, int] = {}
    visited = 0
    while queue and visited < limit:
        url, endpoint = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        if per_endpoint.get(endpoint, 0) >= PER_ENDPOINT:
            continue
        per_endpoint[endpoint] = per_endpoint.get(endpoint, 0) + 1
        visited += 1
        response = client.get(url, headers={"Accept-Language": "zh-CN,zh;q=0.9"})
        page = Page(url, endpoint, response.status_code)
        if response.mimetype == "text/html":
            page.html = response.get_data(as_text=True)
            reader = read(page.html)
            page.texts = reader.texts
            for href in reader.links:
                link = _local(href)
                if link is None or link in seen:
                    continue
                try:
                    target, _args = adapter.match(urlsplit(link).path, method="GET")
                except Exception:  # noqa: BLE001 - not a route of this app (or not GET)
                    continue
                if target not in SKIP_ENDPOINTS:
                    queue.append((link, target))
        yield page


def _local(href: str) -> str | None:
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("/static/"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


# --- what counts as a raw identifier ----------------------------------------------------------------------------

SNAKE = re.compile(r"(?<![\w./#:=-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w./(-])")
WORD = re.compile(r"(?<![\w./#:@=-])[a-z][a-z0-9]*(?![\w./@(-])")


def known_keys() -> set[str]:
    """Registry keys, role keys and state keys of the application: never shown to a user as such."""
    from app.certification.rules import RULES
    from app.certification.sources import SOURCES as CREDIT_SOURCES
    from app.courses.activities import KINDS as ACTIVITY_KINDS
    from app.grading.sources import SOURCES as GRADE_SOURCES
    from app.questions.types import TYPES
    from app.review.registry import KINDS as REVIEW_KINDS

    keys = set(ACTIVITY_KINDS) | set(GRADE_SOURCES) | set(TYPES) | set(REVIEW_KINDS) | set(RULES) | set(CREDIT_SOURCES)

    def walk(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from walk(sub)

    for enum_class in walk(enum.Enum):
        if enum_class.__module__.startswith("app."):
            keys |= {m.value for m in enum_class if isinstance(m.value, str)}
    return {k for k in keys if re.fullmatch(r"[a-z][a-z0-9_]*", k)}


def raw_identifiers(text: str, keys: set[str]) -> list[str]:
    found = SNAKE.findall(text)
    found += [w for w in WORD.findall(text) if w in keys]
    return found
