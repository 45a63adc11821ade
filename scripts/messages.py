#!/usr/bin/env python3
"""Extract user-visible strings into per-domain catalogues and merge them into each language.

Every domain keeps its own catalogue in ``app/<domain>/translations`` (templates in ``app/templates/<domain>``
belong to it); shared strings (layout, errors, core) live in ``app/translations``. Flask-Babel merges all of
them (BABEL_TRANSLATION_DIRECTORIES), so domains can be developed side by side without touching one file.
Source strings are Chinese (zh_CN is the platform's language); ``en`` is the translation.

    python scripts/messages.py            # extract and update every catalogue
    python scripts/messages.py --compile  # compile .po to .mo (done by make run / make test)
"""
from __future__ import annotations

import glob
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
APP = os.path.join(ROOT, "app")
LANGUAGES = ["en"]
BIN = os.path.dirname(sys.executable)


def pybabel(*args: str) -> None:
    subprocess.run([os.path.join(BIN, "pybabel"), "-q", *args], check=True, cwd=ROOT)


def domains() -> list[str]:
    return sorted(d for d in os.listdir(APP) if os.path.isfile(os.path.join(APP, d, "__init__.py"))
                  and d not in {"core", "translations", "templates", "static"})


def catalogues() -> list[tuple[str, list[str]]]:
    """(translations folder, source paths) for the shared catalogue and each domain."""
    shared = [os.path.join(APP, f) for f in os.listdir(APP) if f.endswith(".py")]
    shared += [os.path.join(APP, "core")]
    shared += [p for p in glob.glob(os.path.join(APP, "templates", "*.html"))]
    shared += [os.path.join(APP, "templates", "errors")]
    out = [(os.path.join(APP, "translations"), shared)]
    for domain in domains():
        sources = [os.path.join(APP, domain)]
        templates = os.path.join(APP, "templates", domain)
        if os.path.isdir(templates):
            sources.append(templates)
        out.append((os.path.join(APP, domain, "translations"), sources))
    return out


def extract() -> None:
    for folder, sources in catalogues():
        os.makedirs(folder, exist_ok=True)
        pot = os.path.join(folder, "messages.pot")
        pybabel("extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "--no-location", "--sort-output",
                "--omit-header", "-o", pot, *sources)
        for lang in LANGUAGES:
            po = os.path.join(folder, lang, "LC_MESSAGES", "messages.po")
            if os.path.exists(po):
                with open(po, "rb") as fh:
                    before = fh.read()
                pybabel("update", "-i", pot, "-d", folder, "-l", lang, "--no-fuzzy-matching", "--ignore-obsolete", "-w", "120")
                _keep_if_only_date_changed(po, before)
            else:
                pybabel("init", "-i", pot, "-d", folder, "-l", lang, "-w", "120")
        os.remove(pot)


def _keep_if_only_date_changed(po: str, before: bytes) -> None:
    """Undo an update that only moved POT-Creation-Date: such churn in every catalogue made parallel branches
    conflict on files none of them had really changed."""
    with open(po, "rb") as fh:
        after = fh.read()

    def strip(data: bytes) -> list[bytes]:
        return [line for line in data.splitlines() if not line.startswith(b'"POT-Creation-Date:')]

    if after != before and strip(after) == strip(before):
        with open(po, "wb") as fh:
            fh.write(before)


def reuse_translations() -> int:
    """Fill an empty msgstr with the translation the same msgid has in another catalogue.

    Flask-Babel merges catalogues and the last one wins, so one msgid must read the same everywhere; this
    also spares translating 保存 or 取消 once per domain.
    """
    from babel.messages.pofile import read_po, write_po

    paths = glob.glob(os.path.join(APP, "**", "LC_MESSAGES", "messages.po"), recursive=True)
    known: dict[tuple[str, str], str] = {}
    catalogs = {}
    for path in paths:
        lang = path.split(os.sep)[-3]
        with open(path, "rb") as fh:
            catalogs[path] = catalog = read_po(fh)
        for message in catalog:
            if message.id and isinstance(message.string, str) and message.string and not message.fuzzy:
                known.setdefault((lang, message.id), message.string)
    filled = 0
    for path, catalog in catalogs.items():
        lang = path.split(os.sep)[-3]
        changed = False
        for message in catalog:
            if message.id and not message.string and (lang, message.id) in known:
                message.string = known[(lang, message.id)]
                changed = True
                filled += 1
        if changed:
            with open(path, "wb") as fh:
                write_po(fh, catalog, omit_header=False, width=120)
    return filled


def untranslated() -> list[str]:
    from babel.messages.pofile import read_po

    out = []
    for path in sorted(glob.glob(os.path.join(APP, "**", "LC_MESSAGES", "messages.po"), recursive=True)):
        with open(path, "rb") as fh:
            for message in read_po(fh):
                if message.id and not message.string:
                    out.append(f"{os.path.relpath(path, ROOT)}: {message.id}")
    return out


def compile_all() -> None:
    for folder, _sources in catalogues():
        if glob.glob(os.path.join(folder, "*", "LC_MESSAGES", "messages.po")):
            pybabel("compile", "--use-fuzzy", "-d", folder)


if __name__ == "__main__":
    if "--compile" in sys.argv:
        compile_all()
    else:
        extract()
        print(f"reused {reuse_translations()} translations from other catalogues")
        todo = untranslated()
        print("\n".join(todo) if todo else "every string has a translation")
