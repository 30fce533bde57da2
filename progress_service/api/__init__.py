"""The HTTP edge: the flask-smorest Api (OpenAPI from the marshmallow schemas), bearer tokens,
and the one place where every error becomes problem+json."""
from __future__ import annotations

import re

import swagger_ui_bundle
from flask import Blueprint, Flask, Response, current_app, g, jsonify, request, send_from_directory
from flask_smorest import Api
from flask_smorest.spec.plugins import integerconverter2paramschema
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from ..errors import AuthenticationFailed, PermissionDenied, ProgressServiceError
from ..schemas import ProblemSchema
from ..security import Caller
from .health import health

# Routes anyone may call, by method; every other /api route needs a bearer token.
_PUBLIC = {"GET": re.compile(r"/api/(titles(/.*)?|genres|openapi\.json|docs(/.*)?)"),
           "POST": re.compile(r"/api/auth/(register|login)")}
_JSON = re.compile(r"application/([\w.+-]+\+)?json")


def problem(status: int, title: str, detail: str, *, type_: str = "about:blank",
            errors: dict | None = None) -> Response:
    body = {"type": type_, "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def json_answer(body: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """An answer whose JSON PostgreSQL has already built (the read side, see queries)."""
    return Response(body, status=status, headers=headers, mimetype="application/json")


class IdConverter(IntegerConverter):
    """An id in a path: a PostgreSQL bigint, so a larger number is an unknown route (404), not an
    error of the database's."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(map, *args, **kwargs)


class ProblemApi(Api):
    """flask-smorest's Api, documenting errors as the problem+json this service sends."""

    ERROR_SCHEMA = ProblemSchema


# The interactive docs work with no internet: Swagger UI's files come from a package, served here.
docs_assets = Blueprint("docs_assets", __name__)


@docs_assets.get("/api/docs/assets/<path:filename>")
def docs_asset(filename: str) -> Response:
    return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename)


def caller() -> Caller:
    """Who is calling (the bearer token was checked before the view ran)."""
    return g.caller


def require_access(user_id: int, *, write: bool = False) -> Caller:
    """The caller may reach ``user_id``'s data: their own always; an admin may read anyone's."""
    who = caller()
    if who.user_id != user_id and not (who.is_admin and not write):
        raise PermissionDenied("You may only reach your own trackers and entries.")
    return who


def require_admin() -> Caller:
    who = caller()
    if not who.is_admin:
        raise PermissionDenied("Only an admin may do this.")
    return who


def _check_request() -> Response | None:
    method, path = request.method, request.path
    if not path.startswith("/api") or request.routing_exception is not None:
        return None  # not ours, or an unknown route / wrong method: 404 or 405 for everyone
    if method in ("POST", "PUT", "PATCH") and request.content_length and not _JSON.fullmatch(request.mimetype or ""):
        return problem(415, "Unsupported media type", "Send the request body as JSON (Content-Type: application/json).")
    public = _PUBLIC.get(method)
    if method == "OPTIONS" or (public is not None and public.fullmatch(path)):
        return None
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationFailed("Send a bearer token: Authorization: Bearer <access_token> (from /api/auth/login).")
    g.caller = current_app.extensions["progress_service.tokens"].verify(token.strip())
    return None


def _validation_errors(error: HTTPException) -> dict | None:
    messages = _messages(error)
    if messages is None:
        return None
    errors: dict = {}
    for location in messages.values():  # {"json": {"rating": [...]}, "query": {...}}
        if isinstance(location, dict):
            errors.update(location)
        else:
            errors.setdefault("_body", []).extend(location if isinstance(location, list) else [location])
    return errors


def _messages(error: HTTPException) -> dict | None:
    """webargs' validation messages by location ({"json": {...}, "query": {...}}), if any."""
    messages = (getattr(error, "data", None) or {}).get("messages")
    return messages if isinstance(messages, dict) else None


def register(app: Flask) -> None:
    from . import auth, catalog, progress, reports, trackers, users

    app.url_map.converters["int"] = IdConverter  # before any route is added
    app.config.update(API_TITLE="progress-service", API_VERSION="1", OPENAPI_VERSION="3.0.3",
                      OPENAPI_URL_PREFIX="/api", OPENAPI_JSON_PATH="openapi.json",
                      OPENAPI_SWAGGER_UI_PATH="docs", OPENAPI_SWAGGER_UI_URL="/api/docs/assets/")
    api = ProblemApi(app, spec_kwargs={"components": {"securitySchemes": {
        "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}}, "security": [{"bearer": []}]})
    api.register_converter(IdConverter, integerconverter2paramschema)  # documented with its maximum
    api.register_blueprint(health)
    app.register_blueprint(docs_assets)
    for blueprint in (auth.blp, users.blp, progress.blp, trackers.blp, catalog.blp, reports.blp):
        api.register_blueprint(blueprint)
    app.before_request(_check_request)

    @app.errorhandler(ProgressServiceError)
    def domain_error(error: ProgressServiceError) -> Response:
        response = problem(error.status, error.title, error.detail, type_=error.type, errors=error.errors)
        if error.status == 401:
            response.headers["WWW-Authenticate"] = "Bearer"
        return response

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        errors = _validation_errors(error)
        status = error.code or 500
        if status == 400 and errors:  # webargs could not parse the body
            return problem(400, "Bad request", "The request body is not valid JSON.")
        if errors and "query" in (_messages(error) or {}):  # API.md: a malformed query is a 400
            fields = ", ".join(sorted(errors))
            return problem(400, "Bad request", f"Some query parameters are not valid: {fields}.", errors=errors)
        if errors:
            fields = ", ".join(sorted(errors))
            return problem(status, "Invalid request", f"Some fields are not valid: {fields}.", errors=errors)
        return problem(status, error.name, error.description or error.name)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        current_app.logger.exception("unexpected error")
        return problem(500, "Internal error", "Something went wrong on our side; it has been logged.")
