"""Media pages and file URLs as users see them: upload, library, video page, documents, review visibility."""
from __future__ import annotations

import io
import re

import pytest

from sqlalchemy import func, select

from app.extensions import db
from app.media.models import Document, MediaFile, Video
from tests import factories
from tests.media import samples


def upload(client, profession, data: bytes, name: str, **fields):
    payload = {"file": (io.BytesIO(data), name), "profession_id": str(profession.id), **fields}
    return client.form("/media/upload", payload, token_from="/media/upload", content_type="multipart/form-data")


def test_teacher_uploads_a_video_as_a_draft(client, login_as, profession):
    teacher = login_as("teacher")
    response = upload(client, profession, samples.video(size=(64, 48)), "焊接演示.mp4", title="", description="要点")
    assert response.status_code == 302
    video = db.session.scalar(select(Video).order_by(Video.id.desc()))
    assert video.title == "焊接演示" and video.review_state == "draft" and video.created_by_id == teacher.id
    assert (video.width, video.height, video.codec) == (64, 48, "h264")
    assert video.file.original_name == "焊接演示.mp4" and len(video.file.sha256) == 64
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<video" in page and f"/media/videos/{video.id}/file" in page and "poster=" in page
    assert "提交审核" in page


def test_upload_page_offers_a_progress_bar(client, login_as):
    login_as("teacher")
    page = client.get("/media/upload").get_data(as_text=True)
    assert 'data-upload-progress="#upload-progress"' in page and 'id="upload-progress"' in page
    assert 'accept=".docx,.gif,.jpe,.jpeg,.jpg,.m4v,.mp4,.pdf,.png,.pptx,.webm,.webp,.xlsx"' in page


