"""Errors of the organisation package."""

from __future__ import annotations

from training.core.errors import DomainError, ValidationFailed


class AuthenticationFailed(DomainError):
    """Wrong account or password, or an inactive or locked account (one message for all: no enumeration)."""

    code = "authentication_failed"
    http_status = 401


class AccountLocked(AuthenticationFailed):
    """Too many failed logins; ``locked_until`` says until when."""

    code = "account_locked"


class WeakPassword(ValidationFailed):
    """The new password breaks the password rules."""

    code = "weak_password"
