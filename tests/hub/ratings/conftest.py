"""The ratings tests' rig (tests.hub.ratings.test_ratings_projector.Rig) as a fixture."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from tests.hub.ratings.test_ratings_projector import Rig


@pytest.fixture
def rig(engine: Engine) -> Rig:
    """The demo hall's queue and ratings on a fresh SQLite and PostgreSQL database."""
    return Rig(engine)
