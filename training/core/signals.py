"""Blinker signals through which lower layers tell upper layers what happened (DESIGN.md §2)."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: sender: the User; kwargs: none. Sent after a user was created, changed department or rank, or was reactivated.
user_placed = _signals.signal("user-placed")
#: sender: the Enrollment; kwargs: user_id, course_id. Sent after a course was completed.
course_completed = _signals.signal("course-completed")
#: sender: None; kwargs: attempt_id, user_id, exam_id. Sent after an attempt's grading was finished or changed
#: (after the transaction that graded it committed).
attempt_graded = _signals.signal("attempt-graded")
