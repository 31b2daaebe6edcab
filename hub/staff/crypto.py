"""Face key handling on the hub: the master key (env HK_FACE_KEY or a key file), Fernet.

Templates are stored encrypted with the master key (rule PRIV-1). Each hall's gallery travels
and rests on its terminals encrypted with a hall key derived from the master key (HKDF), so a
terminal of one hall cannot read another hall's gallery. The key has no default: without it
enrollment refuses to run.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import numpy.typing as npt
from cryptography.fernet import Fernet, InvalidToken

from models.face import ENCODING_DIM, GalleryError, derive_hall_key, load_key

KEY_ENV = "HK_FACE_KEY"
KEY_FILE_ENV = "HK_FACE_KEY_FILE"


class FaceKeyError(Exception):
    """The face key is missing or wrong."""


def master_key(file: str | Path | None = None) -> bytes:
    """The face master key: $HK_FACE_KEY, else the file given or named by $HK_FACE_KEY_FILE."""
    path = file if file is not None else os.environ.get(KEY_FILE_ENV) or None
    try:
        return load_key(KEY_ENV, path)
    except GalleryError as exc:
        raise FaceKeyError(f"{exc} (or ${KEY_FILE_ENV})") from None


def new_key() -> bytes:
    """A fresh random Fernet key (for provisioning)."""
    return Fernet.generate_key()


def hall_key(master: bytes, hall: str) -> bytes:
    """The gallery key of one hall, to provision on its face terminals."""
    return derive_hall_key(master, hall)


def encrypt_template(key: bytes, encoding: npt.ArrayLike) -> bytes:
    """A 128-d encoding as a Fernet token (float32 little-endian inside)."""
    vec = np.asarray(encoding, dtype="<f4").reshape(ENCODING_DIM)
    return Fernet(key).encrypt(vec.tobytes())


def decrypt_template(key: bytes, token: bytes) -> npt.NDArray[np.float32]:
    """The encoding inside a template token; FaceKeyError if the key is wrong."""
    try:
        raw = Fernet(key).decrypt(token)
    except InvalidToken:
        raise FaceKeyError("face template does not decrypt with this key") from None
    return np.frombuffer(raw, dtype="<f4").astype(np.float32)


def encrypt_bytes(key: bytes, data: bytes) -> bytes:
    """Encrypt an enrollment photo kept by operator choice (PRIV-1)."""
    return Fernet(key).encrypt(data)
