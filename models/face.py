"""The face gallery format shared by hub and terminal: templates, keys, encryption, checksum.

Crypto-shredding (rule PRIV-1): every staff member has a key of their own (a Fernet key, the
*person key*); each template is a Fernet token under it (float32 little-endian inside). The hub
keeps person keys in a key store apart from its database (hub/staff/keystore.py); erasing a
person's key makes every copy of their templates unreadable: database free pages and backups,
old gallery versions, anything a terminal left behind.

A gallery version (`build_gallery`) is canonical JSON of every enrolled person's id, name and
template tokens; its checksum is `sha256:<hex>` of that plaintext; the blob is a Fernet token
(hall key) of the zlib-compressed plaintext (~0.7 KB a template, so several thousand fit in the
4 MB command limit). The person keys travel beside it, sealed under the hall key (`seal_keys`),
built by the hub at each send from its key store and never stored with the gallery: a person
whose key is gone cannot be read from any gallery version, old or new. The terminal verifies
the checksum, and keeps people and keys in its own store (edge/face/gallery.py). A hall's key
is derived from the hub's master key with HKDF.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import threading
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

ENCODING_DIM = 128
"""Length of one face template (face_recognition's 128-d encoding)."""

logger = logging.getLogger(__name__)
FORMAT = 2
"""Version of the gallery plaintext's layout (2: template tokens under person keys)."""

DLIB_LOCK = threading.Lock()
"""One lock for dlib in a process: face_recognition's detector, shape predictor and network are
module globals, not safe from two threads at once (a photo enrollment on the hub while the
demo's terminal encoded a face aborted the whole process). Every dlib call takes it."""


class GalleryError(Exception):
    """A gallery that cannot be used: wrong key, bad checksum, bad content."""


@dataclass(frozen=True, slots=True)
class SealedPerson:
    """One enrolled staff member as a gallery carries them: templates as person-key tokens."""

    staff_id: str
    name: str
    tokens: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class GalleryPerson:
    """One enrolled staff member, readable: id, display name and face templates (128-d each)."""

    staff_id: str
    name: str
    templates: tuple[tuple[float, ...], ...]


@dataclass(frozen=True, slots=True)
class SealedGallery:
    """A gallery version as verified: version, checksum and its sealed people."""

    version: int
    checksum: str
    people: tuple[SealedPerson, ...]


@dataclass(frozen=True, slots=True)
class GalleryData:
    """A readable gallery version (people whose key is missing are left out)."""

    version: int
    checksum: str
    people: tuple[GalleryPerson, ...]

    def names(self) -> dict[str, str]:
        """Staff id -> display name."""
        return {p.staff_id: p.name for p in self.people}


def new_key() -> bytes:
    """A fresh random Fernet key (a person key, or a master key for provisioning)."""
    return Fernet.generate_key()


def encrypt_template(key: bytes, encoding: npt.ArrayLike) -> bytes:
    """A 128-d encoding as a Fernet token under `key` (float32 little-endian inside)."""
    vec = np.asarray(encoding, dtype="<f4").reshape(ENCODING_DIM)
    return Fernet(key).encrypt(vec.tobytes())


def decrypt_template(key: bytes, token: bytes) -> npt.NDArray[np.float32]:
    """The encoding inside a template token; GalleryError if the key does not open it."""
    try:
        raw = Fernet(key).decrypt(token)
    except InvalidToken:
        raise GalleryError("face template does not decrypt with this key") from None
    if len(raw) != 4 * ENCODING_DIM:
        raise GalleryError(f"face template is not {ENCODING_DIM}-d")
    return np.frombuffer(raw, dtype="<f4").astype(np.float32)


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


def plaintext(version: int, people: Sequence[SealedPerson]) -> bytes:
    """The canonical gallery plaintext (what the checksum covers)."""
    doc = {
        "format": FORMAT,
        "version": version,
        "people": [
            {"staff_id": p.staff_id, "name": p.name, "templates": list(p.tokens)}
            for p in sorted(people, key=lambda p: p.staff_id)
        ],
    }
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def checksum_of(plain: bytes) -> str:
    """The gallery checksum: sha256 of the plaintext."""
    return "sha256:" + hashlib.sha256(plain).hexdigest()


def build_gallery(version: int, people: Sequence[SealedPerson], hall_key: bytes) -> tuple[str, str]:
    """Encrypt a gallery version under the hall key: returns (blob, checksum)."""
    plain = plaintext(version, people)
    return Fernet(hall_key).encrypt(zlib.compress(plain, 9)).decode("ascii"), checksum_of(plain)


def open_sealed(blob: str, checksum: str, hall_key: bytes) -> SealedGallery:
    """Decrypt and verify a gallery blob (templates stay sealed), or raise GalleryError."""
    try:
        plain = zlib.decompress(Fernet(hall_key).decrypt(blob.encode("ascii")))
    except (InvalidToken, ValueError):
        raise GalleryError("gallery does not decrypt with this hall key") from None
    except zlib.error:
        raise GalleryError("gallery content is not valid: not compressed data") from None
    if checksum_of(plain) != checksum:
        raise GalleryError("gallery checksum does not match")
    try:
        doc = json.loads(plain)
        if doc.get("format") != FORMAT:
            raise ValueError(f"format {doc.get('format')!r}, expected {FORMAT}")
        people = tuple(
            SealedPerson(str(p["staff_id"]), str(p["name"]), tuple(str(t) for t in p["templates"]))
            for p in doc["people"]
        )
        version = int(doc["version"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise GalleryError(f"gallery content is not valid: {exc}") from None
    return SealedGallery(version, checksum, people)


def seal_keys(keys: Mapping[str, bytes], hall_key: bytes) -> str:
    """Person keys (staff id -> key) sealed under the hall key, to travel with a gallery."""
    doc = json.dumps({k: v.decode("ascii") for k, v in sorted(keys.items())}).encode()
    return Fernet(hall_key).encrypt(doc).decode("ascii")


def open_keys(sealed: str, hall_key: bytes) -> dict[str, bytes]:
    """The person keys a gallery came with, or GalleryError."""
    try:
        doc = json.loads(Fernet(hall_key).decrypt(sealed.encode("ascii")))
        return {str(k): str(v).encode("ascii") for k, v in doc.items()}
    except (InvalidToken, ValueError, AttributeError):
        raise GalleryError("gallery keys do not decrypt with this hall key") from None


def readable(gallery: SealedGallery, keys: Mapping[str, bytes]) -> GalleryData:
    """Open each person's templates with their key; people without a key are left out."""
    people = []
    for p in gallery.people:
        key = keys.get(p.staff_id)
        if key is None:
            continue
        templates = tuple(
            tuple(float(x) for x in decrypt_template(key, t.encode("ascii"))) for t in p.tokens
        )
        people.append(GalleryPerson(p.staff_id, p.name, templates))
    return GalleryData(gallery.version, gallery.checksum, tuple(people))


def seal_people(people: Sequence[GalleryPerson], keys: Mapping[str, bytes]) -> list[SealedPerson]:
    """Seal readable people under their keys (tools and tests that start from encodings)."""
    return [
        SealedPerson(
            p.staff_id,
            p.name,
            tuple(encrypt_template(keys[p.staff_id], t).decode("ascii") for t in p.templates),
        )
        for p in people
    ]


def seal_templates(encodings: Sequence[npt.ArrayLike], hall_key: bytes) -> str:
    """Encodings a terminal took (enrollment, refresh) sealed under the hall key."""
    raw = b"".join(np.asarray(e, dtype="<f4").reshape(ENCODING_DIM).tobytes() for e in encodings)
    return Fernet(hall_key).encrypt(raw).decode("ascii")


def open_templates(sealed: str, hall_key: bytes) -> list[npt.NDArray[np.float32]]:
    """The encodings a terminal sealed, or GalleryError."""
    try:
        raw = Fernet(hall_key).decrypt(sealed.encode("ascii"))
    except (InvalidToken, ValueError):
        raise GalleryError("templates do not decrypt with this hall key") from None
    if not raw or len(raw) % (4 * ENCODING_DIM):
        raise GalleryError("sealed templates are not whole 128-d encodings")
    flat = np.frombuffer(raw, dtype="<f4").astype(np.float32)
    return list(flat.reshape(-1, ENCODING_DIM))
