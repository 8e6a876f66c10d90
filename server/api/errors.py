"""JSON errors: every rejection names the field and the reason, never a bare 500 page."""

from __future__ import annotations

from flask import Flask, jsonify
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from server.runs.models import ModelNotReadyError
from server.runs.run import LimitError, RunStateError
from server.values import SpecError


def error_response(status: int, field: str | None, reason: str) -> ResponseReturnValue:
    return jsonify({"error": reason, "field": field}), status


def register_error_handlers(app: Flask) -> None:
    """Turn spec errors into 400, state conflicts into 409 and HTTP errors into JSON."""

    @app.errorhandler(SpecError)
    def spec_error(error: SpecError) -> ResponseReturnValue:
        return error_response(400, error.field, error.reason)

    @app.errorhandler(RunStateError)
    def state_error(error: RunStateError) -> ResponseReturnValue:
        return error_response(409, error.field, error.reason)

    @app.errorhandler(LimitError)
    def limit_error(error: LimitError) -> ResponseReturnValue:
        response = jsonify({"error": error.reason, "field": error.field})
        response.headers["Retry-After"] = "5"
        return response, 429

    @app.errorhandler(ModelNotReadyError)
    def not_ready(error: ModelNotReadyError) -> ResponseReturnValue:
        response = jsonify({"error": str(error), "field": "state"})
        response.headers["Retry-After"] = "1"
        return response, 409

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ResponseReturnValue:
        return error_response(error.code or 500, None, error.description or error.name)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> ResponseReturnValue:
        app.logger.exception("unexpected error", exc_info=error)
        return error_response(500, None, "internal error; the server logged it")
