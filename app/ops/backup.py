"""One-file backups of an instance and their restore into an empty one.

The archive (an uncompressed tar: dumps and media are compressed already) holds

* ``database.pgdump`` — ``pg_dump --format=custom`` of a PostgreSQL database, taken in an exported snapshot so
  that the row counts in the manifest are those of the dump — or ``database.sqlite3``, a copy made with SQLite's
  online backup API (consistent while the application keeps writing);
* ``files/<key>`` — every object of the storage backend (folder or S3-compatible bucket);
* ``manifest.json`` — format version, time, database kind, Alembic revision, each table's row count, and each
  file's key, size and SHA-256 (the database dump's too).

Restore refuses a database that holds any row, checks every checksum before anything is written to storage,
and compares the restored row counts and files with the manifest. Messages are for the ``flask ops`` commands
and therefore translated.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from datetime import datetime, timezone

from flask_babel import gettext as _
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from app.core import storage as storage_module
from app.extensions import db

FORMAT = "gongxue-backup"
VERSION = 1
CHUNK = 1024 * 1024
#: Tables that are bookkeeping, not data: a freshly migrated database has a row here and is still "empty".
BOOKKEEPING_TABLES = {"alembic_version"}


class BackupError(Exception):
    """A refusal or failure to show the operator (already translated)."""


# -- storage ---------------------------------------------------------------------------------------------------


def storage_keys(store) -> Iterator[str]:
    """Every key in the storage backend, sorted (files still being written, ``*.part``, are left out)."""
    if isinstance(store, storage_module.FileSystemStorage):
        keys = []
        for folder, _dirs, names in os.walk(store.root):
            for name in names:
                if name.endswith(".part"):
                    continue
                rel = os.path.relpath(os.path.join(folder, name), store.root)
                keys.append(rel.replace(os.sep, "/"))
        yield from sorted(keys)
    elif isinstance(store, storage_module.S3Storage):
        prefix = f"{store.prefix}/" if store.prefix else ""
        paginator = store.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=store.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                yield item["Key"][len(prefix):]
    else:
        raise BackupError(_("这种存储后端不支持列出文件，无法备份。"))


def file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def stored_sha256(store, key: str) -> str:
    digest = hashlib.sha256()
    with store.open(key) as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


class _HashingReader:
    """Reads a stream for tarfile while hashing what passes through."""

    def __init__(self, fh):
        self.fh = fh
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.fh.read(size)
        self.digest.update(data)
        return data


# -- database --------------------------------------------------------------------------------------------------


def _dialect() -> str:
    return db.engine.dialect.name


def _libpq(url) -> tuple[str, dict]:
    """A libpq URL without the password, and the environment carrying it (argv is visible to other users)."""
    url = make_url(url) if isinstance(url, str) else url
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return plain, env


def _count_rows(conn, tables: list[str]) -> dict[str, int]:
    preparer = db.engine.dialect.identifier_preparer
    return {t: int(conn.execute(text(f"SELECT COUNT(*) FROM {preparer.quote(t)}")).scalar_one()) for t in tables}


def _dump_postgresql(target: str) -> tuple[dict[str, int], str | None]:
    """pg_dump in a snapshot this connection exports, counting rows in the same snapshot."""
    if shutil.which("pg_dump") is None:
        raise BackupError(_("找不到 pg_dump：请安装与数据库版本相同的 PostgreSQL 客户端。"))
    url, env = _libpq(db.engine.url)
    with db.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            tables = inspect(conn).get_table_names()
            counts = _count_rows(conn, tables)
            revision = _alembic_revision(conn, tables)
            done = subprocess.run(
                ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
                 f"--file={target}", f"--dbname={url}"], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(_("pg_dump 失败：%(reason)s", reason=done.stderr.strip()[:500]))
    return counts, revision


def _sqlite_path() -> str:
    path = db.engine.url.database
    if not path or path == ":memory:":
        raise BackupError(_("内存中的 SQLite 数据库无法备份或恢复。"))
    return path


def _dump_sqlite(target: str) -> tuple[dict[str, int], str | None]:
    source = sqlite3.connect(_sqlite_path())
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
        tables = [r[0] for r in copy.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        counts = {t: copy.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}
        revision = None
        if "alembic_version" in tables:
            row = copy.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = row[0] if row else None
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        copy.close()
        source.close()
    return counts, revision


def _alembic_revision(conn, tables) -> str | None:
    if "alembic_version" not in tables:
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def table_counts() -> dict[str, int]:
    """Row count of every table of the current database."""
    with db.engine.connect() as conn:
        return _count_rows(conn, inspect(conn).get_table_names())


# -- backup ----------------------------------------------------------------------------------------------------


def backup(output: str) -> dict:
    """Write the archive to ``output`` (via a temporary file beside it) and return its manifest."""
    store = storage_module.get_storage()
    dialect = _dialect()
    folder = os.path.dirname(os.path.abspath(output)) or "."
    if not os.path.isdir(folder):
        raise BackupError(_("目录不存在：%(path)s", path=folder))
    with tempfile.TemporaryDirectory(prefix="gx-backup-") as work:
        if dialect == "postgresql":
            dump_name = "database.pgdump"
            counts, revision = _dump_postgresql(os.path.join(work, dump_name))
        elif dialect == "sqlite":
            dump_name = "database.sqlite3"
            counts, revision = _dump_sqlite(os.path.join(work, dump_name))
        else:
            raise BackupError(_("不支持备份这种数据库：%(name)s", name=dialect))
        dump_path = os.path.join(work, dump_name)
        manifest = {
            "format": FORMAT, "version": VERSION,
            "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "database": {"dialect": dialect, "file": dump_name, "size": os.path.getsize(dump_path),
                         "sha256": file_sha256(dump_path), "alembic_revision": revision},
            "tables": counts,
            "files": [],
        }
        handle, partial = tempfile.mkstemp(prefix=".gx-backup-", suffix=".part", dir=folder)
        os.close(handle)
        try:
            with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as archive:
                archive.add(dump_path, arcname=dump_name)
                for key in storage_keys(store):
                    info = tarfile.TarInfo("files/" + key)
                    info.size = store.size(key)
                    info.mode = 0o600
                    with store.open(key) as fh:
                        reader = _HashingReader(fh)
                        archive.addfile(info, reader)
                    manifest["files"].append({"key": key, "size": info.size, "sha256": reader.digest.hexdigest()})
                body = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode()
                info = tarfile.TarInfo("manifest.json")
                info.size = len(body)
                info.mode = 0o600
                archive.addfile(info, io.BytesIO(body))
            os.replace(partial, output)
        except BaseException:
            if os.path.exists(partial):
                os.remove(partial)
            raise
    return manifest


# -- restore ---------------------------------------------------------------------------------------------------


def read_manifest(archive: tarfile.TarFile) -> dict:
    try:
        manifest = json.load(archive.extractfile("manifest.json"))
    except (KeyError, ValueError, AttributeError):
        raise BackupError(_("这不是工学平台的备份文件（缺少 manifest.json）。")) from None
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise BackupError(_("备份文件的格式不认识。"))
    return manifest


def non_empty_tables() -> list[str]:
    """Tables of the current database holding at least one row (bookkeeping tables aside)."""
    preparer = db.engine.dialect.identifier_preparer
    out = []
    with db.engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            if table in BOOKKEEPING_TABLES:
                continue
            if conn.execute(text(f"SELECT 1 FROM {preparer.quote(table)} LIMIT 1")).first() is not None:
                out.append(table)
    return sorted(out)


def _extract_checked(archive: tarfile.TarFile, name: str, expected: str, target: str) -> None:
    try:
        source = archive.extractfile(name)
    except KeyError:
        source = None
    if source is None:
        raise BackupError(_("备份文件不完整：缺少 %(name)s。", name=name))
    digest = hashlib.sha256()
    with open(target, "wb") as out:
        for chunk in iter(lambda: source.read(CHUNK), b""):
            digest.update(chunk)
            out.write(chunk)
    if digest.hexdigest() != expected:
        raise BackupError(_("备份文件已损坏：%(name)s 的校验值不符。", name=name))


def _restore_postgresql(dump: str) -> None:
    if shutil.which("pg_restore") is None:
        raise BackupError(_("找不到 pg_restore：请安装与数据库版本相同的 PostgreSQL 客户端。"))
    url, env = _libpq(db.engine.url)
    db.engine.dispose()
    done = subprocess.run(
        ["pg_restore", "--no-owner", "--no-privileges", "--clean", "--if-exists", "--single-transaction",
         "--exit-on-error", f"--dbname={url}", dump], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(_("pg_restore 失败：%(reason)s", reason=done.stderr.strip()[:500]))


def _restore_sqlite(dump: str) -> None:
    db.engine.dispose()
    source = sqlite3.connect(dump)
    target = sqlite3.connect(_sqlite_path())
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()
    db.engine.dispose()


def restore(path: str) -> dict:
    """Restore the archive at ``path`` into this (empty) instance; return a summary for the operator."""
    if not os.path.isfile(path):
        raise BackupError(_("找不到备份文件：%(path)s", path=path))
    try:
        archive = tarfile.open(path, "r:")
    except tarfile.TarError:
        raise BackupError(_("这不是工学平台的备份文件（无法读取归档）。")) from None
    with archive:
        manifest = read_manifest(archive)
        dialect = _dialect()
        if manifest["database"]["dialect"] != dialect:
            raise BackupError(_("备份来自 %(source)s 数据库，不能恢复到 %(target)s 数据库。",
                                source=manifest["database"]["dialect"], target=dialect))
        full = non_empty_tables()
        if full:
            raise BackupError(_("目标数据库不是空的（%(count)d 个表已有数据，如 %(names)s）：只能恢复到新建的空实例。",
                                count=len(full), names="、".join(full[:3])))
        store = storage_module.get_storage()
        with tempfile.TemporaryDirectory(prefix="gx-restore-") as work:
            # Check every file before anything is written: a damaged archive must not leave half an instance.
            dump = os.path.join(work, "database")
            _extract_checked(archive, manifest["database"]["file"], manifest["database"]["sha256"], dump)
            staged = []
            for index, entry in enumerate(manifest["files"]):
                target = os.path.join(work, f"file-{index}")
                _extract_checked(archive, "files/" + entry["key"], entry["sha256"], target)
                staged.append((entry["key"], target))
            if dialect == "postgresql":
                _restore_postgresql(dump)
            else:
                _restore_sqlite(dump)
            for key, target in staged:
                store.put_file(key, target)
    return verify(manifest)


def verify(manifest: dict) -> dict:
    """Compare this instance with a manifest: row counts of its tables, checksums of its files."""
    counts = table_counts()
    wrong_tables = sorted(t for t, n in manifest["tables"].items() if counts.get(t) != n)
    store = storage_module.get_storage()
    wrong_files = sorted(e["key"] for e in manifest["files"]
                         if not store.exists(e["key"]) or stored_sha256(store, e["key"]) != e["sha256"])
    if wrong_tables or wrong_files:
        raise BackupError(_("恢复后的核对不一致：%(tables)d 个表的行数不同，%(files)d 个文件不同。",
                            tables=len(wrong_tables), files=len(wrong_files)))
    return {"tables": len(manifest["tables"]), "rows": sum(manifest["tables"].values()),
            "files": len(manifest["files"]), "revision": manifest["database"].get("alembic_revision")}
