"""The HTTP edge: the flask-smorest Api (OpenAPI from the marshmallow schemas), bearer tokens,
and the one place where every error becomes problem+json."""
from __future__ import annotations

import http
import re

import swagger_ui_bundle
from apispec import BasePlugin
from apispec.ext.marshmallow.common import resolve_schema_cls
from flask import Blueprint, Flask, Response, current_app, g, request, send_from_directory
from flask_smorest import Api
from flask_smorest.spec.plugins import integerconverter2paramschema
from flask_smorest.utils import prepare_response
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.routing import IntegerConverter

from ..accounts import credential_proof
from ..db import request_proof
from ..errors import AuthenticationFailed, ProgressServiceError
from ..schemas import ProblemSchema
from ..security import Caller
from . import (auth, calendar, catalog, events, goals, imports, notifications, observing, own_titles, progress, reports,
               trackers, users)
from .access import access_of, refuse_services
from .common import PROBLEM, problem
from .health import health
from .parsing import body_types, refuse_unknown_query

_JSON = re.compile(r"application/([\w.+-]+\+)?json")


class IdConverter(IntegerConverter):
    """An id in a path: a PostgreSQL bigint, so a larger number is an unknown route (404), not an
    error of the database's."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(map, *args, **kwargs)


class RulesPlugin(BasePlugin):
    """Rules across fields that a schema checks in Python (exactly one change, at least one field)
    written into its JSON Schema too, from the schema's ``openapi_rules``, so that clients and
    generated requests know them."""

    def schema_helper(self, name, definition, **kwargs):
        schema = kwargs.get("schema")
        return dict(getattr(resolve_schema_cls(schema), "openapi_rules", {})) if schema is not None else None


class ProblemApi(Api):
    """flask-smorest's Api, documenting errors as the problem+json this service sends."""

    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self):
        """The answers of every status, each error as application/problem+json (flask-smorest
        would document them as application/json)."""
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "An error, as problem+json", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


# The interactive docs work with no internet: Swagger UI's files come from a package, served here.
docs_assets = Blueprint("docs_assets", __name__)


@docs_assets.get("/api/docs/assets/<path:filename>")
def docs_asset(filename: str) -> Response:
    return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename)


def _check_request() -> Response | None:
    """Before a view reads anything of the request: the route's access rule (401/403), then its
    query parameters (400 for one it does not read), then the body's media type (415)."""
    asked = request._get_current_object()  # once: every use of the proxy costs a lookup
    if asked.routing_exception is not None or asked.method == "OPTIONS":
        return None  # an unknown route or a wrong method: 404 or 405 for everyone
    view = current_app.view_functions.get(asked.endpoint)
    rule = access_of(view)
    if rule is None:
        return None  # not an API operation: the web page, the docs, static files
    context = g._get_current_object()
    if rule.needs_token or (rule.reads_token and "Authorization" in asked.headers):
        context.caller = _bearer_caller(asked)
        context.proof = request_proof.set(credential_proof(context.caller))
        refuse_services(context.caller, rule)
    if rule.check is not None:
        rule.check(context.caller, asked.view_args or {})
    refuse_unknown_query(view)
    if asked.method in ("POST", "PUT", "PATCH") and asked.content_length:
        types = body_types(view)
        if types is not None and asked.mimetype not in types:
            return problem(415, "Unsupported media type", f"Send the file as {' or '.join(types)} "
                                                          f"(Content-Type: {types[0]}, say).")
        if types is None and not _JSON.fullmatch(asked.mimetype or ""):
            return problem(415, "Unsupported media type", "Send the request body as JSON (Content-Type: application/json).")
    return None


def _bearer_caller(asked) -> Caller:
    scheme, _, token = asked.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationFailed("Send a bearer token: Authorization: Bearer <access_token> (from /api/auth/login).")
    return current_app.extensions["progress_service.tokens"].verify(token.strip())


def _end_request(error: BaseException | None) -> None:
    proof = g.pop("proof", None)
    if proof is not None:
        request_proof.reset(proof)


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
    app.url_map.converters["int"] = IdConverter  # before any route is added
    app.config.update(API_TITLE="progress-service", API_VERSION="1", OPENAPI_VERSION="3.0.3",
                      OPENAPI_URL_PREFIX="/api", OPENAPI_JSON_PATH="openapi.json",
                      OPENAPI_SWAGGER_UI_PATH="docs", OPENAPI_SWAGGER_UI_URL="/api/docs/assets/")
    api = ProblemApi(app, spec_kwargs={"extra_plugins": [RulesPlugin()], "components": {"securitySchemes": {
        "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}}, "security": [{"bearer": []}]})
    api.register_converter(IdConverter, integerconverter2paramschema)  # documented with its maximum
    api.register_blueprint(health)
    app.register_blueprint(docs_assets)
    blueprints = (auth.blp, users.blp, progress.blp, trackers.blp, own_titles.blp, imports.blp, goals.blp, catalog.blp,
                  reports.blp, calendar.blp, notifications.blp, events.blp)
    for blueprint in blueprints:
        api.register_blueprint(blueprint)
    undeclared = [endpoint for endpoint, view in app.view_functions.items()
                  if endpoint.partition(".")[0] in {b.name for b in (health, *blueprints)} and access_of(view) is None]
    if undeclared:  # every operation says who may call it (api.access)
        raise RuntimeError(f"these routes declare no access rule: {', '.join(undeclared)}")
    app.before_request(_check_request)
    app.teardown_request(_end_request)
    observing.register(app)

    @app.errorhandler(ProgressServiceError)
    def domain_error(error: ProgressServiceError) -> Response:
        response = problem(error.status, error.title, error.detail, type_=error.type, errors=error.errors)
        response.headers.update(error.headers)
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
        if isinstance(error, RequestEntityTooLarge):
            limit = request.max_content_length  # the app's, or the route's own (an imported file's)
            return problem(413, "Request body too large",
                           f"The request body is larger than this service accepts: at most {limit:,} bytes.")
        response = problem(status, error.name, error.description or error.name)
        # what the error says beside its page: Allow on a 405, Retry-After, ...
        response.headers.update({name: value for name, value in error.get_headers() if name != "Content-Type"})
        return response

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        current_app.logger.exception("unexpected error")
        return problem(500, "Internal error", "Something went wrong on our side; it has been logged.")
