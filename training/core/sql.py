"""Small portable SQL helpers for hot paths that bypass the ORM unit of work."""

from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite

from training.extensions import db


def dialect_insert(table: Table):
    """The dialect's ``INSERT`` (SQLite or PostgreSQL), which has ``on_conflict_do_*``."""
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def insert_ignoring_conflicts(table: Table, values: dict, index_elements: list[str]):
    """``INSERT … ON CONFLICT (index_elements) DO NOTHING`` for SQLite and PostgreSQL."""
    return dialect_insert(table).values(**values).on_conflict_do_nothing(index_elements=index_elements)


def upsert(table: Table, values: dict, index_elements: list[str], update: dict):
    """``INSERT … ON CONFLICT (index_elements) DO UPDATE SET update`` for SQLite and PostgreSQL; ``update`` may
    refer to the proposed row as ``statement.excluded`` via a callable taking the statement."""
    statement = dialect_insert(table).values(**values)
    set_ = update(statement) if callable(update) else update
    return statement.on_conflict_do_update(index_elements=index_elements, set_=set_)