def test_refused_upload_keeps_nothing_and_says_why(client, login_as, profession):
    login_as("teacher")
    before = db.session.scalar(select(func.count()).select_from(MediaFile))
    response = upload(client, profession, b"MZ\x90\x00" + b"\x00" * 2000, "setup.mp4")
    assert response.status_code == 200
    assert "无法识别" in response.get_data(as_text=True)
    data = samples.video(seconds=2)
    response = upload(client, profession, data[: len(data) // 2], "cut.mp4")
    assert response.status_code == 200 and "不完整" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(MediaFile)) == before


def test_students_cannot_upload(client, login_as, profession):
    login_as("student")
    assert client.get("/media/upload").status_code == 403


def test_oversized_body_is_refused_before_it_is_read(client, login_as, app):
    login_as("teacher")

    class Unreadable(io.RawIOBase):
        def readable(self):
            return True

        def seekable(self):
            return True

        def tell(self):
            return 0

        def seek(self, offset, whence=0):
            return 0

        def read(self, n=-1):
            raise AssertionError("the body must not be read")

    response = client.post("/media/upload", input_stream=Unreadable(), content_type="multipart/form-data; boundary=x",
                           environ_overrides={"CONTENT_LENGTH": str(4 * 1024 ** 3)})
    assert response.status_code == 413
    assert "过大" in response.get_data(as_text=True)


def test_video_kind_may_exceed_the_global_cap(client, login_as, profession, app):
    """MAX_CONTENT_LENGTH stays the cap elsewhere; the upload endpoint allows the video limit."""
    login_as("teacher")
    saved = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 1000
    try:
        response = upload(client, profession, samples.video(seconds=2), "long.mp4")
        assert response.status_code == 302
        assert client.post("/account/tokens", data={"name": "x" * 2000}).status_code == 413
    finally:
        app.config["MAX_CONTENT_LENGTH"] = saved


def test_unapproved_video_is_hidden_from_learners_and_the_public(app, client, login_as, make_resource):
    teacher = factories.user("teacher")
    video = make_resource(teacher)
    urls = [f"/media/videos/{video.id}", f"/media/videos/{video.id}/file", f"/media/videos/{video.id}/poster.jpg"]
    anonymous = app.test_client()
    for url in urls[1:]:
        assert anonymous.get(url).status_code == 404
    login_as("student")
    for url in urls:
        assert client.get(url).status_code == 404, url
    library = client.get(f"/media/professions/{video.profession_id}").get_data(as_text=True)
    assert video.title not in library
    # Its author sees it all.
    author = app.test_client()
    login_as(user=teacher, client_=author)
    for url in urls:
        assert author.get(url).status_code == 200, url


def test_approved_video_is_visible_and_streams(app, client, login_as, make_resource, fast_path):
    video = make_resource(factories.user("teacher"), approved=True, title="发动机拆装")
    login_as("student")
    page = client.get(f"/media/videos/{video.id}").get_data(as_text=True)
    assert "发动机拆装" in page and "<video" in page
    library = client.get(f"/media/professions/{video.profession_id}").get_data(as_text=True)
    assert "发动机拆装" in library
    response = app.test_client().get(f"/media/videos/{video.id}/file")
    assert response.status_code == 200 and response.mimetype == "video/mp4"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert response.headers["Accept-Ranges"] == "bytes"


@pytest.fixture(params=[True, False], ids=["fast-path", "views"])
def fast_path(request, app):
    """Published files are served by the WSGI fast path (app/media/streaming.py) or, with it off, the views."""
    app.config["MEDIA_FAST_PATH"] = request.param
    yield request.param
    app.config.pop("MEDIA_FAST_PATH")


def test_range_requests_seek_anywhere(app, make_resource, fast_path):
    video = make_resource(factories.user("teacher"), approved=True, data=samples.video(seconds=3), name="v.mp4")
    client = app.test_client()
    whole = client.get(f"/media/videos/{video.id}/file").data
    size = len(whole)
    assert size == video.file.size
    for start, end in [(0, 0), (100, 1099), (size - 10, size - 1)]:
        response = client.get(f"/media/videos/{video.id}/file", headers={"Range": f"bytes={start}-{end}"})
        assert response.status_code == 206
        assert response.headers["Content-Range"] == f"bytes {start}-{end}/{size}"
        assert response.data == whole[start:end + 1]
        assert int(response.headers["Content-Length"]) == end - start + 1
    tail = client.get(f"/media/videos/{video.id}/file", headers={"Range": "bytes=-50"})
    assert tail.status_code == 206 and tail.data == whole[-50:]
    open_ended = client.get(f"/media/videos/{video.id}/file", headers={"Range": f"bytes={size - 7}-"})
    assert open_ended.data == whole[-7:]
    beyond = client.get(f"/media/videos/{video.id}/file", headers={"Range": f"bytes={size + 10}-"})
    assert beyond.status_code == 416 and beyond.headers["Content-Range"] == f"bytes */{size}"
    longer_suffix = client.get(f"/media/videos/{video.id}/file", headers={"Range": f"bytes=-{size + 1000}"})
    assert longer_suffix.status_code == 206 and longer_suffix.data == whole
    assert longer_suffix.headers["Content-Range"] == f"bytes 0-{size - 1}/{size}"
    etag = tail.headers["ETag"]
    assert client.get(f"/media/videos/{video.id}/file", headers={"If-None-Match": etag}).status_code == 304
    stale = client.get(f"/media/videos/{video.id}/file", headers={"Range": "bytes=0-9", "If-Range": '"other"'})
    assert stale.status_code == 200 and stale.data == whole
    head = client.head(f"/media/videos/{video.id}/file", headers={"Range": "bytes=0-99"})
    assert head.status_code == 206 and head.headers["Content-Length"] == "100" and head.data == b""


def test_x_accel_redirect_hands_the_file_to_nginx(app, make_resource, fast_path):
    video = make_resource(factories.user("teacher"), approved=True)
    app.config["MEDIA_X_ACCEL_PREFIX"] = "/_protected/"
    try:
        response = app.test_client().get(f"/media/videos/{video.id}/file", headers={"Range": "bytes=0-99"})
    finally:
        app.config.pop("MEDIA_X_ACCEL_PREFIX")
    assert response.status_code == 200 and response.data == b""
    assert response.headers["X-Accel-Redirect"] == "/_protected/" + video.file.storage_key
    assert response.mimetype == "video/mp4"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_documents_download_with_their_chinese_name(app, client, login_as, make_resource, fast_path):
    document = make_resource(factories.user("teacher"), kind="document", approved=True)
    login_as("student")
    page = client.get(f"/media/documents/{document.id}").get_data(as_text=True)
    assert "作业报告.pdf" in page
    response = client.get(f"/media/documents/{document.id}/file")
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")
    assert len(response.data) == document.file.size
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''%E4%BD%9C%E4%B8%9A%E6%8A%A5%E5%91%8A.pdf" in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]


def test_unapproved_document_file_is_hidden(app, make_resource):
    document = make_resource(factories.user("teacher"), kind="document")
    assert app.test_client().get(f"/media/documents/{document.id}/file").status_code == 404


def test_review_workflow_publishes_a_video(app, client, login_as, make_resource):
    teacher = factories.user("teacher")
    video = make_resource(teacher, title="待审视频")
    db.session.commit()
    author = app.test_client()
    login_as(user=teacher, client_=author)
    page = author.get(f"/media/videos/{video.id}").get_data(as_text=True)
    assert f"/review/video/{video.id}/submit" in page
    response = author.form(f"/review/video/{video.id}/submit", {"next": f"/media/videos/{video.id}"},
                           token_from=f"/media/videos/{video.id}")
    assert response.status_code == 302
    # The author cannot approve their own video, a reviewer can.
    reviewer = app.test_client()
    login_as("reviewer", client_=reviewer)
    queue = reviewer.get("/review").get_data(as_text=True)
    assert "待审视频" in queue and "焊接演示.mp4" in queue
    assert reviewer.form(f"/review/video/{video.id}/approve", {}, token_from="/review").status_code == 302
    assert app.test_client().get(f"/media/videos/{video.id}/file").status_code == 200


def test_editing_is_for_drafts_only(app, client, login_as, make_resource, profession, learning_task):
    teacher = login_as("teacher")
    video = make_resource(teacher)
    form = client.get(f"/media/video/{video.id}/edit").get_data(as_text=True)
    assert "C1-T1 更换机油" in form
    response = client.form(f"/media/video/{video.id}/edit",
                           {"title": "新标题", "description": "说明", "learning_task_id": str(learning_task.id)},
                           token_from=f"/media/video/{video.id}/edit")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Video, video.id).title == "新标题"
    assert db.session.get(Video, video.id).learning_task_id == learning_task.id
    assert "更换机油" in client.get(f"/media/videos/{video.id}").get_data(as_text=True)
    approved = make_resource(teacher, approved=True)
    response = client.form(f"/media/video/{approved.id}/edit", {"title": "x", "learning_task_id": "0"},
                           token_from="/media/upload")
    assert response.status_code == 200
    other = make_resource(factories.user("teacher"))
    assert client.get(f"/media/video/{other.id}/edit").status_code == 403


