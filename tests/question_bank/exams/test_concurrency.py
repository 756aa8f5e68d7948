"""Saves racing a submission, on real connections in threads: every save the server acknowledged is graded,
and no save lands after the grading read the answers (on PostgreSQL the save reads the attempt FOR SHARE, on
SQLite writes are serialised)."""

from __future__ import annotations

import threading

from sqlalchemy import select

from question_bank.exams.errors import AttemptClosed
from question_bank.exams.models import GRADED, Attempt, AttemptItem
from question_bank.exams.services.attempts import start_or_resume, submit_attempt
from question_bank.exams.services.autosave import save_response
from tests.factories import make_bank, make_exam
from training.extensions import db


def test_every_acknowledged_save_is_graded_when_saves_race_the_submission(app, app_ctx, learner):
    make_bank(per_type=30, types=("single",))
    exam = make_exam(learner, rows=(("", "single", 30, "1"),), shuffle_options=False)
    body = start_or_resume(learner.id, exam.id)
    attempt_id, token = body["id"], body["session"]
    acknowledged: list[int] = []
    refused: list[int] = []
    halfway = threading.Event()

    def saver():
        with app.app_context():
            for number, item in enumerate(body["items"]):
                if number == len(body["items"]) // 2:
                    halfway.set()
                try:
                    save_response(learner.id, attempt_id, item["id"], "A", 1, token)  # "A" is the key
                    acknowledged.append(item["id"])
                except AttemptClosed:
                    refused.append(item["id"])
            halfway.set()

    thread = threading.Thread(target=saver)
    thread.start()
    halfway.wait(timeout=30)
    submit_attempt(learner.id, attempt_id, token)
    thread.join(timeout=60)

    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.status == GRADED
    scores = dict(db.session.execute(select(AttemptItem.id, AttemptItem.score)
                                     .where(AttemptItem.attempt_id == attempt_id)).all())
    assert len(acknowledged) + len(refused) == 30 and len(acknowledged) >= 15
    assert all(scores[item_id] == 1 for item_id in acknowledged), "an acknowledged save was not graded"
    assert all(scores[item_id] == 0 for item_id in refused)
    assert attempt.score == len(acknowledged)
