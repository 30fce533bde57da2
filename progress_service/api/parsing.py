"""Reading what a client sends: JSON bodies read strictly (anything Python's json module would
take but this service cannot hold is a 400 with a sentence, never a 500), and query parameters
checked against what the route documents (an unknown one is a 400 naming it)."""
from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

import flask_smorest
from flask import Request, request
from webargs.core import missing
from webargs.flaskparser import FlaskParser, is_json_request

from ..errors import BadRequest

_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _no_constant(name: str) -> Any:
    raise BadRequest(f"The request body is not valid JSON: {name} is not a JSON value.")


_DECODER = json.JSONDecoder(parse_constant=_no_constant)  # made once: json.loads with options makes one a call


def strict_json(data: bytes) -> Any:
    """The JSON value of a request body; a BadRequest with a sentence for anything that is not JSON
    this service can hold."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("The request body is not valid UTF-8 text.") from None
    try:
        value = _DECODER.decode(text)
    except json.JSONDecodeError as error:
        raise BadRequest(f"The request body is not valid JSON ({error.msg} at character {error.pos}).") from None
    except RecursionError:
        raise BadRequest("The request body nests arrays or objects too deeply.") from None
    except ValueError:  # Python reads no integer of more than 4300 digits
        raise BadRequest("A number in the request body has more digits than this service reads.") from None
    if _SURROGATE_ESCAPE.search(data) is not None:
        try:  # escapes of surrogates are fine in pairs (an emoji); alone they are no character at all
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise BadRequest("Text in the request body holds a lone surrogate escape (such as \\ud800), "
                             "which is not a character.") from None
    return value


def body_json(req: Request) -> Any:
    """The request body's JSON, read once per request (the access rules and the schema both read it)."""
    try:
        return req.progress_service_json
    except AttributeError:
        req.progress_service_json = strict_json(req.get_data(cache=True))
        return req.progress_service_json


def peek_json() -> Any:
    """The body's JSON if it is readable, else None (its validation answers later)."""
    if not is_json_request(request):
        return None
    try:
        return body_json(request)
    except BadRequest:
        return None


class Parser(FlaskParser):
    """webargs' Flask parser, reading JSON bodies with ``strict_json``."""

    def _raw_load_json(self, req: Request) -> Any:
        if not is_json_request(req):
            return missing
        return body_json(req)


@lru_cache(maxsize=None)
def query_parameters(view) -> frozenset[str]:
    """The query parameters a documented view reads (from its webargs schemas)."""
    parameters = getattr(view, "_apidoc", {}).get("arguments", {}).get("parameters", [])
    return frozenset(field.data_key or name for parameter in parameters if parameter["in"] == "query"
                     for name, field in parameter["schema"].fields.items())


def refuse_unknown_query(view) -> None:
    if not request.query_string:
        return
    known = query_parameters(view)
    unknown = sorted(set(request.args) - known)
    if unknown:
        takes = f"it takes {', '.join(sorted(known))}" if known else "it takes none"
        raise BadRequest(f"Unknown query parameter{'s' if len(unknown) > 1 else ''} "
                         f"{', '.join(unknown)}: this route does not read {'them' if len(unknown) > 1 else 'it'} "
                         f"({takes}).", errors={name: ["Unknown query parameter."] for name in unknown})


def takes_body(*media_types: str):
    """Declare the media types a view's body may come in, where it is not JSON (an imported file)."""
    def decorator(view):
        view.body_types = media_types
        return view
    return decorator


def body_types(view) -> tuple[str, ...] | None:
    return getattr(view, "body_types", None)


class Blueprint(flask_smorest.Blueprint):
    """A resource's routes, their bodies and queries read by ``Parser``."""

    ARGUMENTS_PARSER = Parser()
