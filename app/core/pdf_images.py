"""Stored pictures that page content may show in generated PDFs.

A PDF builder never opens an ``<img src>`` by itself (no file path or network access on behalf of content). Domains
that serve stored images register the URL pattern they serve them under, with a function that returns the bytes
of the images that may be printed (for instance only approved ones); :func:`resolve` asks each source once for
all the images of a document, so the number of SQL statements does not grow with the number of pictures.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ImageSource:
    #: Matches a ``src`` this source serves; group 1 is the integer id.
    pattern: re.Pattern
    #: ``fetch(ids) -> {id: bytes}``: the printable images among ``ids`` (absent: missing or not printable).
    fetch: Callable[[list[int]], dict[int, bytes]]


SOURCES: list[ImageSource] = []


def register_image_source(pattern: str, fetch: Callable[[list[int]], dict[int, bytes]]) -> None:
    """Register stored images served under ``pattern`` (a regex whose group 1 is the id)."""
    SOURCES.append(ImageSource(re.compile(pattern), fetch))


def resolve(srcs) -> dict[str, bytes]:
    """``{src: bytes}`` for the given ``src`` values that a source recognises and may print."""
    wanted: dict[int, dict[int, list[str]]] = {}
    for src in set(srcs):
        for n, source in enumerate(SOURCES):
            found = source.pattern.match(src or "")
            if found:
                wanted.setdefault(n, {}).setdefault(int(found.group(1)), []).append(src)
                break
    out: dict[str, bytes] = {}
    for n, by_id in wanted.items():
        for image_id, data in (SOURCES[n].fetch(sorted(by_id)) or {}).items():
            for src in by_id.get(image_id, []):
                out[src] = data
    return out
