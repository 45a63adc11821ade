"""Labels of the work steps pages are used in (the default 六步法 of TaskStage)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

#: key -> label, in the order of the work process.
STAGES = {
    "inform": _l("获取信息"), "plan": _l("制定计划"), "decide": _l("做出决策"),
    "implement": _l("实施计划"), "check": _l("检查控制"), "evaluate": _l("评价反馈"),
}


def stage_label(key: str, task=None) -> str:
    """The default label of a 六步法 key, else the name the task's standard gives a custom stage."""
    if not key:
        return ""
    if key in STAGES:
        return str(STAGES[key])
    for stage in (task.stages if task is not None else []):
        if stage.key == key:
            return stage.name
    return key


def stage_choices(task=None) -> list[tuple[str, str]]:
    """The 六步法 plus any custom stages the (page's or workbook's) learning task defines."""
    choices = [("", str(_l("（不限）")))] + [(k, str(v)) for k, v in STAGES.items()]
    if task is not None:
        choices += [(s.key, s.name) for s in task.stages if s.key not in STAGES]
    return choices
