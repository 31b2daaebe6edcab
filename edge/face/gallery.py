"""The terminal's local face gallery: Fernet-encrypted at rest, versioned, checksummed.

The hub builds a gallery version (`build_gallery`): the plaintext is canonical JSON of every
enrolled person's templates; its checksum is `sha256:<hex>` of that plaintext; the blob is a
Fernet token (hall key) of the zlib-compressed plaintext (~0.6 KB a template, so several
thousand fit in the 4 MB command limit). The terminal keeps the token as received (it is never
written in clear, rule PRIV-1), checks the checksum after decrypting, and replaces its file
atomically. Erasing one staff member rewrites the file without them.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import tempfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from edge.face.matcher import DEFAULT_MARGIN, DEFAULT_THRESHOLD, ENCODING_DIM, Matcher

logger = logging.getLogger(__name__)
FORMAT = 1


class GalleryError(Exception):
    """A gallery that cannot be used: wrong key, bad checksum, bad content."""


@dataclass(frozen=True, slots=True)
class GalleryPerson:
    """One enrolled staff member: id, display name and face templates (128-d each)."""

    staff_id: str
    name: str
    templates: tuple[tuple[float, ...], ...]


@dataclass(frozen=True, slots=True)
class GalleryData:
    """A decrypted gallery version."""

    version: int
    checksum: str
    people: tuple[GalleryPerson, ...]

    def matcher(
        self, threshold: float = DEFAULT_THRESHOLD, margin: float = DEFAULT_MARGIN
    ) -> Matcher:
        """A matcher over this gallery's templates."""
        return Matcher(
            {p.staff_id: p.templates for p in self.people}, threshold=threshold, margin=margin
        )

    def names(self) -> dict[str, str]:
        """Staff id -> display name."""
        return {p.staff_id: p.name for p in self.people}


def derive_hall_key(master_key: bytes, hall: str) -> bytes:
    """The hall's gallery key (a Fernet key) derived from the hub's master key with HKDF."""
    raw = base64.urlsafe_b64decode(master_key)
    okm = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=None,
        info=b"hallkeeper face gallery " + hall.encode(),
    ).derive(raw)
    return base64.urlsafe_b64encode(okm)


def load_key(env: str = "HK_FACE_KEY", file: str | Path | None = None) -> bytes:
    """A Fernet key from the environment variable `env`, else from `file`; a clear error if none."""
    value = os.environ.get(env, "").strip()
    if not value and file is not None:
        try:
            value = Path(file).read_text(encoding="ascii").strip()
        except OSError as exc:
            raise GalleryError(f"cannot read face key file {file}: {exc.strerror}") from None
    if not value:
        where = f"${env}" + (f" or {file}" if file else "")
        raise GalleryError(f"no face key: set {where} (a Fernet key, 44 base64 characters)")
    try:
        Fernet(value.encode())
    except ValueError:
        raise GalleryError(
            "face key is not a valid Fernet key (32 url-safe base64 bytes)"
        ) from None
    return value.encode()


def _plaintext(version: int, people: Sequence[GalleryPerson]) -> bytes:
    doc = {
        "format": FORMAT,
        "version": version,
        "people": [
            {
                "staff_id": p.staff_id,
                "name": p.name,
                "templates": [[round(x, 6) for x in t] for t in p.templates],
            }
            for p in sorted(people, key=lambda p: p.staff_id)
        ],
    }
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def checksum_of(plaintext: bytes) -> str:
    """The gallery checksum: sha256 of the plaintext."""
    return "sha256:" + hashlib.sha256(plaintext).hexdigest()


def build_gallery(version: int, people: Sequence[GalleryPerson], key: bytes) -> tuple[str, str]:
    """Encrypt a gallery version: returns (blob, checksum)."""
    plain = _plaintext(version, people)
    return Fernet(key).encrypt(zlib.compress(plain, 9)).decode("ascii"), checksum_of(plain)


def open_gallery(blob: str, checksum: str, key: bytes) -> GalleryData:
    """Decrypt and verify a gallery blob, or raise GalleryError saying why."""
    try:
        plain = zlib.decompress(Fernet(key).decrypt(blob.encode("ascii")))
    except (InvalidToken, ValueError):
        raise GalleryError("gallery does not decrypt with this hall key") from None
    except zlib.error:
        raise GalleryError("gallery content is not valid: not compressed data") from None
    if checksum_of(plain) != checksum:
        raise GalleryError("gallery checksum does not match")
    try:
        doc = json.loads(plain)
        people = tuple(
            GalleryPerson(
                str(p["staff_id"]),
                str(p["name"]),
                tuple(tuple(float(x) for x in t) for t in p["templates"]),
            )
            for p in doc["people"]
        )
        version = int(doc["version"])
    except (ValueError, KeyError, TypeError) as exc:
        raise GalleryError(f"gallery content is not valid: {exc}") from None
    for p in people:
        if any(len(t) != ENCODING_DIM for t in p.templates):
            raise GalleryError(f"gallery template of {p.staff_id} is not {ENCODING_DIM}-d")
    return GalleryData(version, checksum, people)


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
