"""The face gallery format shared by hub and terminal: templates, encryption, checksum, keys.

The hub builds a gallery version (`build_gallery`): the plaintext is canonical JSON of every
enrolled person's templates; its checksum is `sha256:<hex>` of that plaintext; the blob is a
Fernet token (hall key) of the zlib-compressed plaintext (~0.6 KB a template, so several
thousand fit in the 4 MB command limit). The terminal keeps the token as received (it is never
written in clear, rule PRIV-1) and checks the checksum after decrypting (edge/face/gallery.py).
Keys are Fernet keys; a hall's key is derived from the hub's master key with HKDF.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

ENCODING_DIM = 128
"""Length of one face template (face_recognition's 128-d encoding)."""

logger = logging.getLogger(__name__)
FORMAT = 1
"""Version of the gallery plaintext's layout."""


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