def test_a_task_of_another_profession_cannot_be_linked(app, make_resource, learning_task, profession):
    from app.catalog.models import Profession
    from app.errors import ValidationError
    from app.media import services

    other = db.session.scalar(select(Profession).where(Profession.id != profession.id))
    video = make_resource(factories.user("teacher"), profession_id=other.id)
    try:
        services.update_resource(video, title="t", description="", learning_task_id=learning_task.id)
    except ValidationError as exc:
        assert "不属于该专业" in exc.message
    else:
        raise AssertionError("linking a task of another profession must be refused")


def test_profession_page_lists_approved_media_of_its_tasks(client, login_as, make_resource, profession,
                                                            learning_task, count_queries):
    author = factories.user("teacher")
    make_resource(author, approved=True, title="机油更换演示", learning_task_id=learning_task.id)
    make_resource(author, kind="document", approved=True, title="保养工单", learning_task_id=learning_task.id)
    make_resource(author, title="未审核的视频", learning_task_id=learning_task.id)
    login_as("student")
    url = f"/professions/{profession.id}"
    with count_queries() as few:
        page = client.get(url).get_data(as_text=True)
    assert "机油更换演示" in page and "保养工单" in page
    assert "未审核的视频" not in page
    for i in range(4):
        make_resource(author, approved=True, title=f"演示{i}", learning_task_id=learning_task.id)
    with count_queries() as many:
        page = client.get(url).get_data(as_text=True)
    assert "演示3" in page
    assert many.count == few.count


