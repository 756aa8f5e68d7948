"""Errors of the courseware package."""

from __future__ import annotations

from training.core.errors import DomainError


class ContentInvalid(DomainError):
    """The content tree has errors; ``details`` lists every SourceError. Nothing was applied."""

    code = "content_invalid"
    http_status = 422
