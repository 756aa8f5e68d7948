"""Errors of the question bank."""

from __future__ import annotations

from training.core.errors import Conflict, ValidationFailed


class QuestionInvalid(ValidationFailed):
    """A question definition breaks its type's rules; ``details`` lists the messages."""

    code = "question_invalid"


class WorkflowViolation(Conflict):
    """A lifecycle transition that is not allowed from the current status, or by this person."""

    code = "workflow_violation"
