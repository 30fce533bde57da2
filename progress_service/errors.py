"""The one exception hierarchy of progress-service.

Every error a client can cause is a ``ProgressServiceError`` carrying the HTTP status it maps to
and a sentence a person understands. The HTTP layer turns them into problem+json in one place.
"""
from __future__ import annotations


class ProgressServiceError(Exception):
    """Root of every error progress-service raises on purpose."""

    status = 500
    title = "Internal error"

    def __init__(self, detail: str, *, errors: dict[str, list[str]] | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors

    @property
    def type(self) -> str:
        return "https://progress-service.dev/problems/" + self.title.lower().replace(" ", "-")

    @property
    def headers(self) -> dict[str, str]:
        """Headers the answer carries beside the problem (WWW-Authenticate, Retry-After)."""
        return {}


class BadRequest(ProgressServiceError):
    status = 400
    title = "Bad request"


class AuthenticationFailed(ProgressServiceError):
    status = 401
    title = "Authentication failed"

    @property
    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": "Bearer"}


class PermissionDenied(ProgressServiceError):
    status = 403
    title = "Permission denied"


class NotFound(ProgressServiceError):
    status = 404
    title = "Not found"


class TitleNotFound(NotFound):
    title = "Title not found"


class TrackerNotFound(NotFound):
    title = "Tracker not found"


class UndoNotFound(NotFound):
    title = "Undo not found"


class ImportNotFound(NotFound):
    title = "Import not found"


class EntryNotFound(NotFound):
    title = "Entry not found"


class UserNotFound(NotFound):
    title = "User not found"


class GoalNotFound(NotFound):
    title = "Goal not found"


class ServiceNotFound(NotFound):
    title = "Service not found"


class Conflict(ProgressServiceError):
    status = 409
    title = "Conflict"


class AlreadyRetracted(Conflict):
    title = "Already retracted"


class VersionConflict(ProgressServiceError):
    """The tracker moved on since the version the caller expected."""

    status = 412
    title = "Version conflict"

    def __init__(self, detail: str, *, expected: int, actual: int):
        super().__init__(detail)
        self.expected = expected
        self.actual = actual


class InvalidChange(ProgressServiceError):
    """Well-formed but breaks a rule of trackers."""

    status = 422
    title = "Invalid change"

    def __init__(self, detail: str, *, field: str | None = None):
        super().__init__(detail, errors={field: [detail]} if field else None)


class InvalidSettings(InvalidChange):
    """Notification settings that cannot be kept (mail turned on with no address to send it to)."""

    title = "Invalid notification settings"


class InvalidProgress(InvalidChange):
    title = "Invalid progress"


class InvalidRating(InvalidChange):
    title = "Invalid rating"


class InvalidStatus(InvalidChange):
    title = "Invalid status"


class UnknownFigure(InvalidChange):
    """An explanation asked of a figure the answer does not have (or of none)."""

    title = "Unknown figure"

    def __init__(self, figure: str | None, figures: tuple[str, ...]):
        said = "Say which figure to explain" if figure is None else f"There is no figure {figure!r} to explain"
        super().__init__(f"{said}: figure is one of {', '.join(figures)}.", field="figure")


class IdempotencyKeyReused(InvalidChange):
    title = "Idempotency key reused"

    def __init__(self, detail: str = "This Idempotency-Key was already used for a different request; "
                                     "use a new key."):
        super().__init__(detail)


class TooManyRequests(ProgressServiceError):
    status = 429
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: int):
        super().__init__(detail)
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class ServiceUnavailable(ProgressServiceError):
    status = 503
    title = "Service unavailable"


class FeedBusy(ServiceUnavailable):
    """Every feed slot of the worker is taken by an open stream or long poll."""

    title = "Feed busy"

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": "1"}


class ImportRejected(InvalidChange):
    """A file that cannot be imported as a whole (not the named format, empty, a column missing)."""

    title = "Import rejected"
