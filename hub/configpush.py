"""Config push: each device's ConfigDocument from firmware_cfg, versioned, published retained.

A device's version increases only when its kind or settings change (a hash of both); every
version is stored, and the version each device applied comes back as config_applied.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from hub.dbtypes import aware
from hub.fleet.store import with_retry
from hub.fleet.tables import ConfigVersion
from models.config import ConfigDocument, settings_dict
from models.layout import Device, Hall

logger = logging.getLogger(__name__)


class ConfigPublisher(Protocol):
    """Publishes a config document retained on the device's cfg topic."""

    def publish_configs(
        self, docs: Sequence[ConfigDocument], timeout: float | None = 10.0
    ) -> list[bool]:
        """Publish all; return, per document, whether the broker confirmed it in time."""

    def clear_configs(
        self, devices: Sequence[tuple[str, str]], timeout: float | None = 10.0
    ) -> list[bool]:
        """Remove the retained config of these (hall, device) pairs."""


@dataclass(frozen=True, slots=True)
class PushResult:
    """What the push did for one device."""

    hall: str
    device: str
    version: int
    changed: bool
    published: bool


def settings_hash(kind: str, settings: dict[str, Any]) -> str:
    """A stable hash of a device's kind and settings (key order does not matter)."""
    text = json.dumps(
        {"kind": kind, "settings": settings},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()


def latest_version(session: Session, hall: str, device: str) -> ConfigVersion | None:
    """The newest stored config version of a device."""
    return session.exec(
        select(ConfigVersion)
        .where(ConfigVersion.hall == hall, ConfigVersion.device == device)
        .order_by(col(ConfigVersion.version).desc())
    ).first()


def current_document(
    session: Session, hall: str, dev: Device, now: datetime
) -> tuple[ConfigDocument, bool]:
    """The device's config document; stores a new version when its settings changed."""
    given = settings_dict(dev.settings)
    digest = settings_hash(dev.kind, {k: v for k, v in given.items() if k != "kind"})
    last = latest_version(session, hall, dev.id)
    changed = last is None or last.settings_hash != digest
    if changed:
        last = ConfigVersion(
            hall=hall,
            device=dev.id,
            version=(last.version + 1) if last else 1,
            kind=dev.kind,
            settings_hash=digest,
            settings=given,
            issued_at=now,
        )
        session.add(last)
        logger.info("config of %s/%s is now version %d", hall, dev.id, last.version)
    assert last is not None
    issued = aware(last.issued_at) or now
    doc = ConfigDocument(
        hall=hall,
        device=dev.id,
        kind=dev.kind,
        version=last.version,
        issued_at=issued,
        settings=dict(last.settings),
    )
    return doc, changed


def version_documents(
    engine: Engine, hall: Hall, now: datetime
) -> list[tuple[ConfigDocument, bool]]:
    """Every device's current document of a hall, storing new versions where settings changed."""

    def work(session: Session) -> list[tuple[ConfigDocument, bool]]:
        return [current_document(session, hall.id, dev, now) for dev in hall.devices]

    return with_retry(engine, work)


def mark_published(engine: Engine, docs: Iterable[ConfigDocument], now: datetime) -> None:
    """Record when each version reached the broker."""
    with Session(engine) as session:
        for doc in docs:
            row = session.get(ConfigVersion, (doc.hall, doc.device, doc.version))
            if row is not None:
                row.published_at = now
                session.add(row)
        session.commit()


def removed_devices(engine: Engine, hall: Hall) -> list[str]:
    """Devices of the hall that had a config version and are no longer in its layout."""
    present = {d.id for d in hall.devices}
    with Session(engine) as session:
        rows = session.exec(
            select(ConfigVersion.device).where(ConfigVersion.hall == hall.id).distinct()
        ).all()
    return sorted(set(rows) - present)


def push_config(
    engine: Engine,
    publisher: ConfigPublisher,
    halls: Iterable[Hall],
    now: datetime,
    timeout: float | None = 10.0,
) -> list[PushResult]:
    """Publish every device's config document retained; return what happened per device."""
    results: list[PushResult] = []
    for hall in halls:
        versioned = version_documents(engine, hall, now)
        confirmed = publisher.publish_configs([doc for doc, _ in versioned], timeout=timeout)
        published_docs = []
        for (doc, changed), ok in zip(versioned, confirmed, strict=True):
            if ok:
                published_docs.append(doc)
            results.append(PushResult(hall.id, doc.device, doc.version, changed, ok))
        mark_published(engine, published_docs, now)
        gone = removed_devices(engine, hall)
        if gone:  # a device taken out of the layout keeps no retained config on the broker
            publisher.clear_configs([(hall.id, d) for d in gone], timeout=timeout)
            logger.info("cleared the retained config of %s/%s", hall.id, ", ".join(gone))
        mine = [r for r in results if r.hall == hall.id]
        logger.info(
            "config pushed for hall %s: %d devices, %d new versions, %d unconfirmed",
            hall.id,
            len(mine),
            sum(r.changed for r in mine),
            sum(not r.published for r in mine),
        )
    return results
