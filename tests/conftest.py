"""Fixtures for the real parts: private brokers, SQLite files, a fresh PostgreSQL database."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy.engine import Engine

from hub.db import make_engine, migrate
from tests.support.broker import Broker
from tests.support.pg import create_database, drop_database

pytest_plugins = ["tests.support.calendar_file"]  # the hall_calendar fixture

SHARED = Path(__file__).resolve().parents[2] / "shared"
FACES = SHARED / "data" / "faces"

# Shared, noisy 2-core machines: judge correctness, never speed, in property tests.
settings.register_profile(
    "hallkeeper", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=150
)
settings.load_profile("hallkeeper")


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    """A private Mosquitto on a free port, persistent, killed at the end of the test."""
    b = Broker(tmp_path / "broker").start()
    yield b
    b.kill()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A PostgreSQL database created for this test run and dropped after it."""
    name, url = create_database()
    yield url
    drop_database(name)


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file at the newest schema, migrated once per run: each test's database starts
    as a copy of it (`alembic upgrade heads` costs seconds of CPU per database; the migrations
    themselves are proved in tests/hub/test_migrations.py)."""
    path = tmp_path_factory.mktemp("migrated") / "hub.db"
    eng = make_engine(f"sqlite:///{path}")
    migrate(eng)
    eng.dispose()  # the last connection checkpoints the WAL into the file
    return path


@pytest.fixture(scope="session")
def migrated_pg() -> Iterator[str]:
    """The name of a PostgreSQL database at the newest schema, migrated once per run, that
    nobody connects to: each test's database is created from it as a template."""
    name, url = create_database("hk_template")
    eng = make_engine(url)
    migrate(eng)
    eng.dispose()
    yield name
    drop_database(name)


def sqlite_copy(template: Path, tmp_path: Path) -> str:
    """A test's own SQLite file, a copy of the migrated one; its URL."""
    path = tmp_path / "hub.db"
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database URL: a SQLite file, and a new PostgreSQL database. Empty, unless the
    test also takes `engine`: then already at the newest schema (a copy of the migrated one)."""
    migrated = "engine" in request.fixturenames
    if request.param == "sqlite":
        if migrated:
            yield sqlite_copy(request.getfixturevalue("migrated_sqlite"), tmp_path)
        else:
            yield f"sqlite:///{tmp_path / 'hub.db'}"
        return
    template = request.getfixturevalue("migrated_pg") if migrated else None
    name, url = create_database(template=template)
    yield url
    drop_database(name)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated engine on each of SQLite and PostgreSQL."""
    eng = make_engine(db_url)  # db_url made it at the newest schema
    yield eng
    eng.dispose()


@pytest.fixture
def sqlite_engine(migrated_sqlite: Path, tmp_path: Path) -> Iterator[Engine]:
    """A migrated engine on a SQLite file only (for tests that need no PostgreSQL run)."""
    eng = make_engine(sqlite_copy(migrated_sqlite, tmp_path))
    yield eng
    eng.dispose()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Benchmarks and long reliability runs (`@pytest.mark.bench`) run only with `-m bench`."""
    if "bench" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="a benchmark or long reliability run: pytest -m bench")
    for item in items:
        if item.get_closest_marker("bench") is not None:
            item.add_marker(skip)
