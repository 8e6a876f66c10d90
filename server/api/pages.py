"""The pages (`web/`) and the front-end libraries they import (`node_modules`, under /vendor/)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, current_app, redirect, send_from_directory
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import NotFound

bp = Blueprint("pages", __name__)

# Only these folders of node_modules are served: the libraries' browser builds.
VENDOR_ALLOWED = (
    "@tensorflow/tfjs/dist/",
    "@tensorflow/tfjs-backend-wasm/dist/",
)


def _web_dir() -> Path:
    return current_app.config["WEB_DIR"]


@bp.get("/")
def index() -> ResponseReturnValue:
    return send_from_directory(_web_dir(), "index.html")


@bp.get("/regression.html")
def fitting_page_by_its_old_name() -> ResponseReturnValue:
    """The fitting lessons' page was called regression.html: old links (and their hash) land."""
    return redirect("/fitting.html", code=301)


@bp.get("/vendor/<path:path>")
def vendor(path: str) -> ResponseReturnValue:
    if not path.startswith(VENDOR_ALLOWED):
        raise NotFound("only the front-end libraries' dist folders are served")
    response: Response = send_from_directory(current_app.config["VENDOR_DIR"], path)
    if path.endswith(".wasm"):
        response.mimetype = "application/wasm"
    return response


@bp.get("/<path:path>")
def web_file(path: str) -> ResponseReturnValue:
    if path.startswith("api/"):
        raise NotFound("no such API route")
    return send_from_directory(_web_dir(), path)
