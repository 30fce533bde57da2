"""The web page: one HTML page at ``/`` and its scripts and styles under ``/app/``, all served by the
app itself (no CDN, no build step). The page talks to the service only through the public ``/api``."""
from __future__ import annotations

from flask import Blueprint, Response, send_from_directory

web = Blueprint("web", __name__, static_folder="static", static_url_path="/app")

# The page loads nothing from elsewhere; the browser refuses it even if a change tried to.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
                           "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
                           "frame-ancestors 'none'")


@web.get("/")
def index() -> Response:
    response = send_from_directory(web.static_folder, "index.html")
    response.headers["Cache-Control"] = "no-cache"
    return response


@web.after_request
def page_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
