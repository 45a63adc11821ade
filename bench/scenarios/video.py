"""``video``: 1 MiB Range requests on a published teaching video, app against nginx in the same run.

The video is a real H.264 MP4 (PyAV, two seconds) followed by a large MP4 ``free`` box (padding, a valid box
that players skip), so the file is big enough for random 1 MiB ranges without minutes of encoding. It goes in
through ``flask media import-video PATH --profession KEY --approve-as REVIEWER`` (sniffing, PyAV probe, poster,
SHA-256, generated storage name, review approval) into a copy of the small bench database and a temporary
storage folder. Then, against the same stored file:

* **nginx direct**: nginx serves the storage folder itself (``location /direct/ { alias <storage>/; }``);
* **app direct**: ``/media/videos/<id>/file`` through gunicorn, with a logged-in cookie;
* **app behind nginx (X-Accel)**: the same URL through nginx, proxied to a second gunicorn started with
  ``GX_MEDIA_X_ACCEL_PREFIX=/_protected/``; the app authorises and names the file, nginx sends it from
  ``location /_protected/ { internal; alias <storage>/; }``.

wrk runs a Lua script whose ``request()`` picks a random 1 MiB range for every request (so no cache line or
readahead favours one side), 8 connections, alternating rounds (nginx, app, X-Accel, nginx, ...), medians.
Every answer must be a 206 of exactly 1 MiB; the script counts anything else and the scenario fails on it.

**Targets** (issue 3): app direct >= 50% of nginx's requests/s, X-Accel >= 90% (about equal).
"""
from __future__ import annotations

import os
import pwd
import re
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time

from bench import generate, wrk
from bench.scenarios import Context, scenario
from bench.server import ROOT, free_port, gunicorn, stop, wait_for
from bench.table import Table

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
CHUNK = 1024 * 1024
#: Padding of the stored video in MiB (environment BENCH_VIDEO_MIB overrides it).
PADDING_MIB = 64
PROFESSION = "cnc-machining"
REVIEWER = "r0000"
TARGET_APP = 0.50
TARGET_ACCEL = 0.90

LUA = r"""
-- A random 1 MiB range of the file for every request; counts answers that are not 206 with 1 MiB.
local size = tonumber(os.getenv("GX_FILE_SIZE"))
local chunk = tonumber(os.getenv("GX_CHUNK"))
local blocks = math.floor(size / chunk)
bad = 0  -- global: done() reads it from each thread with thread:get()
local threads = {}

setup = function(thread)
  table.insert(threads, thread)
end

init = function(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
end

request = function()
  -- Aligned to 4 KiB like a player's seeks, anywhere in the file.
  local start = math.random(0, math.floor((size - chunk) / 4096)) * 4096
  wrk.headers["Range"] = "bytes=" .. start .. "-" .. (start + chunk - 1)
  return wrk.format("GET")
end

response = function(status, headers, body)
  if status ~= 206 or #body ~= chunk then
    bad = bad + 1
  end
end

done = function(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("bad")
  end
  io.write("Bad answers: " .. total .. "\n")
end
"""


