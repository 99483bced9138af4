"""The Alembic migrations and the models must describe the same schema, on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from workshop.config import normalise_database_url
from workshop.db import Base
from workshop.migrate import downgrade, upgrade
import workshop.models  # noqa: F401

TABLES = {"facilitator", "workshop_session", "phase", "lane", "card", "channel", "library_entry", "formula",
          "participant", "template", "vote_round", "vote", "agenda_round", "plate_item", "board_event",
          "library_entry_variant"}


def _diff(url: str):
    engine = create_engine(normalise_database_url(url))
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
        tables = set(inspect(conn).get_table_names())
    engine.dispose()
    return diff, tables


def _check(url: str):
    upgrade(url)
    diff, tables = _diff(url)
    assert diff == [], f"models and migrations disagree: {diff}"
    assert TABLES <= tables
    downgrade(url, "base")
    _, tables = _diff(url)
    assert tables <= {"alembic_version"}
    upgrade(url)  # and back up again from empty


def test_sqlite_migrations_match_models(tmp_path):
    _check(f"sqlite:///{tmp_path / 'm.sqlite3'}")


@pytest.mark.postgres
def test_postgresql_migrations_match_models(pg_url):
    _check(pg_url)
