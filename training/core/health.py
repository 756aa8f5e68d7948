"""``GET /healthz``: is the app up and does the database answer."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from training.extensions import db, limiter

health_bp = Blueprint("health", __name__)


@health_bp.get("/healthz")
@limiter.exempt
def healthz():
    """200 ``{"status": "ok"}`` when a ``SELECT 1`` succeeds, 503 otherwise."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify({"status": "error", "database": "unreachable"}), 503
    return jsonify({"status": "ok", "database": db.engine.dialect.name})


@health_bp.get("/livez")
@limiter.exempt
def livez():
    """Liveness: the process answers (no database). Also the baseline endpoint of the benchmarks."""
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}
