"""deploy/ is valid as shipped: nginx accepts the site, gunicorn's settings load, the env example names real
settings, and the systemd units point at commands that exist."""
from __future__ import annotations

import datetime
import os
import re
import shutil
import subprocess

import pytest

from tests.conftest import require_or_skip

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEPLOY = os.path.join(ROOT, "deploy")


def _self_signed(folder: str) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "gongxue.test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    with open(os.path.join(folder, "fullchain.pem"), "wb") as fh:
        fh.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(os.path.join(folder, "privkey.pem"), "wb") as fh:
        fh.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption()))


def test_nginx_accepts_the_site(tmp_path):
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    require_or_skip(nginx is not None, "nginx is not installed")
    prefix = tmp_path
    for sub in ("logs", "ssl", "temp"):
        (prefix / sub).mkdir()
    _self_signed(str(prefix / "ssl"))
    snippet = prefix / "gongxue-proxy.conf"
    shutil.copy(os.path.join(DEPLOY, "nginx", "gongxue-proxy.conf"), snippet)
    site = open(os.path.join(DEPLOY, "nginx", "gongxue.conf"), encoding="utf-8").read()
    site = (site.replace("/etc/nginx/snippets/gongxue-proxy.conf", str(snippet))
            .replace("/etc/ssl/gongxue/", f"{prefix}/ssl/")
            .replace("/var/log/nginx/", f"{prefix}/logs/"))
    (prefix / "gongxue.conf").write_text(site, encoding="utf-8")
    temp = prefix / "temp"
    (prefix / "nginx.conf").write_text(f"""
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log;
events {{ worker_connections 64; }}
http {{
    types {{ text/html html; text/css css; application/javascript js; }}
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    access_log off;
    include {prefix}/gongxue.conf;
}}
""", encoding="utf-8")
    done = subprocess.run([nginx, "-t", "-p", str(prefix), "-e", f"{prefix}/logs/error.log",
                           "-c", str(prefix / "nginx.conf")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "syntax is ok" in done.stderr and "test is successful" in done.stderr


def test_nginx_site_matches_the_app():
    """The X-Accel location is the prefix the env example sets, and it repeats the sandbox headers of fileserve."""
    from app.core.fileserve import SANDBOX_CSP

    site = open(os.path.join(DEPLOY, "nginx", "gongxue.conf"), encoding="utf-8").read()
    env = open(os.path.join(DEPLOY, "gongxue.env.example"), encoding="utf-8").read()
    prefix = re.search(r"^GX_MEDIA_X_ACCEL_PREFIX=(\S+)$", env, re.M).group(1)
    assert f"location {prefix} {{" in site
    assert SANDBOX_CSP in site
    assert re.search(r"^GX_TRUSTED_PROXIES=1$", env, re.M)
    assert "X-Request-ID $request_id" in open(os.path.join(DEPLOY, "nginx", "gongxue-proxy.conf")).read()
    assert len(re.findall(r"^\s+server 127\.0\.0\.1:\d+", site, re.M)) == 2


def test_env_example_names_only_settings_the_app_reads():
    import config as config_module

    env = open(os.path.join(DEPLOY, "gongxue.env.example"), encoding="utf-8").read()
    names = re.findall(r"^#?GX_([A-Z0-9_]+)=", env, re.M)
    assert "METRICS_TOKEN" in names and "LOG_JSON" in names
    sources = []
    for folder, _dirs, files in os.walk(os.path.join(ROOT, "app")):
        sources += [open(os.path.join(folder, f), encoding="utf-8").read() for f in files if f.endswith(".py")]
    code = "\n".join(sources)
    for name in names:
        if name == "CONFIG":
            continue
        assert hasattr(config_module.Config, name) or f'"{name}"' in code, f"GX_{name} is read nowhere"


def test_gunicorn_settings_load(tmp_path, monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "metrics"))
    namespace: dict = {}
    path = os.path.join(DEPLOY, "gunicorn.conf.py")
    exec(compile(open(path).read(), path, "exec"), namespace)
    assert namespace["workers"] == 3 and namespace["worker_class"] == "sync"
    assert namespace["keepalive"] > 60  # longer than nginx's idle upstream keepalive
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "histogram_123.db").write_bytes(b"stale")
    namespace["on_starting"](None)
    assert os.listdir(tmp_path / "metrics") == []


@pytest.mark.parametrize("unit", ["gongxue@.service", "gongxue-jobs.service"])
def test_systemd_units_run_the_right_things(unit):
    text = open(os.path.join(DEPLOY, "systemd", unit), encoding="utf-8").read()
    assert "EnvironmentFile=/etc/gongxue/gongxue.env" in text
    command = re.search(r"^ExecStart=(.+)$", text, re.M).group(1)
    if unit.startswith("gongxue@"):
        assert "gunicorn -c deploy/gunicorn.conf.py" in command
    else:
        assert command.endswith("flask jobs run-due")
    timer = open(os.path.join(DEPLOY, "systemd", "gongxue-jobs.timer"), encoding="utf-8").read()
    assert "OnCalendar=*-*-* *:*:00" in timer and "Unit=gongxue-jobs.service" in timer


def test_env_example_reads_the_same_in_a_shell_as_in_the_app():
    """`set -a; . gongxue.env` (docs/operations.md) must not split or run anything, and JSON values stay JSON."""
    import config as config_module

    path = os.path.join(DEPLOY, "gongxue.env.example")
    done = subprocess.run(["bash", "-c", f'set -a; . "{path}"; env -0'], capture_output=True, text=True,
                          env={"PATH": os.environ.get("PATH", "")})
    assert done.returncode == 0 and not done.stderr, done.stderr
    environ = dict(item.split("=", 1) for item in done.stdout.split("\0") if "=" in item)
    settings = config_module.env_overrides(environ)
    assert settings["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] == {"connect_timeout": 5}
    assert settings["TRUSTED_PROXIES"] == 1 and settings["LOG_JSON"] == 1
    assert settings["SQLALCHEMY_DATABASE_URI"].startswith("postgresql://")
