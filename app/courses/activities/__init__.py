"""Registry of activity kinds. Each kind lives in its own module and registers itself with :func:`register`.

A kind answers, for one activity and MANY learners at once, how far each learner got::

    kind.completion_for(activity, user_ids) -> {user_id: Completion(state, detail, percent)}

It must use a fixed number of queries (one or two) whatever the number of learners: the class progress table
calls it once per activity. See docs/activities.md for how another domain adds its kind.
"""
from __future__ import annotations

import enum
import importlib
import importlib.util
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


class State(str, enum.Enum):
    not_started = "not_started"  #: nothing done yet
    in_progress = "in_progress"  #: started, rule not met yet
    complete = "complete"  #: the completion rule is met


@dataclass(frozen=True)
class Completion:
    state: State
    #: Short human text (already translated), e.g. "已看 45%" or "已通过".
    detail: str = ""
    #: 0–100, for progress bars.
    percent: int = 0

    @property
    def done(self) -> bool:
        return self.state is State.complete


NOT_STARTED = Completion(State.not_started, "", 0)


class ActivityKind:
    """Base of an activity kind. Subclasses set ``name``/``label`` and implement ``completion_for``."""

    #: Registry key stored in Activity.kind.
    name: str = ""
    #: Label shown in menus.
    label = _l("活动")
    #: Whether a teacher ticks completion by hand (shows the tick boxes in the progress table).
    manual_marking: bool = False
    #: Whether the learner marks it done themselves (a "我已阅读" button).
    self_marking: bool = False
    #: Whether the kind needs a target object (then ``targets(course)`` lists the choices).
    needs_target: bool = False

    def completion_for(self, activity, user_ids: Iterable[int]) -> dict[int, Completion]:
        raise NotImplementedError

    def completion_for_many(self, activities, user_ids) -> dict[int, dict[int, Completion]]:
        """{activity_id: {user_id: Completion}} for several activities of this kind. The default calls
        ``completion_for`` once per activity; kinds that can do all activities in one query override it."""
        ids = list(user_ids)
        return {a.id: self.completion_for(a, ids) for a in activities}

    def target_url(self, activity) -> str | None:
        """Where a learner opens the activity's object (the exam, the workbook, the task), if it has one."""
        return None

    def on_learners(self, activity, user_ids: list[int]) -> None:
        """Learners joined a course with this activity, or the activity was added to a course with learners.

        Kinds whose object needs its own access record (an exam grant) create it here, batched; default none."""
        return None

    def targets(self, course) -> list[tuple[int, str]]:
        """(id, title) choices for ``target_id`` (kinds that need a target)."""
        return []

    def validate(self, *, target_id, rule: dict, body: str, url: str | None) -> dict:
        """Check and normalise the settings of a new activity; returns the rule to store."""
        return rule or {}


KINDS: dict[str, ActivityKind] = {}


def register(kind_class):
    """Class decorator: add an :class:`ActivityKind` subclass to the registry (one instance per kind)."""
    KINDS[kind_class.name] = kind_class()
    return kind_class


def get_kind(name: str) -> ActivityKind | None:
    return KINDS.get(name)


def choices() -> list[tuple[str, str]]:
    return [(k.name, str(k.label)) for k in KINDS.values()]


#: Built-in kinds, always present.
BUILTIN = ("manual", "page")
#: Adapters to other domains: module -> the domain it needs in app.DOMAINS. An adapter is imported only when
#: its domain is installed, so this package never imports a domain that is not there.
ADAPTERS = {"video": "media", "workbook": "workbooks", "exam": "exams"}


def load_kinds(domains: Iterable[str]) -> None:
    """Import the built-in kinds and the adapters whose domain is installed (called by create_app)."""
    installed = set(domains)
    for module in BUILTIN:
        importlib.import_module(f"{__name__}.{module}")
    for module, domain in ADAPTERS.items():
        # An adapter ships when its domain's integration is written; until then the kind is simply absent.
        if domain in installed and importlib.util.find_spec(f"{__name__}.{module}") is not None:
            importlib.import_module(f"{__name__}.{module}")
