"""Face key handling on the hub: the master key (env HK_FACE_KEY or a key file), hall keys.

The master key wraps the person keys in the key store (hub/staff/keystore.py); each person's
templates are tokens under their own key (rule PRIV-1, crypto-shredding: models/face.py). Each
hall's gallery travels and rests on its terminals under a hall key derived from the master key
(HKDF), so a terminal of one hall cannot read another hall's gallery. The key has no default:
without it enrollment refuses to run.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet

from models.face import GalleryError, derive_hall_key, load_key, new_key

KEY_ENV = "HK_FACE_KEY"
KEY_FILE_ENV = "HK_FACE_KEY_FILE"

__all__ = ["FaceKeyError", "encrypt_bytes", "hall_key", "master_key", "new_key"]


class FaceKeyError(Exception):
    """The face key is missing or wrong."""


def master_key(file: str | Path | None = None) -> bytes:
    """The face master key: $HK_FACE_KEY, else the file given or named by $HK_FACE_KEY_FILE."""
    path = file if file is not None else os.environ.get(KEY_FILE_ENV) or None
    try:
        return load_key(KEY_ENV, path)
    except GalleryError as exc:
        raise FaceKeyError(f"{exc} (or ${KEY_FILE_ENV})") from None


def hall_key(master: bytes, hall: str) -> bytes:
    """The gallery key of one hall, to provision on its face terminals."""
    return derive_hall_key(master, hall)


def encrypt_bytes(key: bytes, data: bytes) -> bytes:
    """Encrypt an enrollment photo kept by operator choice (PRIV-1), under the person key."""
    return Fernet(key).encrypt(data)
