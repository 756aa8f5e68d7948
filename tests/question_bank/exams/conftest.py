"""Shared helpers of the exam tests: a candidate speaking the JSON API (bearer token or session), distinctive
questions whose keys and explanations are easy to look for, and a few shortcuts to read attempts back."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from flask.testing import FlaskClient

from question_bank.exams.models import Attempt, AttemptItem
from question_bank.models import APPROVED, QuestionVersion
from question_bank.services.authoring import QuestionDraft, add_question
from tests.conftest import CsrfClient, login_as
from tests.factories import make_bank, make_course, make_exam
from training.core.clock import frozen_clock, utcnow
from training.core.signals import attempt_graded
from training.extensions import db
from training.org.services.accounts import create_api_token

SESSION = "X-Attempt-Session"

#: Distinctive strings that only exist in keys and explanations of ``make_secret_bank``: none of them may reach
#: a candidate before results are released.
SECRET_EXPLANATION = "秘密解析甲乙丙"
SECRET_BLANK = "量子政务密钥"
SECRET_BLANK_ALT = "备选秘密答案"
SECRET_SHORT = "参考答案秘密丁戊"
SECRETS = (SECRET_EXPLANATION, SECRET_BLANK, SECRET_BLANK_ALT, SECRET_SHORT)


class Candidate:
    """One device of one candidate: a test client (bearer token or cookie session) and the attempt session
    token it got when it last started or resumed an attempt."""

    def __init__(self, client: FlaskClient, user, *, bearer: bool = True):
        self.client, self.user, self.session = client, user, None
        self.headers: dict[str, str] = {}
        if bearer:
            _record, token = create_api_token(user, "exam tests")
            self.headers["Authorization"] = f"Bearer {token}"
        else:
            login_as(client, user)

    def _headers(self) -> dict[str, str]:
        return {**self.headers, **({SESSION: self.session} if self.session else {})}

    def start(self, exam_id: int, **body):
        response = self.client.post(f"/api/v1/exams/{exam_id}/attempts", json=body, headers=self._headers())
        if response.status_code == 201:
            self.session = response.json["session"]
        return response

    def started(self, exam_id: int) -> dict:
        response = self.start(exam_id)
        assert response.status_code == 201, response.json
        return response.json

    def get(self, attempt_id: int):
        return self.client.get(f"/api/v1/attempts/{attempt_id}", headers=self._headers())

    def save(self, attempt_id: int, item_id: int, response=None, seq: int = 1, *, raw=None, **extra):
        body = raw if raw is not None else {"response": response, "seq": seq, **extra}
        return self.client.put(f"/api/v1/attempts/{attempt_id}/items/{item_id}", json=body, headers=self._headers())

    def submit(self, attempt_id: int):
        return self.client.post(f"/api/v1/attempts/{attempt_id}/submit", headers=self._headers())

    def result(self, attempt_id: int):
        return self.client.get(f"/api/v1/attempts/{attempt_id}/result", headers=self._headers())

    def exams(self):
        return self.client.get("/api/v1/exams", headers=self._headers())


@pytest.fixture
def candidate_of(app):
    """``candidate_of(user)`` → a Candidate on a fresh client with a bearer token (``bearer=False``: session)."""

    def make(user, *, bearer: bool = True) -> Candidate:
        app.test_client_class = CsrfClient
        return Candidate(app.test_client(), user, bearer=bearer)

    return make


@pytest.fixture
def t0(app_ctx):
    """Now, to the second: the moment the clock tests freeze time at."""
    return utcnow().replace(microsecond=0)


@pytest.fixture
def timed_exam(bank, learner, t0):
    """A 30-minute exam for ``learner`` opened at ``t0``."""
    with frozen_clock(t0):
        return make_exam(learner, duration_minutes=30)


@pytest.fixture
def bank(app_ctx, org):
    """The factory's bank: 6 approved questions of each objective type in M1."""
    return make_bank(6)


