"""The registry of notification kinds: what a user may be told about, with a label for the preferences page
and the default of each channel. A kind is registered once here; receivers (receivers.py) use its name."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Kind:
    name: str
    label: object
    #: Sent by e-mail unless the user turns it off (in-app is always on by default).
    email_default: bool = True


KINDS: dict[str, Kind] = {}


def register_kind(name: str, label, *, email_default: bool = True) -> Kind:
    KINDS[name] = kind = Kind(name, label, email_default)
    return kind


def label_of(name: str) -> str:
    kind = KINDS.get(name)
    return str(kind.label) if kind else ""


register_kind("exams.granted", _l("考试开放"))
register_kind("tasks.plan_approved", _l("计划获批"))
register_kind("tasks.plan_returned", _l("计划被退回"))
register_kind("tasks.stage_returned", _l("环节被退回"))
register_kind("tasks.evaluated", _l("评价与反馈"))
register_kind("grading.released", _l("成绩公布"))
register_kind("exams.results", _l("考试成绩"))
register_kind("evaluation.requested", _l("评价邀请"))
register_kind("review.decided", _l("审核结果"))
register_kind("certification.issued", _l("证书颁发"))
register_kind("certification.revoked", _l("证书撤销"))
register_kind("imports.finished", _l("导入完成"), email_default=False)
register_kind("reminders.due", _l("截止提醒"))
