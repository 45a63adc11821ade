"""Typed access to the values of a content item (``app.core.content.Item``), so that a loader meets a list
where it expected text as a ``file:line`` error instead of a crash deep in the database driver."""
from __future__ import annotations

from flask_babel import gettext as _

from app.core.content import Item

#: YAML scalars a person may write where text is meant (``code: 0401`` is read as a number).
_SCALARS = (str, int, float)


def text(item: Item, name: str, default: str = "") -> str:
    """The value of ``name`` as trimmed text; numbers are accepted and written as text."""
    value = item.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, _SCALARS):
        raise item.error(_("“%(name)s”必须是文字，实际为 %(value)s", name=name, value=repr(value)))
    return str(value).strip()


def text_list(item: Item, name: str) -> list[str]:
    """The value of ``name`` as a list of texts (an absent value is an empty list)."""
    value = item.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, _SCALARS) and not isinstance(v, bool) for v in value):
        raise item.error(_("“%(name)s”必须是列表，例如 [a, b]，实际为 %(value)s", name=name, value=repr(value)))
    return [str(v).strip() for v in value]
