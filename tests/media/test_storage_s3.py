"""The s3 storage backend against an S3-compatible server started on 127.0.0.1 (moto's server)."""
from __future__ import annotations

import os
import socket
import urllib.request

import pytest

from app.core import storage, uploads
from tests.conftest import require_or_skip
from tests.media import samples


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        ThreadedMotoServer = None
    require_or_skip(ThreadedMotoServer is not None, "moto[s3] (requirements-dev.txt) is not installed")
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    saved = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    os.environ.update(AWS_ACCESS_KEY_ID="test-key", AWS_SECRET_ACCESS_KEY="test-secret")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture
def s3(app, s3_endpoint):
    url = f"s3://gx-media/site1?endpoint={s3_endpoint}&region=us-east-1"
    store = storage.BACKENDS["s3"](url)
    store.client.create_bucket(Bucket="gx-media")
    saved_url, saved_store = app.config.get("STORAGE_URL"), app.extensions.pop("gx_storage", None)
    app.config["STORAGE_URL"] = url
    try:
        yield storage.get_storage()
    finally:
        app.config["STORAGE_URL"] = saved_url
        app.extensions.pop("gx_storage", None)
        if saved_store is not None:
            app.extensions["gx_storage"] = saved_store


def test_put_open_range_exists_delete(s3, tmp_path):
    assert isinstance(s3, storage.S3Storage)
    key = storage.new_key("t", "bin")
    s3.put(key, b"0123456789")
    assert s3.exists(key) and s3.size(key) == 10
    with s3.open(key) as fh:
        assert fh.read() == b"0123456789"
    assert s3.read_range(key, 2, 5) == b"2345"
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(3 * 1024 * 1024))
    key2 = storage.new_key("t", "bin")
    s3.put_file(key2, str(big))
    assert s3.read_range(key2, 1024 * 1024, 1024 * 1024 + 9) == big.read_bytes()[1024 * 1024:1024 * 1024 + 10]
    s3.delete(key)
    assert not s3.exists(key)
    with pytest.raises(FileNotFoundError):
        s3.open(key)
    assert s3.path(key2) is None


def test_presigned_url_serves_the_object_with_its_chinese_name(s3):
    key = storage.new_key("t", "pdf")
    s3.put(key, samples.pdf())
    url = s3.url(key, filename="作业报告.pdf", mimetype="application/pdf")
    with urllib.request.urlopen(url) as response:
        assert response.read() == samples.pdf()
        assert response.headers["Content-Type"] == "application/pdf"
        assert "filename*=UTF-8''%E4%BD%9C%E4%B8%9A" in response.headers["Content-Disposition"]


def test_upload_service_stores_in_s3_and_cleans_up_after_refusal(s3):
    result = uploads.read_bytes(samples.video(), "演示.mp4", ["video"], prefix="media")
    assert s3.exists(result.key) and s3.exists(result.derivatives["poster"].key)
    assert s3.size(result.key) == result.size
    listed = s3.client.list_objects_v2(Bucket="gx-media").get("KeyCount", 0)
    with pytest.raises(uploads.UploadRefused):
        uploads.read_bytes(b"MZ" + b"\x00" * 100, "x.mp4", ["video"], prefix="media")
    assert s3.client.list_objects_v2(Bucket="gx-media").get("KeyCount", 0) == listed
    result.discard()
    assert not s3.exists(result.key)


def test_media_files_in_s3_are_served_by_presigned_redirect(s3, app):
    from sqlalchemy import select

    from app.catalog.models import Profession
    from app.extensions import db
    from app.media import services
    from app.review import services as review
    from tests import factories

    profession = db.session.scalars(select(Profession)).first()
    stored = uploads.read_bytes(samples.video(seconds=2), "演示.mp4", ["video"], prefix="media")
    video = services.add_resource(factories.user("teacher"), stored, profession_id=profession.id)
    review.submit(video, None)
    review.approve(video, factories.user("reviewer"))
    db.session.commit()
    response = app.test_client().get(f"/media/videos/{video.id}/file")
    assert response.status_code == 302
    request = urllib.request.Request(response.headers["Location"], headers={"Range": "bytes=10-19"})
    with urllib.request.urlopen(request) as ranged:
        assert ranged.status == 206 and ranged.headers["Content-Type"] == "video/mp4"
        with s3.open(stored.key) as fh:
            assert ranged.read() == fh.read()[10:20]
