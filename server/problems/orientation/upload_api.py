"""The upload endpoints: a learner's own photos, one file per request, into an upload set.

    POST   /api/orientation/uploads                   → 201 a new, empty set
    POST   /api/orientation/uploads/<id>/photos?name=  body: the file's bytes (image/jpeg,
                                                       image/png or application/octet-stream)
                                                       → 201 the photo kept, or 400 naming
                                                       the file and why it was skipped
    GET    /api/orientation/uploads/<id>               → the set: photos kept, files skipped
    DELETE /api/orientation/uploads/<id>               → 204; 409 while a run names it

One file a request: a page shows each file's fate as it goes, a bad file costs only
itself, and a request stays small (the largest file). The set is trained on by
`POST /api/runs {"problem": "orientation", "dataset": "uploaded", "upload": id}`.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from server.api.errors import error_response
from server.api.guard import raw_body
from server.config import Config
from server.problems.orientation.uploads import (
    CONTENT_TYPES,
    MAX_FILE_BYTES,
    PhotoRejectedError,
    UploadSetError,
    UploadStore,
)

bp = Blueprint("orientation_uploads", __name__, url_prefix="/api/orientation/uploads")


def _config() -> Config:
    return current_app.config["PLAYGROUND"]


def _store() -> UploadStore:
    from server.problems.orientation.problem import ORIENTATION

    return ORIENTATION.uploads(_config())


def _sets_in_use() -> set[str]:
    """The upload sets some run (in memory or in the store) names."""
    return {summary["spec"].get("upload") for summary in
            current_app.extensions["runs"].summaries()} - {None}


@bp.errorhandler(UploadSetError)
def _set_error(error: UploadSetError) -> ResponseReturnValue:
    return error_response(error.status, "upload", error.reason)


@bp.errorhandler(PhotoRejectedError)
def _rejected(error: PhotoRejectedError) -> ResponseReturnValue:
    return jsonify({"error": error.reason, "field": "file", "name": error.name}), 400


@bp.post("")
def create_set() -> ResponseReturnValue:
    upload = _store().create(_sets_in_use())
    response = jsonify(upload.to_json())
    response.status_code = 201
    response.headers["Location"] = f"/api/orientation/uploads/{upload.id}"
    return response


@bp.post("/<set_id>/photos")
@raw_body(CONTENT_TYPES, MAX_FILE_BYTES)
def add_photo(set_id: str) -> ResponseReturnValue:
    name = request.args.get("name", "")
    store = _store()
    store.get(set_id)  # 404 before reading a byte of the body
    kept = store.add(set_id, name, request.get_data(cache=False))
    return jsonify(kept), 201


@bp.get("/<set_id>")
def get_set(set_id: str) -> ResponseReturnValue:
    upload = _store().get(set_id)
    return jsonify({**upload.to_json(), "inUse": set_id in _sets_in_use()})


@bp.delete("/<set_id>")
def delete_set(set_id: str) -> ResponseReturnValue:
    store = _store()
    store.get(set_id)
    if set_id in _sets_in_use():
        raise UploadSetError(409, "a run was trained on these photos: delete the run, and "
                                  "its photos go with it")
    store.delete(set_id)
    return "", 204
