"""SQLite write slot: writers of every process of one database queue on a lock file, not in the busy handler."""
import fcntl
import multiprocessing
import os

from sqlalchemy import create_engine, text

import app.core.database  # noqa: F401  (installs the engine listeners)


def _can_take(lock_path: str) -> bool:
    fd = os.open(lock_path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


def _probe(lock_path, queue):
    queue.put(_can_take(lock_path))


def _other_process_can_take(lock_path: str) -> bool:
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_probe, args=(lock_path, queue))
    proc.start()
    proc.join(10)
    return queue.get(timeout=5)


def test_a_write_transaction_holds_the_slot_of_its_database_file_until_commit(tmp_path):
    path = str(tmp_path / "slot.db")
    engine = create_engine("sqlite:///" + path)
    with engine.connect() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        conn.commit()
    lock_path = path + "-writelock"

    with engine.connect().execution_options(sqlite_immediate=True) as conn:
        conn.begin()
        conn.execute(text("INSERT INTO t VALUES (1)"))
        assert not _other_process_can_take(lock_path)  # another gunicorn worker would wait here
        conn.commit()
    assert _other_process_can_take(lock_path)

    with engine.connect().execution_options(sqlite_immediate=True) as conn:
        conn.begin()
        conn.execute(text("INSERT INTO t VALUES (2)"))
        conn.rollback()
    assert _other_process_can_take(lock_path)

    with engine.connect() as conn:  # plain reads never take the slot
        conn.begin()
        assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 1
        assert _other_process_can_take(lock_path)
    engine.dispose()
