"""The HTTP edge: blueprints, and the one place where errors become problem+json."""
from __future__ import annotations

from flask import Flask, Response, current_app, jsonify
from werkzeug.exceptions import HTTPException

from ..errors import ProgressServiceError
from .health import health


def problem(status: int, title: str, detail: str, *, type_: str = "about:blank",
            errors: dict | None = None) -> Response:
    body = {"type": type_, "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def register(app: Flask) -> None:
    app.register_blueprint(health)

    @app.errorhandler(ProgressServiceError)
    def domain_error(error: ProgressServiceError) -> Response:
        return problem(error.status, error.title, error.detail, type_=error.type, errors=error.errors)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        return problem(error.code or 500, error.name, error.description or error.name)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        current_app.logger.exception("unexpected error")
        return problem(500, "Internal error", "Something went wrong on our side; it has been logged.")