@pytest.fixture
def graded_signals():
    """Every ``attempt_graded`` signal sent during the test, as (attempt_id, user_id, exam_id)."""
    received = []

    def receiver(sender, **kwargs):
        received.append((kwargs["attempt_id"], kwargs["user_id"], kwargs["exam_id"]))

    attempt_graded.connect(receiver)
    yield received
    attempt_graded.disconnect(receiver)


def ensure_module(module: str = "M1") -> None:
    from courseware.models import SyllabusModule
    if db.session.scalar(db.select(SyllabusModule).where(SyllabusModule.code == module)) is None:
        make_course(f"{module}-01", minutes=(10,))


def add_approved(kind: str, stem: str, key, *, options=(), explanation: str = "", difficulty: int = 3,
                 knowledge_point: str | None = "M1.1", extra=None):
    """One approved question (committed); ``knowledge_point=None``: outside the syllabus."""
    if knowledge_point:
        ensure_module(knowledge_point.split(".")[0])
    question = add_question(None, QuestionDraft(type=kind, stem_md=stem, options=list(options), key=key,
                                                explanation_md=explanation, difficulty=difficulty,
                                                knowledge_point=knowledge_point, extra=extra or {}),
                            status=APPROVED)
    db.session.commit()
    return question


def make_secret_bank(per_type: int = 3, *, short_answer: bool = False):
    """Approved questions whose explanations and fill-in answers are the strings of ``SECRETS``."""
    ensure_module("M1")
    questions = []
    for n in range(1, per_type + 1):
        questions.append(add_approved("single", f"单选第{n}题：政务外网用于？", "C",
                                      options=["选项甲", "选项乙", "选项丙", "选项丁"],
                                      explanation=f"{SECRET_EXPLANATION}{n}"))
        questions.append(add_approved("multiple", f"多选第{n}题：哪些属于一网通办？", "BD",
                                      options=["选项戊", "选项己", "选项庚", "选项辛"],
                                      explanation=f"{SECRET_EXPLANATION}{n}"))
        questions.append(add_approved("true_false", f"判断第{n}题：政务服务应当便民。", False,
                                      explanation=f"{SECRET_EXPLANATION}{n}"))
        questions.append(add_approved("fill_blank", f"填空第{n}题：全省统一平台称为____。",
                                      [[SECRET_BLANK, SECRET_BLANK_ALT]], explanation=f"{SECRET_EXPLANATION}{n}"))
        if short_answer:
            questions.append(add_approved("short_answer", f"简答第{n}题：谈谈数据共享。", SECRET_SHORT,
                                          explanation=f"{SECRET_EXPLANATION}{n}"))
    return questions


SECRET_ROWS = (("", "single", 2, "2"), ("", "multiple", 2, "3"), ("", "true_false", 2, "1"),
               ("", "fill_blank", 2, "2"))


def key_of(item_json: dict):
    """The correct response for a candidate-facing item (read from the database by the test, not the API)."""
    item = db.session.get(AttemptItem, item_json["id"])
    return db.session.get(QuestionVersion, item.question_version_id).key


def correct_response(item_json: dict):
    key = key_of(item_json)
    if item_json["type"] == "fill_blank":
        return [answers[0] for answers in key]
    return key


def wrong_response(item_json: dict):
    kind, key = item_json["type"], key_of(item_json)
    if kind == "single":
        return next(letter for letter in "ABCD" if letter != key)
    if kind == "multiple":
        return "A" if "A" not in key else "D" if "D" not in key else "C"
    if kind == "true_false":
        return not key
    if kind == "fill_blank":
        return ["错误答案"] * len(key)
    return "随便写写"


def attempt_row(attempt_id: int) -> Attempt:
    db.session.expire_all()
    return db.session.get(Attempt, attempt_id)


def item_row(item_id: int) -> AttemptItem:
    db.session.expire_all()
    return db.session.get(AttemptItem, item_id)


def at(moment, **delta):
    return moment + timedelta(**delta)


def dec(value) -> Decimal:
    return Decimal(str(value))


def first(attempt: dict, kind: str) -> dict:
    """The first item of ``kind`` in an attempt as the API gave it."""
    return next(item for item in attempt["items"] if item["type"] == kind)


def iso(moment) -> str:
    return moment.isoformat(timespec="seconds") + "Z"
