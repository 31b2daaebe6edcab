"""One generated production broker for the whole tests/deploy package (generating is slow)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from tests.deploy.securebroker import REPO, SecureBroker, new_tmp_root

DEMO_HALL = REPO / "firmware_cfg" / "halls" / "demo"


@pytest.fixture(scope="package")
def sb() -> Iterator[SecureBroker]:
    """The demo hall's broker from deploy/ (certs, users, ACL generated): hub users hub, hub-2,
    Home Assistant's user homeassistant; mutual TLS on 8883, as shipped."""
    root = new_tmp_root()
    broker = SecureBroker(root, DEMO_HALL, ha_user="homeassistant").generate().start()
    yield broker
    broker.stop()
    shutil.rmtree(root, ignore_errors=True)
