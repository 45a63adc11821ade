"""``flask demo seed``: a short generated teaching video and a worksheet for the first learning task of every
published demo standard, uploaded by the demo teacher through the real upload service and approved by the demo
reviewer. Generated on the spot (PyAV, openpyxl), so no binary files ship with the project."""
from __future__ import annotations

import io

from sqlalchemy import select

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core.content import demo_step
from app.extensions import db

DEMO_VIDEO_TITLE = "示范视频：工作过程演示"
DEMO_SHEET_TITLE = "示范工单：任务记录表"


def demo_video_bytes(seconds: int = 4, size=(640, 360), rate: int = 25) -> bytes:
    """An H.264 MP4 of a bar sweeping across a gradient: small, valid, playable in every browser."""
    import av
    from PIL import Image, ImageDraw

    out = io.BytesIO()
    with av.open(out, mode="w", format="mp4") as box:
        stream = box.add_stream("libx264", rate=rate)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        frames = seconds * rate
        for i in range(frames):
            image = Image.new("RGB", size, (20, 60 + i * 120 // frames, 120))
            x = i * size[0] // frames
            ImageDraw.Draw(image).rectangle([x, size[1] // 3, x + 40, 2 * size[1] // 3], fill=(250, 200, 40))
            for packet in stream.encode(av.VideoFrame.from_image(image)):
                box.mux(packet)
        for packet in stream.encode():
            box.mux(packet)
    return out.getvalue()


def demo_sheet_bytes(task_name: str) -> bytes:
    from app.core.exports import to_xlsx

    rows = [(step, "", "", "") for step in ("获取信息", "制定计划", "做出决策", "实施计划", "检查控制", "评价反馈")]
    return to_xlsx(["工作步骤", "内容记录", "完成情况", "签名"], rows, title=task_name[:31])


@demo_step(50, _l("教学资源"))
def seed_demo_media() -> str:
    from app.auth import services as auth
    from app.core import uploads
    from app.media import services
    from app.media.models import Video
    from app.review import services as review
    from app.standards import browse

    teacher, reviewer = auth.find_user("teacher"), auth.find_user("reviewer")
    if teacher is None or reviewer is None:
        return _("缺少演示账号")
    created = 0
    for task_id, label in _first_tasks(browse):
        exists = db.session.scalar(select(Video.id).where(Video.learning_task_id == task_id,
                                                          Video.title == DEMO_VIDEO_TITLE))
        if exists:
            continue
        profession_id = _profession_of(task_id)
        files = [(demo_video_bytes(), "工作过程演示.mp4", DEMO_VIDEO_TITLE),
                 (demo_sheet_bytes(label), "任务记录表.xlsx", DEMO_SHEET_TITLE)]
        for data, name, title in files:
            stored = uploads.read_bytes(data, name, services.RESOURCE_KINDS, prefix=services.PREFIX)
            resource = services.add_resource(teacher, stored, profession_id=profession_id, title=title,
                                             description="由 flask demo seed 生成的示范资源。",
                                             learning_task_id=task_id)
            review.submit(resource, teacher)
            review.approve(resource, reviewer, "示范数据：审核通过")
            created += 1
    return _("新建 %(n)s 个资源", n=created)


def _first_tasks(browse) -> list[tuple[int, str]]:
    """The first learning task of each profession's published standards."""
    seen, out = set(), []
    for task_id, label in browse.task_options():
        profession = label.split("·", 1)[0]
        if profession not in seen:
            seen.add(profession)
            out.append((task_id, label))
    return out


def _profession_of(task_id: int) -> int:
    from app.standards.models import CourseStandard, IntegratedCourse, LearningTask, StandardVersion

    return db.session.scalar(
        select(CourseStandard.profession_id).join(StandardVersion, StandardVersion.standard_id == CourseStandard.id)
        .join(IntegratedCourse, IntegratedCourse.version_id == StandardVersion.id)
        .join(LearningTask, LearningTask.course_id == IntegratedCourse.id).where(LearningTask.id == task_id))
