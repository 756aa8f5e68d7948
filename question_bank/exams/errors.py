"""Errors of exams and attempts."""

from __future__ import annotations

from training.core.errors import Conflict, ValidationFailed


class BlueprintUnfillable(ValidationFailed):
    """The bank does not hold enough approved questions for a blueprint; ``details`` lists row messages."""

    code = "blueprint_unfillable"


class ExamClosed(Conflict):
    """The exam cannot be started now: not published, outside its window, or no attempts left."""

    code = "exam_closed"


class AttemptClosed(Conflict):
    """The attempt no longer accepts answers: submitted, finalised, or past its deadline and grace."""

    code = "attempt_closed"


class TakenOver(Conflict):
    """The attempt was opened on another device, which now holds it."""

    code = "taken_over"
