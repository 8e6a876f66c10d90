"""`GET /api/catalog`: the choices, limits and defaults pages build their controls from."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue

from server.catalog import build_catalog

bp = Blueprint("catalog", __name__)


@bp.get("/api/catalog")
def catalog() -> ResponseReturnValue:
    return jsonify(build_catalog(current_app.config["PLAYGROUND"]))
