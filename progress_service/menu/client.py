"""The one way the menu talks to progress-service: its public HTTP API (shared/API.md), over urllib."""
from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any


class ApiError(Exception):
    """The API refused a request (``detail`` is its sentence) or could not be reached (``status`` None)."""

    def __init__(self, detail: str, status: int | None = None):
        super().__init__(detail)
        self.detail = detail
        self.status = status


class Api:
    """The progress-service HTTP API at ``base_url``, as one method."""

    def __init__(self, base_url: str, *, timeout: float = 10):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.token: str | None = None

    def request(self, method: str, path: str, body: Any = None, *, query: dict | None = None,
                content_type: str | None = None, timeout: float | None = None) -> Any:
        """The decoded answer: JSON as Python, CSV as text, nothing as None. Raises ``ApiError``.
        With ``content_type``, ``body`` is bytes sent as they are (a file); else it goes as JSON.
        ``timeout`` is for a request that may take longer than most (seconds)."""
        query = {key: value for key, value in (query or {}).items() if value not in (None, "")}
        url = self.base_url + path + ("?" + urllib.parse.urlencode(query) if query else "")
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        data = None
        if body is not None:
            data = body if content_type else json.dumps(body).encode()
            headers["Content-Type"] = content_type or "application/json"
        try:
            with urllib.request.urlopen(urllib.request.Request(url, data, headers, method=method),
                                        timeout=timeout or self.timeout) as response:
                return self._decode(response.headers.get_content_type(), response.read())
        except urllib.error.HTTPError as error:
            raise ApiError(_problem_detail(error), error.code) from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
            raise self._unreachable(getattr(error, "reason", error), timeout or self.timeout) from None

    def _decode(self, content_type: str, raw: bytes) -> Any:
        if not raw:
            return None
        if content_type.endswith("json"):
            try:
                return json.loads(raw)
            except ValueError:
                raise ApiError(f"The server at {self.base_url} did not answer like progress-service.") from None
        return raw.decode("utf-8", errors="replace")

    def _unreachable(self, reason: object, timeout: float) -> ApiError:
        if isinstance(reason, TimeoutError):
            return ApiError(f"progress-service at {self.base_url} did not answer within {timeout:g} seconds.")
        if isinstance(reason, http.client.HTTPException):
            return ApiError(f"The server at {self.base_url} did not answer like progress-service.")
        why = getattr(reason, "strerror", None) or str(reason) or type(reason).__name__
        return ApiError(f"Cannot reach progress-service at {self.base_url} ({why.lower()}). Is it running there?")


def _problem_detail(error: urllib.error.HTTPError) -> str:
    """The problem+json ``detail`` sentence, followed by the message of each invalid field it names."""
    try:
        problem = json.loads(error.read())
    except ValueError:
        problem = None
    if not isinstance(problem, dict) or not problem.get("detail"):
        return f"The server answered {error.code} {error.reason}."
    lines = [problem["detail"]]
    for field, messages in (problem.get("errors") or {}).items():
        text = " ".join(_sentences(messages))
        if text != problem["detail"]:
            lines.append(f"  {text}" if field.startswith("_") else f"  {field}: {text}")
    return "\n".join(lines)


def _sentences(messages: Any) -> list[str]:
    """A field's messages, however deep the API nests them ({"at": ["..."]} for a nested object)."""
    if isinstance(messages, str):
        return [messages]
    values = messages.values() if isinstance(messages, dict) else messages if isinstance(messages, list) else [messages]
    return [sentence for value in values for sentence in _sentences(value)]