def test_bulk_upload_reports_each_file(client, login_as, profession):
    login_as("platform_admin")
    page = client.get("/media/bulk").get_data(as_text=True)
    assert 'data-upload-progress="#bulk-progress"' in page and "multiple" in page
    lesson = samples.video(shade=200)
    files = [(io.BytesIO(lesson), "第一课.mp4"), (io.BytesIO(samples.pdf(99)), "讲义.pdf"),
             (io.BytesIO(b"MZ" + b"\x00" * 500), "virus.mp4"), (io.BytesIO(samples.office("pptx")), "课件.pptx"),
             (io.BytesIO(lesson), "第一课（副本）.mp4")]
    before = db.session.scalar(select(func.count()).select_from(MediaFile))
    response = client.form("/media/bulk", {"files": files, "profession_id": str(profession.id)},
                           token_from="/media/bulk", content_type="multipart/form-data")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    rows = re.findall(r"<tr>.*?</tr>", html, re.S)
    rows = rows[1:]  # the header row
    assert len(rows) == 5
    assert "已保存为草稿" in rows[0] and "已保存为草稿" in rows[1] and "已保存为草稿" in rows[3]
    assert "未接收" in rows[2] and "virus.mp4" in rows[2]
    assert "未接收" in rows[4] and "已有相同的文件" in rows[4], "the same file is kept once per profession"
    assert db.session.scalar(select(func.count()).select_from(MediaFile)) == before + 3
    drafts = db.session.scalars(select(Document).where(Document.profession_id == profession.id)).all()
    assert {d.review_state for d in drafts} == {"draft"}


def test_bulk_upload_is_for_administrators(client, login_as):
    login_as("teacher")
    assert client.get("/media/bulk").status_code == 403


def test_library_sql_is_constant_and_filters(client, login_as, make_resource, count_queries, profession):
    author = factories.user("teacher")
    make_resource(author, approved=True, title="甲视频")
    login_as("student")
    url = f"/media/professions/{profession.id}"
    with count_queries() as few:
        assert client.get(url).status_code == 200
    for i in range(6):
        make_resource(author, approved=True, title=f"视频{i}")
    with count_queries() as many:
        page = client.get(url).get_data(as_text=True)
    assert many.count == few.count
    assert page.count("/poster.jpg") == 7
    assert "甲视频" in client.get(url + "?q=甲").get_data(as_text=True)
    assert "视频3" not in client.get(url + "?q=甲").get_data(as_text=True)
    make_resource(author, kind="document", approved=True, title="实训指导书")
    docs = client.get(url + "?kind=document").get_data(as_text=True)
    assert "实训指导书" in docs and "甲视频" not in docs
    name = profession.name
    with count_queries() as index_q:
        assert name in client.get("/media").get_data(as_text=True)
    assert index_q.count <= 5, "\n".join(s[:90] for s in index_q.statements)


def test_video_page_sql_is_constant(client, login_as, make_resource, count_queries):
    video = make_resource(factories.user("teacher"), approved=True)
    login_as("student")
    with count_queries() as q:
        assert client.get(f"/media/videos/{video.id}").status_code == 200
    assert q.count <= 6



def test_author_deletes_a_draft_with_its_files(app, client, login_as, make_resource):
    import os

    from app.core import storage

    teacher = login_as("teacher")
    video = make_resource(teacher)
    video_id, keys = video.id, [video.file.storage_key, video.poster_key]
    # The request deletes these rows in its own session; forget this session's copies (ids may be reused).
    db.session.expunge(video.file)
    db.session.expunge(video)
    page = client.get(f"/media/videos/{video_id}").get_data(as_text=True)
    assert f"/media/video/{video_id}/delete" in page
    response = client.form(f"/media/video/{video_id}/delete", {}, token_from=f"/media/videos/{video_id}")
    assert response.status_code == 302
    assert db.session.scalar(select(Video.id).where(Video.id == video_id)) is None
    assert not any(os.path.exists(storage.get_storage().path(k)) for k in keys)
    published = make_resource(teacher, approved=True)
    assert client.form(f"/media/video/{published.id}/delete", {}, token_from="/media").status_code == 409
    assert storage.get_storage().exists(published.file.storage_key)
    other = make_resource(factories.user("teacher"))
    assert client.form(f"/media/video/{other.id}/delete", {}, token_from="/media").status_code == 403


def test_withdrawn_video_stops_streaming_even_with_the_fast_path_memory(app, make_resource):
    from app.review import services as review

    app.config["MEDIA_FACTS_TTL"] = 60
    try:
        video = make_resource(factories.user("teacher"), approved=True)
        client = app.test_client()
        assert client.get(f"/media/videos/{video.id}/file").status_code == 200
        assert client.get(f"/media/videos/{video.id}/file").status_code == 200  # remembered
        review.withdraw(video, factories.user("reviewer"), "内容有误")
        db.session.commit()
        assert client.get(f"/media/videos/{video.id}/file").status_code == 404
    finally:
        app.config.pop("MEDIA_FACTS_TTL")
