"""The rich-text sections every course standard has, in print order (a registry, not hard-coded columns)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

#: key -> label. Keys are stored in ``StandardSection.key`` and used in YAML.
SECTIONS: dict[str, object] = {
    "objectives": _l("培养目标"),
    "arrangement": _l("课程安排"),
    "norms": _l("课程规范"),
    "suggestions": _l("实施建议"),
    "assessment": _l("考核与评价"),
}

#: The default stages (六步法) of a new learning task: key -> name. Stage names are data (editable per task and
#: stored as written), so they are plain Chinese here, not translated labels.
DEFAULT_STAGES: dict[str, str] = {
    "inform": "获取信息（资讯）",
    "plan": "制定计划",
    "decide": "做出决策",
    "implement": "实施计划",
    "check": "检查控制",
    "evaluate": "评价反馈",
}
