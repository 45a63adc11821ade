"""``flask ops backup`` / ``flask ops restore``: a round trip that loses no row and no file, and the refusals.

On SQLite by default; under scripts/with_postgres.py (TEST_DATABASE_URL=postgresql...) the same round trip runs
through pg_dump/pg_restore between two fresh PostgreSQL databases.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tarfile
import tempfile

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import create_app
from app.core import storage
from app.extensions import db
from tests.conftest import require_or_skip

PG = (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgresql")


def _fresh_database_url(tmp: str, name: str) -> str:
    if not PG:
        return "sqlite:///" + os.path.join(tmp, f"{name}.db")
    base = make_url(os.environ["TEST_DATABASE_URL"])
    database = f"{base.database}_ops_{name}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{database}"'))
        conn.execute(text(f'CREATE DATABASE "{database}"'))
    admin.dispose()
    return base.set(database=database).render_as_string(hide_password=False)


def _instance(name: str, storage_url: str | None = None):
    tmp = tempfile.mkdtemp(prefix=f"gx-ops-{name}-")
    application = create_app({
        "TESTING": True, "INSTANCE_PATH": tmp, "RATELIMIT_STORAGE_URI": "memory://",
        "SQLALCHEMY_DATABASE_URI": _fresh_database_url(tmp, name),
        "STORAGE_URL": storage_url or "file://" + os.path.join(tmp, "storage")})
    return application, tmp


def _cli(application, *args):
    """Run ``flask ops ...`` against ``application`` (the test's own app context would otherwise be used)."""
    with application.app_context():
        return application.test_cli_runner().invoke(args=["ops", *args])


def _counts(application) -> dict[str, int]:
    from app.ops.backup import table_counts

    with application.app_context():
        return table_counts()


def _checksums(application) -> dict[str, str]:
    from app.ops.backup import storage_keys, stored_sha256

    with application.app_context():
        store = storage.get_storage()
        return {key: stored_sha256(store, key) for key in storage_keys(store)}


@pytest.fixture(scope="module")
def source():
    if PG:
        require_or_skip(shutil.which("pg_dump") and shutil.which("pg_restore"), "pg_dump/pg_restore not installed")
    application, tmp = _instance("src")
    with application.app_context():
        from flask_migrate import upgrade

        from app.core.content import default_content_root, load_content

        upgrade()
        load_content(default_content_root())
        db.session.commit()
        store = storage.get_storage()
        store.put("imports/ab/abcdef.xlsx", b"PK\x03\x04 spreadsheet")
        store.put("media/videos/7f/7f00.mp4", os.urandom(300_000))
        store.put("certificates/00/empty.pdf", b"")
        db.engine.dispose()
    yield application, tmp
    shutil.rmtree(tmp, ignore_errors=True)


def test_round_trip_keeps_every_row_and_file(source):
    src, tmp = source
    archive = os.path.join(tmp, "backup.tar")
    made = _cli(src, "backup", "-o", archive)
    assert made.exit_code == 0, made.output
    assert "备份完成" in made.output

    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        listed = {e["key"]: e["sha256"] for e in manifest["files"]}
        assert listed["media/videos/7f/7f00.mp4"] == hashlib.sha256(
            tar.extractfile("files/media/videos/7f/7f00.mp4").read()).hexdigest()
    source_counts = _counts(src)
    assert manifest["tables"] == source_counts
    assert sum(source_counts.values()) > 100  # the loaded content is really in there
    assert listed == _checksums(src) and len(listed) == 3
    assert manifest["database"]["dialect"] == ("postgresql" if PG else "sqlite")

    dst, dst_tmp = _instance("dst")
    try:
        restored = _cli(dst, "restore", archive)
        assert restored.exit_code == 0, restored.output
        assert "恢复完成并已核对" in restored.output
        assert _counts(dst) == source_counts
        assert _checksums(dst) == listed

        again = _cli(dst, "restore", archive)
        assert again.exit_code != 0
        assert "目标数据库不是空的" in again.output
        assert _counts(dst) == source_counts
    finally:
        with dst.app_context():
            db.engine.dispose()
        shutil.rmtree(dst_tmp, ignore_errors=True)


def test_damaged_archive_is_refused_before_anything_is_written(source):
    src, tmp = source
    archive = os.path.join(tmp, "damaged.tar")
    assert _cli(src, "backup", "-o", archive).exit_code == 0
    with tarfile.open(archive) as tar:
        members = {m.name: (m, tar.extractfile(m).read()) for m in tar.getmembers()}
    member, data = members["files/imports/ab/abcdef.xlsx"]
    members[member.name] = (member, data[:-1] + b"X")  # same size, one byte changed
    with tarfile.open(archive, "w") as tar:
        import io

        for item, body in members.values():
            tar.addfile(item, io.BytesIO(body))

    dst, dst_tmp = _instance("dmg")
    try:
        result = _cli(dst, "restore", archive)
        assert result.exit_code != 0
        assert "已损坏" in result.output and "files/imports/ab/abcdef.xlsx" in result.output
        assert _checksums(dst) == {}
        assert sum(_counts(dst).values()) == 0
    finally:
        with dst.app_context():
            db.engine.dispose()
        shutil.rmtree(dst_tmp, ignore_errors=True)


def test_not_a_backup_is_refused_with_a_clear_message(tmp_path, app):
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"this is not a tar file at all" * 100)
    result = _cli(app, "restore", str(junk))
    assert result.exit_code != 0
    assert "这不是工学平台的备份文件" in result.output
    missing = _cli(app, "restore", str(tmp_path / "nope.tar"))
    assert missing.exit_code != 0 and "找不到备份文件" in missing.output


def test_restore_into_an_object_store_and_back_up_from_it(source, monkeypatch):
    """Moving from a storage folder to an S3-compatible bucket (MinIO, OSS, COS) is a backup and a restore."""
    import boto3
    from moto import mock_aws

    src, tmp = source
    archive = os.path.join(tmp, "to-s3.tar")
    assert _cli(src, "backup", "-o", archive).exit_code == 0
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    with mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="gx-restore")
        dst, dst_tmp = _instance("s3", "s3://gx-restore/prod?region=us-east-1")
        try:
            restored = _cli(dst, "restore", archive)
            assert restored.exit_code == 0, restored.output
            assert _checksums(dst) == _checksums(src)
            again = os.path.join(dst_tmp, "from-s3.tar")
            assert _cli(dst, "backup", "-o", again).exit_code == 0
            with tarfile.open(again) as tar:
                files = {e["key"]: e["sha256"] for e in json.load(tar.extractfile("manifest.json"))["files"]}
            assert files == _checksums(src)
        finally:
            with dst.app_context():
                db.engine.dispose()
            shutil.rmtree(dst_tmp, ignore_errors=True)


def test_backup_into_a_missing_folder_is_refused(app, tmp_path):
    result = _cli(app, "backup", "-o", str(tmp_path / "no" / "such" / "b.tar"))
    assert result.exit_code != 0 and "目录不存在" in result.output
