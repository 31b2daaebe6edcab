"""Fixtures for the real parts: private brokers, SQLite files, a fresh PostgreSQL database."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
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


class PgDatabases:
    """The tests' PostgreSQL databases, made and dropped on one background thread: a copy of
    the migrated template is made one test ahead, and a test's database is dropped after it
    without the next test waiting (each CREATE or DROP DATABASE costs the server about a second
    of writing and syncing, time in which the tests can run)."""

    def __init__(self, template: str) -> None:
        self.template = template
        self.worker = ThreadPoolExecutor(1, thread_name_prefix="hk-pg-databases")
        self.ahead: Future[tuple[str, str]] | None = None
        self.drops: list[Future[None]] = []

    def migrated(self) -> tuple[str, str]:
        """(name, URL) of a new database at the newest schema, nobody connected to it."""
        made = self.ahead or self.worker.submit(create_database, template=self.template)
        self.ahead = self.worker.submit(create_database, template=self.template)
        return made.result()

    def drop(self, name: str) -> None:
        """Drop a database (closing its connections) once the worker gets to it."""
        self.drops.append(self.worker.submit(drop_database, name))

    def close(self) -> None:
        """Drop the database made ahead, wait for every drop; a failed one fails here."""
        if self.ahead is not None:
            self.drop(self.ahead.result()[0])
        self.worker.shutdown(wait=True)
        for done in self.drops:
            done.result()


@pytest.fixture(scope="session")
def pg_databases(migrated_pg: str) -> Iterator[PgDatabases]:
    """Copies of the migrated PostgreSQL database, made ahead and dropped in the background."""
    databases = PgDatabases(migrated_pg)
    yield databases
    databases.close()


@pytest.fixture
def pg_migrated_url(pg_databases: PgDatabases) -> Iterator[str]:
    """A PostgreSQL database of this test's own at the newest schema (a template copy)."""
    name, url = pg_databases.migrated()
    yield url
    pg_databases.drop(name)


def sqlite_copy(template: Path, tmp_path: Path) -> str:
    """A test's own SQLite file, a copy of the migrated one; its URL."""
    path = tmp_path / "hub.db"
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def migrated_hub_db(migrated_sqlite: Path, tmp_path: Path) -> str:
    """A copy of the migrated SQLite file at `tmp_path / "hub.db"`, where the tests that run a
    whole hub point its database; its URL. The hub's own `migrate` at start then finds every
    area at its head (tests/hub/test_server.py::test_hub_starts_with_every_built_area starts a
    hub on an empty file)."""
    return sqlite_copy(migrated_sqlite, tmp_path)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database URL: a SQLite file, and a new PostgreSQL database. Empty, unless the
    test also takes `engine`: then already at the newest schema (a copy of the migrated one)."""
    if "engine" in request.fixturenames:
        yield migrated_url(request, tmp_path)
    elif request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hub.db'}"
    else:
        name, url = create_database()
        yield url
        drop_database(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def migrated_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL at the newest schema, on each of SQLite and PostgreSQL (copies of the
    migrated ones), for a test that runs a whole hub on it."""
    return migrated_url(request, tmp_path)


def migrated_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of this test's own copy of the migrated database of `request.param`'s kind."""
    if request.param == "sqlite":
        return sqlite_copy(request.getfixturevalue("migrated_sqlite"), tmp_path)
    return str(request.getfixturevalue("pg_migrated_url"))


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
