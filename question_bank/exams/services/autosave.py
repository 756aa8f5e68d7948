"""Autosave: the hottest write path of exam day. One answer is one idempotent UPDATE of its attempt item,
conditional on everything that makes the save legitimate, and committed before it is acknowledged:

- the item belongs to the attempt, the attempt to the caller, and the caller's device holds it (a newer device
  takes over: the older one's saves are refused with ``taken_over``);
- the attempt is in progress and the deadline has not passed — or it passed less than 60 s ago and the change
  was made before it (``made_at``, in the server's time as the client computes it from the remaining
  seconds): grace for requests that were in flight or queued at the deadline;
- the client's sequence number is newer than the stored one: a duplicate or an out-of-order older save
  changes nothing and is answered with the sequence number the server holds.

The attempt row is read ``FOR SHARE`` (PostgreSQL) inside the same statement, so a save and a submission
serialize: a save either lands before the grading reads the answers, or is refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import JSON, Boolean, and_, bindparam, exists, func, or_, select, update

from question_bank.exams.errors import AttemptClosed, TakenOver
from question_bank.exams.models import IN_PROGRESS, Attempt, AttemptItem
from question_bank.exams.services.attempts import GRACE_SECONDS
from training.core.clock import utcnow
from training.core.errors import NotFound, ValidationFailed
from training.extensions import db

MAX_RESPONSE_CHARS = 10_000
attempts = Attempt.__table__
items = AttemptItem.__table__

_HOLDER = exists(
    select(attempts.c.id).where(
        attempts.c.id == bindparam("p_attempt"), attempts.c.user_id == bindparam("p_user"),
        attempts.c.status == IN_PROGRESS, attempts.c.session_token == bindparam("p_token"),
        attempts.c.session_token != "",  # a reopened attempt is held by nobody until its candidate resumes it
        or_(attempts.c.deadline_at >= bindparam("p_now"),
            and_(attempts.c.deadline_at >= bindparam("p_grace_floor"), attempts.c.deadline_at >= bindparam("p_made"))))
    .with_for_update(read=True))
_FLAG_ONLY = (update(items)
              .where(items.c.id == bindparam("p_item"), items.c.attempt_id == bindparam("p_attempt"),
                     items.c.response_seq < bindparam("p_seq"), _HOLDER)
              .values(response_seq=bindparam("p_seq"), saved_at=bindparam("p_now"),
                      flagged=func.coalesce(bindparam("p_flagged", type_=Boolean), items.c.flagged)))
_SAVE = _FLAG_ONLY.values(response=bindparam("p_response", type_=JSON))
_WHY = (select(attempts.c.user_id, attempts.c.status, attempts.c.session_token, attempts.c.deadline_at,
               items.c.response_seq, items.c.saved_at)
        .join(items, items.c.attempt_id == attempts.c.id)
        .where(items.c.id == bindparam("p_item"), attempts.c.id == bindparam("p_attempt")))


@dataclass(frozen=True)
class SaveResult:
    """``saved_seq`` is the sequence number the server holds after this call; ``stale`` when the call's own
    number was not newer (nothing changed)."""

    saved_seq: int
    saved_at: datetime | None
    stale: bool


def validate_response(response: object) -> object:
    """A response is a string, a boolean, a list of strings or null, of bounded size."""
    ok = response is None or isinstance(response, (str, bool)) or (
        isinstance(response, list) and all(isinstance(part, str) for part in response) and len(response) <= 20)
    if not ok or len(json.dumps(response, ensure_ascii=False)) > MAX_RESPONSE_CHARS:
        raise ValidationFailed(_("答案格式无效"))
    return response


def save_response(user_id: int, attempt_id: int, item_id: int, response: object, seq: int, token: str,
                  *, flagged: bool | None = None, made_at: datetime | None = None,
                  keep_response: bool = False) -> SaveResult:
    """Store one answer (see the module's rules) and commit; raises NotFound, TakenOver or AttemptClosed.
    With ``keep_response`` only the flag changes (the saved answer stays)."""
    response = validate_response(response)
    now = utcnow()
    params = {"p_item": item_id, "p_attempt": attempt_id, "p_user": user_id, "p_token": token or "",
              "p_now": now, "p_grace_floor": now - timedelta(seconds=GRACE_SECONDS),
              "p_made": made_at if made_at is not None else now + timedelta(days=1), "p_seq": seq,
              "p_response": response, "p_flagged": flagged}
    with db.engine.begin() as connection:
        if connection.execute(_FLAG_ONLY if keep_response else _SAVE, params).rowcount == 1:
            return SaveResult(seq, now, False)
        row = connection.execute(_WHY, params).first()
    if row is None or row.user_id != user_id:
        raise NotFound(_("答卷不存在"))
    if row.status != IN_PROGRESS:
        raise AttemptClosed(_("这份答卷已经交卷，不能再修改"))
    if not row.session_token or row.session_token != (token or ""):
        raise TakenOver(_("这份答卷已在另一台设备上打开，本页面不再保存答案"))
    if row.response_seq >= seq:
        return SaveResult(row.response_seq, row.saved_at, True)
    raise AttemptClosed(_("考试时间已到，答案未能保存"))
