"""Domain errors raised by services; views and the API turn them into messages or JSON errors."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a service raises on purpose. ``message`` is user-facing (already translated)."""

    code = "domain_error"
    http_status = 400

    def __init__(self, message: str, *, details: object | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class ValidationFailed(DomainError):
    """Input does not satisfy a rule of the domain."""

    code = "validation_failed"
    http_status = 422


class NotFound(DomainError):
    """The object does not exist (or the caller may not know it exists)."""

    code = "not_found"
    http_status = 404


class PermissionDenied(DomainError):
    """The caller lacks the role or the department scope for the object."""

    code = "forbidden"
    http_status = 403


class Conflict(DomainError):
    """The change collides with the current state (duplicate, stale version…)."""

    code = "conflict"
    http_status = 409
