"""A citizen's phone number for a call back, sealed for the hub alone (PRIV-1).

A citizen may leave a phone number (on the rating device after a dissatisfied rating, on the
kiosk page when a matter cannot be handled now) so that the hall can call back (RATE-3,
DEV-4, DUTY-6). The number is sealed where it is typed, with the hall's contact public key
(X25519, in the device's config), so the edge's outbox, the broker and the hub's stored facts
only ever hold the sealed token; only the hub's private key (HK_CONTACT_KEY) opens it, when an
operator makes the call. Once the call is done the token is erased everywhere it was kept.

Token: `c1.<ephemeral public key>.<nonce + ChaCha20-Poly1305 ciphertext>` (URL-safe base64);
the key is HKDF-SHA256 of the X25519 shared secret with both public keys as context.
"""

from __future__ import annotations

import base64
import os
import re

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PUBLIC_KEY_ENV = "HK_CONTACT_PUBLIC_KEY"
"""Where an edge agent finds the hall's contact public key when a device's config names none."""
PREFIX = "c1"
MAX_TOKEN = 200
"""Longest sealed token (64 bytes seal to 172 characters; a phone number to about 100)."""
PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
"""A mainland mobile number (11 digits from 13..19) or a landline with its area code."""


class ContactError(ValueError):
    """A phone number or a sealed token that cannot be used, with the reason."""


def normalise_phone(text: str) -> str:
    """The phone number without spaces; ContactError when it is not a phone number."""
    phone = re.sub(r"[\s()]", "", text or "")
    if phone.startswith("+86"):
        phone = phone[3:]
    if not PHONE_RE.match(phone):
        raise ContactError("请填写11位手机号码，或带区号的固定电话")
    return phone


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError):
        raise ContactError("not base64") from None


def _raw_public(key: X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def new_keypair() -> tuple[str, str]:
    """A fresh (private, public) key pair, URL-safe base64, for a hall's contact key."""
    private = X25519PrivateKey.generate()
    raw = private.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    return _b64(raw), _b64(_raw_public(private.public_key()))


def _private(private_b64: str) -> X25519PrivateKey:
    raw = _unb64(private_b64.strip())
    if len(raw) != 32:
        raise ContactError("a contact private key is 32 bytes of URL-safe base64")
    return X25519PrivateKey.from_private_bytes(raw)


def _public(public_b64: str) -> X25519PublicKey:
    raw = _unb64(public_b64.strip())
    if len(raw) != 32:
        raise ContactError("a contact public key is 32 bytes of URL-safe base64")
    return X25519PublicKey.from_public_bytes(raw)


def public_of(private_b64: str) -> str:
    """The public key (for the devices' config) of a private contact key."""
    return _b64(_raw_public(_private(private_b64).public_key()))


def _key(shared: bytes, eph: bytes, recipient: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=None,
        info=b"hallkeeper contact v1" + eph + recipient,
    ).derive(shared)


def seal(public_b64: str, phone: str) -> str:
    """Seal a phone number (normalised first) for the holder of the private key."""
    return seal_text(public_b64, normalise_phone(phone))


def seal_text(public_b64: str, text: str) -> str:
    """Seal a short text (a name, a number: at most 64 bytes of UTF-8) for the key's holder."""
    if len(text.encode()) > 64:
        raise ContactError("at most 64 bytes are sealed")
    recipient = _public(public_b64)
    eph = X25519PrivateKey.generate()
    eph_raw, rec_raw = _raw_public(eph.public_key()), _raw_public(recipient)
    key = _key(eph.exchange(recipient), eph_raw, rec_raw)
    nonce = os.urandom(12)
    box = ChaCha20Poly1305(key).encrypt(nonce, text.encode(), None)
    return f"{PREFIX}.{_b64(eph_raw)}.{_b64(nonce + box)}"


def unseal(private_b64: str, token: str) -> str:
    """The phone number in a sealed token; ContactError for a wrong key or a damaged token."""
    parts = (token or "").split(".")
    if len(parts) != 3 or parts[0] != PREFIX or len(token) > MAX_TOKEN:
        raise ContactError("not a sealed contact token")
    private = _private(private_b64)
    eph_raw, blob = _unb64(parts[1]), _unb64(parts[2])
    if len(eph_raw) != 32 or len(blob) < 12 + 16:
        raise ContactError("not a sealed contact token")
    rec_raw = _raw_public(private.public_key())
    key = _key(private.exchange(X25519PublicKey.from_public_bytes(eph_raw)), eph_raw, rec_raw)
    try:
        return ChaCha20Poly1305(key).decrypt(blob[:12], blob[12:], None).decode()
    except InvalidTag:
        raise ContactError("the token was not sealed for this key, or it was altered") from None
