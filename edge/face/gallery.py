"""The terminal's local face gallery file (format and keys: models/face.py).

The terminal keeps the hub's token as received (it is never written in clear, rule PRIV-1),
checks the checksum after decrypting, and replaces its file atomically. Erasing one staff
member rewrites the file without them.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path

from edge.face.matcher import DEFAULT_MARGIN, DEFAULT_THRESHOLD, Matcher
from models.face import GalleryData, GalleryError, build_gallery, open_gallery

logger = logging.getLogger(__name__)


def gallery_matcher(
    data: GalleryData, threshold: float = DEFAULT_THRESHOLD, margin: float = DEFAULT_MARGIN
) -> Matcher:
    """A matcher over a gallery's templates."""
    return Matcher(
        {p.staff_id: p.templates for p in data.people}, threshold=threshold, margin=margin
    )


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class LocalGallery:
    """The gallery file of one terminal (encrypted with the hall key)."""

    def __init__(self, path: str | Path, key: bytes) -> None:
        self.path = Path(path)
        self._key = key

    def load(self) -> GalleryData | None:
        """The stored gallery, or None when there is none yet."""
        try:
            stored = json.loads(self.path.read_bytes())
        except FileNotFoundError:
            return None
        except ValueError as exc:
            raise GalleryError(f"{self.path}: not a gallery file: {exc}") from None
        return open_gallery(stored["blob"], stored["checksum"], self._key)

    def replace(self, version: int, checksum: str, blob: str) -> GalleryData:
        """Verify a new version and swap it in atomically; the old one stays on any error."""
        data = open_gallery(blob, checksum, self._key)
        if data.version != version:
            raise GalleryError(f"gallery says version {data.version}, command says {version}")
        self._write(blob, checksum)
        logger.info("face gallery version %d held (%d people)", version, len(data.people))
        return data

    def erase(self, staff_id: str) -> GalleryData | None:
        """Remove one staff member's templates (rule PRIV-1); returns the gallery now held."""
        data = self.load()
        if data is None:
            return None
        people = [p for p in data.people if p.staff_id != staff_id]
        blob, checksum = build_gallery(data.version, people, self._key)
        self._write(blob, checksum)
        logger.info("face template of %s erased", staff_id)
        return GalleryData(data.version, checksum, tuple(people))

    def _write(self, blob: str, checksum: str) -> None:
        _atomic_write(self.path, json.dumps({"checksum": checksum, "blob": blob}).encode())
