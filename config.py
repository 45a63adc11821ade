"""Configuration classes.

Every setting can be overridden from the environment with the prefix ``GX_`` (``GX_MAX_CONTENT_LENGTH=...``);
values are parsed as JSON when they look like JSON (numbers, booleans, lists), else kept as strings.
``DATABASE_URL``, ``STORAGE_URL``, ``SECRET_KEY`` and ``RATELIMIT_STORAGE_URI`` are also read without the
prefix because deployment tools set them by those names.
"""
from __future__ import annotations

import json
import os
from datetime import timedelta

DEMO_PASSWORD = "gongxue-demo-2026"


class Config:
    #: Signs session cookies and tokens; must be set in production.
    SECRET_KEY = "dev-only-not-secret"
    #: SQLAlchemy URL; ``None`` means ``sqlite:///<instance>/gongxue.db`` (decided in create_app).
    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    SQLALCHEMY_RECORD_QUERIES = False
    #: ``file:///path`` or ``s3://bucket?endpoint=...``; ``None`` means ``<instance>/storage``.
    STORAGE_URL: str | None = None

    #: Largest request body accepted anywhere (uploads have their own per-kind limits below this).
    MAX_CONTENT_LENGTH = 64 * 1024 * 1024
    #: Largest user-import file.
    IMPORT_MAX_BYTES = 16 * 1024 * 1024
    #: Imported accounts' activation codes expire after this.
    ACTIVATION_CODE_TTL = timedelta(days=14)

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    SESSION_COOKIE_NAME = "gx_session"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)

    #: CSRF tokens live as long as the session: a 2-hour exam must not lose its token.
    WTF_CSRF_TIME_LIMIT = None
    #: CSRF is checked in a before_request hook that skips bearer-token API calls.
    WTF_CSRF_CHECK_DEFAULT = False

    BABEL_DEFAULT_LOCALE = "zh_CN"
    #: The zone times are shown, printed and exported in (IANA name; env ``GX_TIMEZONE``). Stored times are UTC;
    #: a date without a time is the local date. ``BABEL_DEFAULT_TIMEZONE`` is set from it when the app starts.
    TIMEZONE = "Asia/Shanghai"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ["zh_CN", "en"]

    #: Rate-limit store shared by all worker processes: a SQLite file on one machine, Redis on many.
    RATELIMIT_STORAGE_URI: str | None = None
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_ENABLED = True
    #: How many reverse proxies (nginx: 1) stand in front of the app. Their X-Forwarded-For and
    #: X-Forwarded-Proto are then believed, so that the per-IP login limit counts each client instead of
    #: the proxy's one address (which would lock everyone out together). 0 believes no such header.
    TRUSTED_PROXIES = 0
    #: Failed logins allowed per account and per IP address in the window below.
    LOGIN_FAILURES_PER_ACCOUNT = "10 per 15 minutes"
    LOGIN_FAILURES_PER_IP = "50 per 15 minutes"

    #: Argon2id parameters (argon2-cffi); a change triggers a rehash at the next login.
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 65536
    ARGON2_PARALLELISM = 4

    #: Per-page sizes for lists.
    PAGE_SIZE = 25

    #: Refuse the documented demo password (production sets this).
    REFUSE_DEMO_PASSWORD = False

    #: Notifications by e-mail (GX_SMTP_URL): ``smtp://user:password@host:25``, ``smtp+starttls://...:587`` or
    #: ``smtps://...:465``; unset: no e-mail is sent (in-app messages always are). See docs/notifications.md.
    SMTP_URL: str | None = None
    MAIL_FROM = "gongxue@localhost"
    SMTP_TIMEOUT = 10
    #: Seconds an outgoing webhook call may take before it counts as failed (and is retried later).
    WEBHOOK_TIMEOUT = 5
    #: The site's address for links in e-mails and webhook messages, e.g. ``https://gongxue.example.cn``.
    BASE_URL = ""
    #: Send queued e-mails and webhook calls from a thread of the app process after each commit (tests: off).
    NOTIFY_IN_BACKGROUND = True
    #: Run due tasks (deadlines, reminders, sending notifications) in-process every this many seconds, started by
    #: the first request; 0: never. ``make run`` sets GX_SCHEDULER_INTERVAL=60; production runs
    #: ``flask jobs run-due`` from cron instead.
    SCHEDULER_INTERVAL = 0
    #: Bearer token for GET /metrics (Prometheus); unset, the endpoint does not exist (404).
    METRICS_TOKEN: str | None = None
    #: One JSON object per log line on stderr, and one line per request (id, method, route, status, ms).
    LOG_JSON = False


class DevelopmentConfig(Config):
    DEBUG = True
    TEMPLATES_AUTO_RELOAD = True


class TestingConfig(Config):
    TESTING = True
    WTF_CSRF_ENABLED = True
    #: Cheap hashing keeps the suite fast; production parameters are tested explicitly.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    ARGON2_PARALLELISM = 1
    SECRET_KEY = "testing-secret"
    NOTIFY_IN_BACKGROUND = False
    SCHEDULER_INTERVAL = 0


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    REFUSE_DEMO_PASSWORD = True
    SECRET_KEY = None  # must come from the environment


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}

_UNPREFIXED = ("SECRET_KEY", "STORAGE_URL", "RATELIMIT_STORAGE_URI")


def _parse(value: str):
    try:
        return json.loads(value)
    except ValueError:
        return value


def env_overrides(environ=None) -> dict:
    """Settings taken from the environment: ``GX_*`` plus the few well-known unprefixed names."""
    environ = os.environ if environ is None else environ
    out = {}
    for name in _UNPREFIXED:
        if environ.get(name):
            out[name] = environ[name]
    if environ.get("DATABASE_URL"):
        out["SQLALCHEMY_DATABASE_URI"] = environ["DATABASE_URL"]
    for key, value in environ.items():
        if key.startswith("GX_") and key != "GX_CONFIG":
            out[key[3:]] = _parse(value)
    return out
