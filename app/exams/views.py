"""Exam pages (teachers: papers, exams, grading, reports; students: taking and results) and the JSON API."""
from __future__ import annotations

from flask import Blueprint

from app.exams.api import api

bp = Blueprint("exams", __name__)
bp.register_blueprint(api)
