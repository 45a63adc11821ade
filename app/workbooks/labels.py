"""Labels of the work steps pages are used in (the default 六步法 of TaskStage)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

#: key -> label, in the order of the work process.
STAGES = {
    "inform": _l("获取信息"), "plan": _l("制定计划"), "decide": _l("做出决策"),
    "implement": _l("实施计划"), "check": _l("检查控制"), "evaluate": _l("评价反馈"),
}


def stage_label(key: str) -> str:
    return str(STAGES.get(key, key)) if key else ""


def stage_choices() -> list[tuple[str, str]]:
    return [("", str(_l("（不限）")))] + [(k, str(v)) for k, v in STAGES.items()]
