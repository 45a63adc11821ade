"""``flask content load`` and ``flask demo seed``: registries that each domain adds its sections to.

Content files are YAML documents whose top-level keys name *sections* (``schools:``, ``professions:`` ...).
A domain registers a loader per section with :func:`section`; loaders run in their registered order
(dependencies first) whatever file a section sits in. Loading validates everything, then writes in one
transaction: a content error leaves the database as it was. Every item has a stable ``key``, so loading
twice changes nothing.
"""
from __future__ import annotations

import datetime as dt
import glob
import os
from collections.abc import Callable
from dataclasses import dataclass

import click
import yaml
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_babel import gettext as _
from sqlalchemy import select

from app.core.cli import CliError
from app.extensions import db


class ContentError(Exception):
    """A problem in a content file: ``path:line: message`` (the compiler convention editors can jump to); the
    message is in the current language."""

    def __init__(self, path: str, line: int | None, message: str):
        self.path, self.line, self.message = path, line, message
        super().__init__(f"{path}:{line or '?'}: {message}")


class Item(dict):
    """A YAML mapping that remembers the file and line it came from."""

    path: str = ""
    line: int | None = None

    def error(self, message: str) -> ContentError:
        return ContentError(self.path, self.line, message)

    def require(self, *names: str) -> None:
        for name in names:
            if self.get(name) in (None, ""):
                raise self.error(_("缺少必填字段“%(name)s”", name=name))


class _Loader(yaml.SafeLoader):
    pass


def _construct_mapping(loader, node):
    loader.flatten_mapping(node)
    item = Item(loader.construct_pairs(node, deep=True))
    item.line = node.start_mark.line + 1
    item.path = loader.name
    return item


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _construct_timestamp(loader, node):
    # PyYAML reads 2022-13-01 as a date and lets datetime's ValueError escape; give it the node's line instead.
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError as exc:
        raise yaml.constructor.ConstructorError(None, None, f"{node.value}: {exc}", node.start_mark) from None


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


@dataclass
class Section:
    name: str
    #: load(items) -> number of items created or changed.
    load: Callable[[list[Item]], int]
    order: int


SECTIONS: dict[str, Section] = {}
DEMO_STEPS: list[tuple[int, str, Callable[[], str]]] = []


def section(name: str, order: int):
    """Register ``fn(items)`` as the loader of the top-level key ``name``."""
    def deco(fn):
        SECTIONS[name] = Section(name, fn, order)
        return fn
    return deco


def demo_step(order: int, name):
    """Register ``fn() -> summary`` as a step of ``flask demo seed`` (must be idempotent). ``name`` (a lazy
    string) and the summary are printed in the configured locale."""
    def deco(fn):
        DEMO_STEPS.append((order, name, fn))
        DEMO_STEPS.sort(key=lambda s: s[0])
        return fn
    return deco


def upsert(model, item: Item, **values) -> int:
    """Create or update the row with ``item['key']``; returns 1 when anything changed."""
    obj = db.session.scalar(select(model).where(model.key == item["key"]))
    if obj is None:
        db.session.add(model(key=item["key"], **values))
        return 1
    changed = 0
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = 1
    return changed


def as_date(item: Item, name: str):
    value = item.get(name)
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise item.error(_("“%(name)s”必须是日期（YYYY-MM-DD），实际为 %(value)s", name=name,
                           value=repr(value))) from None


def check_keys(items: list[Item]) -> None:
    seen = {}
    for item in items:
        item.require("key")
        if item["key"] in seen:
            raise item.error(_("键“%(key)s”重复（第一次出现在第 %(line)s 行）", key=item["key"], line=seen[item["key"]]))
        seen[item["key"]] = item.line


def parse_file(path: str) -> dict[str, list[Item]]:
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except UnicodeDecodeError:
        raise ContentError(os.path.relpath(path), None, _("文件不是 UTF-8 编码的文本")) from None
    return parse_text(text, os.path.relpath(path))


def parse_text(text: str, name: str) -> dict[str, list[Item]]:
    """Parse a content document already in memory (an uploaded file); ``name`` appears in errors and paths."""
    try:
        loader = _Loader(text)
        loader.name = name
        try:
            data = loader.get_single_data()
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        # PyYAML's own wording stays as it is (it names the construct); the frame around it is translated.
        raise ContentError(name, mark.line + 1 if mark else None,
                           _("YAML 语法错误：%(detail)s", detail=str(exc).split("\n")[0])) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ContentError(name, 1, _("内容文件必须是由章节组成的映射（顶层为“章节名: 列表”）"))
    out = {}
    for key, items in data.items():
        if key not in SECTIONS:
            raise ContentError(name, getattr(data, "line", None),
                               _("未知的章节“%(key)s”（可用：%(known)s）", key=key, known=", ".join(sorted(SECTIONS))))
        if not isinstance(items, list) or not all(isinstance(i, Item) for i in items):
            raise ContentError(name, None, _("章节“%(key)s”必须是映射的列表", key=key))
        out[key] = items
    return out


def content_files(root: str) -> list[str]:
    if os.path.isfile(root):
        return [root]
    return sorted(glob.glob(os.path.join(root, "**", "*.yaml"), recursive=True)
                  + glob.glob(os.path.join(root, "**", "*.yml"), recursive=True))


def load_content(root: str) -> dict[str, int]:
    """Load every section found under ``root`` in dependency order. Flushes; raises ContentError."""
    sections: dict[str, list[Item]] = {}
    for path in content_files(root):
        for name, items in parse_file(path).items():
            sections.setdefault(name, []).extend(items)
    counts = {}
    for sec in sorted(SECTIONS.values(), key=lambda s: s.order):
        if sec.name in sections:
            counts[sec.name] = sec.load(sections[sec.name])
            db.session.flush()
    return counts


def default_content_root() -> str:
    return os.path.join(os.path.dirname(current_app.root_path), "content")


content_cli = AppGroup("content", help="Reference data and demo content.")
demo_cli = AppGroup("demo", help="Demo accounts and data.")


@content_cli.command("load")
@click.argument("path", required=False)
def load_command(path):
    """Load content/ (or PATH): validate all, then write all in one transaction."""
    root = path or default_content_root()
    try:
        counts = load_content(root)
    except ContentError as exc:
        db.session.rollback()
        raise CliError(str(exc))
    db.session.commit()
    summary = _("；").join(_("%(name)s：%(n)s 项有变化", name=name, n=n) for name, n in counts.items()) \
        or _("没有需要载入的内容")
    click.echo(_("已从 %(root)s 载入内容（%(summary)s）", root=root, summary=summary))


@demo_cli.command("seed")
def seed_command():
    """Create the demo accounts and data (idempotent)."""
    if current_app.config.get("REFUSE_DEMO_PASSWORD"):
        raise CliError(_("生产环境不允许创建演示账号"))
    for _order, name, step in DEMO_STEPS:
        summary = step()
        db.session.flush()
        click.echo(_("%(name)s：%(summary)s", name=name, summary=summary))
    db.session.commit()


def register_cli(app: Flask) -> None:
    app.cli.add_command(content_cli)
    app.cli.add_command(demo_cli)
