"""Workbook test data through the real services."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.catalog.models import Profession
from app.extensions import db
from app.review import services as review
from app.workbooks import services

PAGE = """本页练习更换制动片。

## 工作准备

```worksheet
- key: tools
  type: checklist
  label: 领取工具
  items: [扭力扳手, 千斤顶, 安全支架]
- key: torque
  type: table
  label: 螺栓扭矩记录
  columns:
    - {key: position, label: 位置}
    - {key: value, label: 扭矩, type: number, unit: N·m}
  row_labels: [左前, 右前]
```

完成后请教师签字。
"""


def profession() -> Profession:
    return db.session.scalars(select(Profession).order_by(Profession.id)).first()


def workbook(author, *, title="汽车制动系统检修工作页", prof=None):
    return services.create_workbook(profession=prof or profession(), title=title, author=author)


def page(workbook_, author, *, title="更换制动片", source=PAGE, **kwargs):
    return services.add_page(workbook_, author=author, title=title, source=source,
                             effective_date=kwargs.pop("effective_date", date(2026, 9, 1)), **kwargs)


def publish(version, author, reviewer):
    review.submit(version, author)
    review.approve(version, reviewer)
    return version


def approved_standard_task(code: str = "C3-T1"):
    """The demo standard (loaded from content/) approved, and one of its learning tasks."""
    from app.standards.models import IntegratedCourse, LearningTask, StandardVersion

    task = db.session.scalar(select(LearningTask).where(LearningTask.code == code))
    version = db.session.get(StandardVersion, db.session.get(IntegratedCourse, task.course_id).version_id)
    if version.review_state != "approved":
        from tests import factories

        admin, reviewer = factories.user("platform_admin"), factories.user("reviewer")
        review.submit(version, admin)
        review.approve(version, reviewer)
    return task


def profession_of(task):
    from app.standards.models import CourseStandard, IntegratedCourse, StandardVersion

    return db.session.scalar(select(Profession).join(CourseStandard, CourseStandard.profession_id == Profession.id)
                             .join(StandardVersion, StandardVersion.standard_id == CourseStandard.id)
                             .join(IntegratedCourse, IntegratedCourse.version_id == StandardVersion.id)
                             .where(IntegratedCourse.id == task.course_id))


def all_professions():
    return list(db.session.scalars(select(Profession).order_by(Profession.id)))
