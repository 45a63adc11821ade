"""Registry of credit-hour (学时) sources: where a ledger line may come from and what evidence it carries.

Each source is one small class registered under its key; the ledger stores the key. Adding a source (e.g. a
live online lecture) is one more class here, never an if/elif in the services.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

SOURCES: dict[str, "Source"] = {}


class Source:
    key: str = ""
    label = _l("学时来源")
    #: Whether an administrator may record it by hand (with an uploaded attendance file as evidence).
    manual: bool = False


def source(cls):
    """Class decorator: register a :class:`Source`."""
    SOURCES[cls.key] = cls()
    return cls


@source
class VideoWatch(Source):
    key = "video_watch"
    label = _l("视频学习（服务器计时）")


@source
class CourseCompletion(Source):
    key = "course_completion"
    label = _l("完成培训课程")


@source
class OfflineTraining(Source):
    key = "offline_training"
    label = _l("线下培训（管理员登记）")
    manual = True


def get_source(key: str) -> Source | None:
    return SOURCES.get(key)
