"""``flask media import`` / ``import-video`` and the demo media step."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.media.models import Document, Video
from tests import factories
from tests.media import samples


def test_import_video_publishes_with_approve_as(runner, app, tmp_path, profession):
    reviewer = factories.user("reviewer")
    db.session.commit()
    path = tmp_path / "实训演示.mp4"
    path.write_bytes(samples.video())
    result = runner.invoke(args=["media", "import-video", str(path), "--profession", profession.key,
                                 "--approve-as", reviewer.username])
    assert result.exit_code == 0, result.output
    video = db.session.scalar(select(Video).order_by(Video.id.desc()))
    assert video.title == "实训演示" and video.review_state == "approved"
    assert f"/media/videos/{video.id}/file" in result.output
    assert app.test_client().get(f"/media/videos/{video.id}/file").status_code == 200


def test_import_reports_refused_files_and_keeps_drafts(runner, tmp_path, profession):
    good, bad = tmp_path / "讲义.pdf", tmp_path / "fake.mp4"
    good.write_bytes(samples.pdf())
    bad.write_bytes(b"MZ" + b"\x00" * 100)
    result = runner.invoke(args=["media", "import", str(good), str(bad), "--profession", profession.key])
    assert result.exit_code == 1
    assert "fake.mp4" in result.output and "2 个文件中有 1 个被拒绝" in result.output
    document = db.session.scalar(select(Document).order_by(Document.id.desc()))
    assert document.title == "讲义" and document.review_state == "draft"


def test_import_video_refuses_documents(runner, tmp_path, profession):
    path = tmp_path / "a.pdf"
    path.write_bytes(samples.pdf())
    result = runner.invoke(args=["media", "import-video", str(path), "--profession", profession.key])
    assert result.exit_code == 1 and "不接受" in result.output


def test_demo_media_step_is_idempotent(app, learning_task):
    from app.auth import services as auth
    from app.media.content import seed_demo_media

    if auth.find_user("teacher") is None:
        factories.user("teacher", username="teacher")
        factories.user("reviewer", username="reviewer")
    first = seed_demo_media()
    assert first.startswith("新建") and first.endswith("个资源") and int(first.split()[1]) >= 2
    assert seed_demo_media() == "新建 0 个资源"
    video = db.session.scalar(select(Video).where(Video.learning_task_id == learning_task.id))
    assert video.review_state == "approved" and (video.width, video.height) == (640, 360)
