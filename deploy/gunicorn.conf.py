"""gunicorn settings for one app node: ``gunicorn -c deploy/gunicorn.conf.py --bind 127.0.0.1:8001 wsgi:app``.

Sizes come from the environment (deploy/gongxue.env.example), so one file serves every machine:

* ``WEB_CONCURRENCY`` worker processes (default: 2 per CPU core), ``sync`` by default: behind nginx, which
  buffers slow clients, sync workers answered 1,000 students' autosaves with p99 36-107 ms where gthread workers
  queued for seconds (bench/README.md). ``GUNICORN_WORKER_CLASS=gthread`` with ``GUNICORN_THREADS`` threads is
  there for comparison. Each process has its own SQLAlchemy pool: pool_size >= threads (docs/operations.md).
* ``PROMETHEUS_MULTIPROC_DIR``: a folder on local disk (tmpfs is best) for the metrics of all workers. It is
  emptied when gunicorn starts, and a worker's files are marked dead when it exits.
"""
from __future__ import annotations

import glob
import os

wsgi_app = "wsgi:app"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8001")
workers = int(os.environ.get("WEB_CONCURRENCY") or (os.cpu_count() or 1) * 2)
worker_class = os.environ.get("GUNICORN_WORKER_CLASS") or "sync"
threads = int(os.environ.get("GUNICORN_THREADS") or 1)
# A sync worker busy longer than this is killed and restarted. Pages answer in well under a second; the long
# requests are video uploads, probed after nginx has received the whole body (nginx allows the app 600 s).
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 600)
graceful_timeout = 30
# Longer than nginx's idle upstream keepalive (60 s), so nginx closes idle connections first, never gunicorn
# in the middle of nginx reusing one.
keepalive = 75
# Recycle workers now and then (memory growth in long-running processes), not all at once.
max_requests = 5000
max_requests_jitter = 500
# Each worker imports the app itself: database engines and connections are never shared across a fork.
preload_app = False
# nginx on this machine sets X-Forwarded-*; the app's TRUSTED_PROXIES decides what it believes.
forwarded_allow_ips = "127.0.0.1,::1"
# nginx writes the access log (with the request id); the app logs one JSON line per request with GX_LOG_JSON=1.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
proc_name = "gongxue"


def on_starting(server):
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        os.makedirs(folder, exist_ok=True)
        for stale in glob.glob(os.path.join(folder, "*.db")):
            os.remove(stale)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
