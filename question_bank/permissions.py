"""Who may do what in the question bank. Learners never reach it."""

from __future__ import annotations

from training.org.constants import Role
from training.org.models import User
from training.org.permissions import is_admin


def can_author_questions(user: User) -> bool:
    """Examiners and administrators write, import and edit questions."""
    return bool(user and user.is_authenticated and (is_admin(user) or user.has_role(Role.EXAMINER)))


def can_review_questions(user: User) -> bool:
    """Reviewers and administrators approve or reject questions (never their own)."""
    return bool(user and user.is_authenticated and (is_admin(user) or user.has_role(Role.REVIEWER)))


def can_use_bank(user: User) -> bool:
    """The bank's pages and API are for examiners, reviewers and administrators."""
    return can_author_questions(user) or can_review_questions(user)