def make_video(path: str, padding_mib: int) -> int:
    """Write a real two-second H.264 MP4 plus a ``free`` box of ``padding_mib`` MiB; returns the file size."""
    import av
    from PIL import Image

    size, rate = (320, 240), 25
    with av.open(path, mode="w", format="mp4") as box:
        stream = box.add_stream("libx264", rate=rate)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        for i in range(2 * rate):
            frame = av.VideoFrame.from_image(Image.new("RGB", size, (i * 5 % 255, 90, 160)))
            for packet in stream.encode(frame):
                box.mux(packet)
        for packet in stream.encode():
            box.mux(packet)
    padding = padding_mib * CHUNK
    with open(path, "ab") as fh:
        # A top-level 'free' box: its 32-bit size covers header + payload; players and probes skip it.
        fh.write(struct.pack(">I", padding + 8) + b"free")
        block = os.urandom(CHUNK)  # incompressible, like real video
        for _ in range(padding // CHUNK):
            fh.write(block)
    return os.path.getsize(path)


def _flask(args: list[str], env: dict) -> str:
    done = subprocess.run([sys.executable, "-m", "flask", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True)
    if done.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def import_video(video_path: str, db_url: str, storage: str, instance: str) -> int:
    """``flask media import-video`` with approval; returns the video id it prints."""
    env = dict(os.environ, FLASK_APP="wsgi.py", GX_CONFIG="development", DATABASE_URL=db_url,
               STORAGE_URL="file://" + storage, GX_INSTANCE_PATH=instance, RATELIMIT_STORAGE_URI="memory://",
               PYTHONPATH=ROOT)
    out = _flask(["media", "import-video", video_path, "--profession", PROFESSION, "--approve-as", REVIEWER,
                  "--title", "基准测试视频"], env)
    for line in out.splitlines():
        # "教学视频 12（已发布）：/media/videos/12/file" (the wording follows the configured locale; the URL does not)
        found = re.search(r"/media/videos/(\d+)/file", line)
        if found:
            return int(found.group(1))
    raise RuntimeError(f"import-video printed no approved video:\n{out}")


def storage_key(db_url: str, video_id: int) -> str:
    from sqlalchemy import create_engine, text

    engine = create_engine(generate.engine_url(db_url))
    with engine.connect() as c:
        key = c.execute(text("SELECT f.storage_key FROM video v JOIN media_file f ON f.id = v.file_id "
                             "WHERE v.id = :id"), {"id": video_id}).scalar_one()
    engine.dispose()
    return key


NGINX_CONF = """
{user}
worker_processes 2;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 512; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    sendfile on;
    tcp_nopush on;
    types {{ video/mp4 mp4; }}
    default_type application/octet-stream;
    upstream app {{ server 127.0.0.1:{app_port}; keepalive 16; }}
    upstream grants {{ server 127.0.0.1:{grant_port}; keepalive 16; }}
    # The app's X-Accel answer ("this viewer may have this file") remembered for 10 s per viewer and URL: a
    # player's many Range requests then cost the app one authorisation per viewer and 10 s (docs/media.md).
    # nginx never caches a response it has acted on, so a second tier stores the answer and passes the header on.
    proxy_cache_path {tmp}/grants levels=1 keys_zone=grants:4m max_size=16m inactive=60s use_temp_path=off;
    server {{
        listen 127.0.0.1:{grant_port};
        location / {{
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-Proto http;
            proxy_set_header Range "";
            proxy_cache grants;
            proxy_cache_key "$http_cookie|$http_authorization|$request_uri";
            proxy_cache_valid 200 10s;
            proxy_cache_lock on;
            proxy_ignore_headers X-Accel-Redirect X-Accel-Expires Cache-Control Expires Set-Cookie Vary;
            proxy_pass_header X-Accel-Redirect;
            proxy_hide_header Set-Cookie;
        }}
    }}
    server {{
        listen 127.0.0.1:{port};
        # (c) the same X-Accel answer through the grant cache
        location /cached/ {{
            rewrite ^/cached(/.*)$ $1 break;
            proxy_pass http://grants;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            # The answer does not depend on the range; with it, the cached empty answer would be cut to a 416.
            # The client's Range still applies to the file after the internal redirect.
            proxy_set_header Range "";
            proxy_set_header If-Range "";
        }}
        # (a) the stored file served by nginx itself
        location /direct/ {{ alias {storage}/; }}
        # (b) X-Accel-Redirect target: only reachable through the app's answer
        location /_protected/ {{ internal; alias {storage}/; }}
        location / {{
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-Proto http;
        }}
    }}
}}
"""


class Nginx:
    """nginx on a free port with a generated configuration in ``tmp`` (no root, foreground, own pid file)."""

    def __init__(self, tmp: str, storage: str, app_port: int):
        self.port, self.grant_port = free_port(), free_port()
        self.conf = os.path.join(tmp, "nginx.conf")
        with open(self.conf, "w") as fh:
            # Started by root, nginx's workers would switch to 'nobody' and be refused the private temp folder.
            user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""
            fh.write(NGINX_CONF.format(user=user, tmp=tmp, storage=storage.rstrip("/"), app_port=app_port, port=self.port,
                                       grant_port=self.grant_port))
        self.tmp = tmp
        self.proc = None

    def __enter__(self):
        self.proc = subprocess.Popen([NGINX, "-p", self.tmp, "-e", os.path.join(self.tmp, "nginx-error.log"),
                                      "-c", self.conf], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        started = time.perf_counter()
        while True:
            try:
                wait_for(f"http://127.0.0.1:{self.port}/login", timeout=2, proc=self.proc)
                return self
            except TimeoutError:
                if time.perf_counter() - started > 30:
                    raise

    def __exit__(self, *exc):
        stop(self.proc)


def load(url: str, ctx: Context, script: str, size: int, cookie: str, seconds: int | None = None) -> wrk.Result:
    env = dict(os.environ, GX_FILE_SIZE=str(size), GX_CHUNK=str(CHUNK))
    cmd = [wrk.WRK, "-t2", f"-c{ctx.connections}", f"-d{seconds or ctx.seconds}s", "--latency", "--timeout", "10s",
           "-s", script, *(["-H", f"Cookie: {cookie}"] if cookie else []), url]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
    result = wrk.parse(done.stdout, url, ctx.connections)
    if "Bad answers:" not in done.stdout:
        raise RuntimeError(f"wrk's Lua script did not report:\n{done.stdout}\n{done.stderr}")
    bad = int(done.stdout.rsplit("Bad answers:", 1)[1].split()[0])
    if bad or result.errors:
        raise RuntimeError(f"{url}: {bad} answers were not 206 with 1 MiB, {result.errors} errors\n{done.stdout}")
    return result


def _check_range(url: str, cookie: str, size: int, expect_bytes: bytes) -> None:
    """One Range request must answer 206 with exactly the stored bytes (so all three paths serve the same)."""
    import http.client
    import urllib.parse

    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    start = size - CHUNK - 4096
    headers = {"Range": f"bytes={start}-{start + CHUNK - 1}"}
    if cookie:
        headers["Cookie"] = cookie
    conn.request("GET", parts.path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    if response.status != 206 or body != expect_bytes:
        raise RuntimeError(f"{url} answered {response.status} with {len(body)} bytes, not the stored range")


@scenario("video", "1 MiB Range requests on a published video: nginx direct, app direct, app + nginx X-Accel "
                   "(each request, and with the answer cached 10 s per viewer)")
def run(ctx: Context) -> list[Table]:
    padding = int(os.environ.get("BENCH_VIDEO_MIB", PADDING_MIB))
    small = generate.ensure(generate.default_url("small"), "small", log=ctx.log)
    tmp = tempfile.mkdtemp(prefix="gx-video-")
    try:
        return _run(ctx, small, tmp, padding)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _run(ctx: Context, small: str, tmp: str, padding: int) -> list[Table]:
    db_path = os.path.join(tmp, "video.db")
    shutil.copyfile(small[len("sqlite:///"):], db_path)
    db_url = "sqlite:///" + db_path
    storage, instance = os.path.join(tmp, "storage"), os.path.join(tmp, "instance")
    os.makedirs(storage), os.makedirs(instance)
    source = os.path.join(tmp, "lesson.mp4")
    started = time.perf_counter()
    size = make_video(source, padding)
    video_id = import_video(source, db_url, storage, instance)
    os.remove(source)
    key = storage_key(db_url, video_id)
    stored = os.path.join(storage, key)
    ctx.log(f"  video {video_id}: {size / CHUNK:.1f} MiB stored as {key} "
            f"({time.perf_counter() - started:.1f} s to make and import)")
    with open(stored, "rb") as fh:
        fh.seek(size - CHUNK - 4096)
        expect = fh.read(CHUNK)
    script = os.path.join(tmp, "range.lua")
    with open(script, "w") as fh:
        fh.write(LUA)
    common = {"STORAGE_URL": "file://" + storage}
    path = f"/media/videos/{video_id}/file"
    with gunicorn(db_url, workers=ctx.workers, threads=ctx.threads, worker_class=ctx.worker_class,
                  extra_env=common) as app, \
            gunicorn(db_url, workers=ctx.workers, threads=ctx.threads, worker_class=ctx.worker_class,
                     extra_env={**common, "GX_MEDIA_X_ACCEL_PREFIX": "/_protected/"}) as accel_app, \
            Nginx(tmp, storage, accel_app.port) as nginx:
        cookie = app.login(generate.BENCH_ADMIN, generate.BENCH_PASSWORD)
        accel_cookie = accel_app.login(generate.BENCH_ADMIN, generate.BENCH_PASSWORD)
        front = f"http://127.0.0.1:{nginx.port}"
        paths = [("nginx direct", front + "/direct/" + key, "", None),
                 ("app direct (gunicorn)", app.base + path, cookie, app),
                 ("app + nginx X-Accel", front + path, accel_cookie, accel_app),
                 ("app + nginx X-Accel, 10 s grant cache", front + "/cached" + path, accel_cookie, accel_app)]
        for _label, url, c, _server in paths:
            _check_range(url, c, size, expect)
            load(url, ctx, script, size, c, seconds=2)  # warm: page cache, connections, imports
        results = {label: [] for label, *_ in paths}
        for n in range(1, ctx.rounds + 1):
            for label, url, c, server in paths:
                before = server.cpu_seconds() if server else None
                r = load(url, ctx, script, size, c)
                if server:
                    r.cpu_ms = (server.cpu_seconds() - before) * 1000 / max(r.requests, 1)
                results[label].append(r)
                ctx.log(f"    round {n} {label}: {r.rps:,.0f} req/s, p50 {r.p50_ms:.1f} ms, p99 {r.p99_ms:.1f} ms")
        # Still a 206 of the stored bytes after the load (not a redirect or an error page that would look fast).
        for _label, url, c, _server in paths:
            _check_range(url, c, size, expect)
        desc = app.describe()
    table = Table(f"video: 1 MiB random Range GETs of a {size / CHUNK:.0f} MiB MP4 ({desc}; nginx 2 workers, "
                  f"sendfile; wrk -c{ctx.connections} -d{ctx.seconds}s x {ctx.rounds} alternating rounds)")
    medians = {label: statistics.median(r.rps for r in rs) for label, rs in results.items()}
    base = medians["nginx direct"]
    for label, rs in results.items():
        for n, r in enumerate(rs, 1):
            table.add(path=label, round=str(n), **{"req/s": r.rps, "p50 ms": r.p50_ms,
                                                     "p99 ms": r.p99_ms, "app CPU ms/req": r.cpu_ms or ""})
        table.add(path=label, round="median", **{"req/s": medians[label],
                                                  "p50 ms": statistics.median(r.p50_ms for r in rs),
                                                  "p99 ms": statistics.median(r.p99_ms for r in rs),
                                                  "ratio": f"{medians[label] / base:.0%}"})
    app_ratio = medians["app direct (gunicorn)"] / base
    accel_ratio = medians["app + nginx X-Accel"] / base
    table.note(f"app direct / nginx = {app_ratio:.0%} (target >= {TARGET_APP:.0%}: "
               f"{'meets' if app_ratio >= TARGET_APP else 'MISSES'})")
    table.note(f"X-Accel / nginx = {accel_ratio:.0%} (target >= {TARGET_ACCEL:.0%}: "
               f"{'meets' if accel_ratio >= TARGET_ACCEL else 'MISSES'})")
    cached_ratio = medians["app + nginx X-Accel, 10 s grant cache"] / base
    table.note(f"X-Accel with the app's answer cached 10 s per viewer / nginx = {cached_ratio:.0%} "
               f"(target >= {TARGET_ACCEL:.0%}: {'meets' if cached_ratio >= TARGET_ACCEL else 'MISSES'})")
    table.note(f"every answer checked: 206 with exactly {CHUNK:,} bytes; one range compared byte for byte with "
               "the stored file on each path before and after the load")
    ctx.extra["video"] = {"medians": medians, "app_ratio": app_ratio, "accel_ratio": accel_ratio,
                          "cached_ratio": cached_ratio}
    return [table]
