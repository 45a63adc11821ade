"""Pages of teacher certification: training programs, 学时, certificates, public verification."""
from __future__ import annotations

from flask import Blueprint

from app.certification import activity_kind as _activity_kind  # noqa: F401  (registers the video kind)
from app.certification.api import api

bp = Blueprint("certification", __name__)
bp.register_blueprint(api)
