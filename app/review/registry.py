"""Registry of reviewable kinds: each domain registers its models here, so review never imports them.

Example (in ``app/media/review.py`` or at the bottom of a domain's models module)::

    register_kind("video", model=Video, label=_l("教学视频"), title=lambda v: v.title,
                  url=lambda v: url_for("media.video", video_id=v.id), diff=lambda v: v.description)
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from app.errors import NotFound


def _submitter(obj) -> int | None:
    return obj.submitted_by_id


def _no_prefetch(objs: list) -> None:
    return None


def _no_hook(obj) -> None:
    return None


@dataclass
class ReviewKind:
    #: Stable name stored in ``ReviewRecord.kind`` and used in URLs.
    name: str
    #: The SQLAlchemy model (must use the :class:`~app.review.models.Reviewable` mixin).
    model: type
    #: Human label of the kind (lazy string), shown in the queue.
    label: object
    #: ``title(obj) -> str``.
    title: Callable
    #: ``url(obj) -> str``: where a reviewer reads the full object.
    url: Callable
    #: ``diff(obj) -> Markup | str``: what changed since the last approved state. Plain strings are escaped;
    #: return ``markupsafe.Markup`` only for HTML produced by ``app.core.sanitize`` or escaped by you.
    diff: Callable
    #: ``owner_id(obj) -> user id``: the author; neither the author nor the submitter may approve.
    owner_id: Callable = _submitter
    #: Loader options applied when the queue loads this kind (e.g. ``selectinload``), to keep SQL constant.
    options: tuple = ()
    #: ``prefetch(objs)``: batch-load whatever ``title``/``diff``/``url`` need for a list of objects.
    prefetch: Callable = _no_prefetch
    #: ``on_approve(obj)``: called after approval (e.g. move the "current version" pointer).
    on_approve: Callable = _no_hook
    #: ``on_withdraw(obj)``: called after an approved object is withdrawn (unpublished).
    on_withdraw: Callable = _no_hook
    #: ``on_approve_many(objs)``: after a bulk approval (set-based, for kinds approved by the thousand);
    #: None: ``on_approve`` for each object.
    on_approve_many: Callable | None = None
    #: ``can_submit(user, obj) -> bool``: who may submit or withdraw it; default: its owner, or a platform admin.
    can_submit: Callable | None = None
    extra: dict = field(default_factory=dict)


KINDS: dict[str, ReviewKind] = {}


def register_kind(name: str, *, model: type, label, title: Callable, url: Callable, diff: Callable,
                  owner_id: Callable = _submitter, options: Iterable = (), prefetch: Callable = _no_prefetch,
                  on_approve: Callable = _no_hook, on_withdraw: Callable = _no_hook,
                  can_submit: Callable | None = None, on_approve_many: Callable | None = None) -> ReviewKind:
    """Make ``model`` reviewable under ``name``. Registering the same name again replaces it (reloads)."""
    kind = ReviewKind(name=name, model=model, label=label, title=title, url=url, diff=diff, owner_id=owner_id,
                      options=tuple(options), prefetch=prefetch, on_approve=on_approve, on_withdraw=on_withdraw,
                      can_submit=can_submit, on_approve_many=on_approve_many)
    KINDS[name] = kind
    return kind


def get_kind(name: str) -> ReviewKind:
    try:
        return KINDS[name]
    except KeyError:
        from flask_babel import gettext as _

        raise NotFound(_("未知的审核类型：%(kind)s", kind=name)) from None


def kind_of(obj) -> ReviewKind:
    """The registered kind of ``obj`` (by its class, most specific first)."""
    for cls in type(obj).__mro__:
        for kind in KINDS.values():
            if kind.model is cls:
                return kind
    raise LookupError(f"{type(obj).__name__} is not a registered reviewable kind")
