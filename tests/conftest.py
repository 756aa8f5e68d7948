"""Shared fixtures: one migrated database per test session (SQLite file, or PostgreSQL from
``TEST_DATABASE_URL``), emptied after every test; a CSRF-aware client; one fixture per common actor."""

from __future__ import annotations

import contextvars
import os
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import text

from tests import factories
from training.app import create_app
from training.config import engine_options
from training.core.caches import clear_process_caches
from training.extensions import db, limiter

CSRF_RAW = "test-csrf-raw-token"


def _database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL", "").strip()
    if url:
        return url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


def _reset_schema(app: Flask) -> None:
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
        upgrade()


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    url = _database_url(tmp_path_factory)
    application = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(url),
        # Redis in CI (TEST_REDIS_URL), memory otherwise: the rate-limit tests run on the configured storage.
        "RATELIMIT_STORAGE_URI": os.environ.get("TEST_REDIS_URL") or "memory://",
        "SERVER_NAME": None,
    })
    limiter.enabled = False  # the rate-limit tests switch it on for themselves
    _reset_schema(application)
    yield application


def empty_tables(app: Flask) -> None:
    """Empty every table and restart the ids (also used by test modules that load data once per module)."""
    clear_process_caches()
    with app.app_context():
        db.session.remove()
        tables = [table.name for table in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as connection:
            if db.engine.dialect.name == "postgresql":
                connection.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables)
                                        + " RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    connection.execute(text(f'DELETE FROM "{table}"'))


@pytest.fixture(autouse=True)
def _clean_database(app: Flask) -> Iterator[None]:
    """Every test starts from empty tables (real commits, real constraints: no mocked database)."""
    yield
    empty_tables(app)


@pytest.fixture
def app_ctx(app: Flask) -> Iterator[Flask]:
    with app.app_context():
        yield app
        db.session.remove()


class IsolatedClient(FlaskClient):
    """Runs every request in a fresh ``contextvars`` context, so it gets its own app context (``g``, database
    session) as in production, even while the test itself holds an app context for its factories."""

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


class CsrfClient(IsolatedClient):
    """A test client that sends a valid CSRF token with every state-changing request, as a browser page would."""

    def open(self, *args, **kwargs):
        method = (kwargs.get("method") or "GET").upper()
        if method not in ("GET", "HEAD", "OPTIONS") and kwargs.pop("csrf", True):
            with self.session_transaction() as session:
                session["csrf_token"] = CSRF_RAW
            token = URLSafeTimedSerializer(self.application.config["SECRET_KEY"], salt="wtf-csrf-token").dumps(
                CSRF_RAW)
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRFToken", token)
            kwargs["headers"] = headers
            data = kwargs.get("data")
            if isinstance(data, dict) and "csrf_token" not in data:
                kwargs["data"] = {**data, "csrf_token": token}
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    app.test_client_class = CsrfClient
    return app.test_client()


@pytest.fixture
def raw_client(app: Flask) -> FlaskClient:
    """A client that sends no CSRF token (to prove requests without one are refused)."""
    app.test_client_class = IsolatedClient
    return app.test_client()


def login_as(client: FlaskClient, user) -> FlaskClient:
    """Log ``user`` in on ``client`` through the session (fast; the login form has its own tests)."""
    with client.session_transaction() as session:
        session["_user_id"] = f"{user.id}:{user.session_version}"
        session["_fresh"] = True
    return client


@pytest.fixture
def org(app_ctx) -> factories.Org:
    """A province with two cities (清川 QC, 云岭 YL), each with a bureau and a division."""
    return factories.make_org()


@pytest.fixture
def learner(org):
    return factories.make_user(org.qc_division, employee_no="L0001", name="李学员")


@pytest.fixture
def examiner(org):
    return factories.make_user(org.province, employee_no="E0001", name="林命题", roles=[("examiner", None)])


@pytest.fixture
def hr_officer(org):
    return factories.make_user(org.qc_bureau, employee_no="H0001", name="王人事", roles=[("hr", org.qc)])


@pytest.fixture
def leader(org):
    return factories.make_user(org.qc, employee_no="D0001", name="陈领导", roles=[("leader", org.qc)])


@pytest.fixture
def admin(org):
    return factories.make_user(org.province, employee_no="A0001", name="周管理", roles=[("admin", None)])
