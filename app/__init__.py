"""Application factory: ``create_app(config=None)`` assembled from small named steps."""
from __future__ import annotations

import importlib
import os

from flask import Flask

import config as config_module

#: Domain packages in dependency order. Each may provide models, views (``bp``), cli (``register``) and
#: content (loaders); create_app imports whichever of those modules exist.
DOMAINS = [
    # Operations (probes, metrics, request ids and logs, backup): no models, imports only core (docs/operations.md).
    "ops",
    "auth",
    "orgs",
    "catalog",
    # The review workflow (凡编必审) is a kernel the resource domains build on: they use its Reviewable mixin
    # and register their kinds in its registry, so review never imports them (docs/architecture.md).
    "review",
    "standards",
    "media",
    "workbooks",
    "questions",
    "exams",
    "courses",
    "grading",
    # Work tasks register their activity kind and grade source through those registries (no import back).
    "tasks",
    "certification",
    "alliances",
    # Jobs and internships (seed 004): posts reviewed through the review registry, applications, demand lists.
    "careers",
    "dashboard",
    # 站内消息: subscribes to the domains' events (app/core/signals.py); reminders; delivery channels.
    "notifications",
    # 工作台: each role's home page; its to-do providers read the domains above (app/workbench/registry.py).
    "workbench",
]


class GongxueFlask(Flask):
    """Flask with the database's care for concurrent writers around each request (app/core/database.py)."""

    def full_dispatch_request(self):
        from app.core import database

        return database.dispatch_request(self, super().full_dispatch_request)

    def handle_user_exception(self, e):
        from app.core import database

        database.raise_for_retry(e)
        return super().handle_user_exception(e)


def create_app(config=None) -> Flask:
    """Build the application.

    ``config`` may be a config class, a name (``"development"``, ``"testing"``, ``"production"``) or a dict of
    overrides applied on top of the class chosen by ``GX_CONFIG`` / ``FLASK_ENV`` (default development).
    """
    app = GongxueFlask(__name__, instance_relative_config=False)
    _load_config(app, config)
    _init_database(app)
    _init_extensions(app)
    _import_domain_modules(app)
    _register_blueprints(app)
    _register_errors(app)
    _register_request_hooks(app)
    _register_templates(app)
    _register_cli(app)
    return app


def _load_config(app: Flask, config) -> None:
    overrides = {}
    if isinstance(config, dict):
        overrides, config = config, None
    if config is None:
        name = overrides.get("CONFIG") or os.environ.get("GX_CONFIG") or os.environ.get("FLASK_ENV") or (
            "testing" if overrides.get("TESTING") else "development")
        config = config_module.CONFIGS[name]
    elif isinstance(config, str):
        config = config_module.CONFIGS[config]
    app.config.from_object(config)
    app.config.update(config_module.env_overrides())
    app.config.update(overrides)
    # GX_TIMEZONE (TIMEZONE) is the one setting; Flask-Babel reads its own name for it.
    from app.core.clock import check_zone

    try:
        app.config["TIMEZONE"] = check_zone(app.config.get("TIMEZONE") or config_module.Config.TIMEZONE)
    except ValueError as exc:
        raise RuntimeError(str(exc)) from None
    app.config["BABEL_DEFAULT_TIMEZONE"] = app.config["TIMEZONE"]
    if app.config.get("INSTANCE_PATH"):
        app.instance_path = app.config["INSTANCE_PATH"]
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY must be set (environment variable SECRET_KEY) in production.")
    if app.config["REFUSE_DEMO_PASSWORD"] and app.config["SECRET_KEY"] == config_module.Config.SECRET_KEY:
        raise RuntimeError("The development SECRET_KEY cannot be used in production.")


def _init_database(app: Flask) -> None:
    from app.core import database

    database.configure(app)


def _init_extensions(app: Flask) -> None:
    from app.core import i18n, ratelimit
    from app.extensions import babel, csrf, db, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"),
                     render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    # One catalogue per domain (see scripts/messages.py); Flask-Babel merges them.
    folders = ["translations"] + [f"{d}/translations" for d in DOMAINS
                                  if os.path.isdir(os.path.join(app.root_path, d, "translations"))]
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", ";".join(folders))
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    ratelimit.init_app(app)


def _domain_modules(name: str):
    """Yield the optional modules of every domain that define ``name`` (``views``, ``cli``, ...)."""
    for domain in DOMAINS:
        try:
            yield importlib.import_module(f"app.{domain}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"app.{domain}.{name}":
                raise


def _import_domain_modules(app: Flask) -> None:
    for _ in _domain_modules("models"):
        pass
    for _ in _domain_modules("content"):
        pass
    # Due tasks (app/core/schedule.py): work that falls due because time passed.
    for _ in _domain_modules("schedule"):
        pass


def _register_blueprints(app: Flask) -> None:
    from app import main
    from app.core import routing

    routing.register(app)
    app.register_blueprint(main.bp)
    for module in _domain_modules("views"):
        app.register_blueprint(module.bp)


def _register_errors(app: Flask) -> None:
    from app import errors

    errors.register(app)


def _register_request_hooks(app: Flask) -> None:
    from app.auth import sessions
    from app.core import security

    sessions.register(app)
    security.register(app)


def _register_templates(app: Flask) -> None:
    from app.core import templating

    templating.register(app)


def _register_cli(app: Flask) -> None:
    from app.core import content, database, jobs

    content.register_cli(app)
    # `flask jobs run-due`, and the in-process scheduler of `make run` (GX_SCHEDULER_INTERVAL).
    jobs.register(app)
    for module in _domain_modules("cli"):
        module.register(app)
    database.guard_commands(app.cli)
