"""The hall's contact key on the hub: opens the phone numbers citizens leave (PRIV-1).

The private key (X25519, models/contact.py) comes from $HK_CONTACT_KEY or the file named by
$HK_CONTACT_KEY_FILE; it has no default. Its public key goes to the devices that take numbers
(the rating devices' `contact_key` setting, or $HK_CONTACT_PUBLIC_KEY on their Pi); the kiosk
and complaint pages seal what citizens type on the hub with it. Numbers stay sealed at rest; an
operator opens one only to make the call (audited), and it is erased once the call is done.
"""

from __future__ import annotations

import os
from pathlib import Path

from models.contact import (
    PUBLIC_KEY_ENV,
    ContactError,
    normalise_phone,
    public_of,
    seal,
    seal_text,
    unseal,
)

KEY_ENV = "HK_CONTACT_KEY"
KEY_FILE_ENV = "HK_CONTACT_KEY_FILE"
__all__ = ["KEY_ENV", "KEY_FILE_ENV", "PUBLIC_KEY_ENV", "ContactKeyError", "private_key"]


class ContactKeyError(Exception):
    """The hub has no usable contact key: set HK_CONTACT_KEY (hallkeeper contact-key new)."""


def private_key() -> str:
    """The hub's contact private key, or ContactKeyError saying how to set it."""
    text = os.environ.get(KEY_ENV, "").strip()
    if not text and os.environ.get(KEY_FILE_ENV):
        try:
            text = Path(os.environ[KEY_FILE_ENV]).read_text().strip()
        except OSError as exc:
            raise ContactKeyError(f"cannot read ${KEY_FILE_ENV}: {exc}") from None
    if not text:
        raise ContactKeyError(
            f"no contact key: set ${KEY_ENV} (or ${KEY_FILE_ENV}); "
            "make one with `hallkeeper complaints contact-key`"
        )
    try:
        public_of(text)
    except (ContactError, ValueError):
        raise ContactKeyError(f"${KEY_ENV} is not a contact private key") from None
    return text


def public_key() -> str:
    """The public half, for the devices' config."""
    return public_of(private_key())


def seal_on_hub(phone: str) -> str:
    """Seal a number a citizen typed on a hub page (ContactError if it is no phone number)."""
    return seal(public_key(), phone)


def seal_text_on_hub(text: str) -> str:
    """Seal a short text a citizen typed (a name) on a hub page."""
    return seal_text(public_key(), text)


def reveal(token: str) -> str:
    """Open a sealed number to make the call (ContactKeyError, ContactError)."""
    return unseal(private_key(), token)


def reveal_phone(token: str) -> str:
    """Open a sealed phone number a device sent (ContactKeyError, ContactError): what opens
    must be a phone number too, so a forged or garbled token never reaches the caller as one."""
    return normalise_phone(reveal(token))


def opens_as_phone(token: str) -> bool | None:
    """Whether a sealed token a device sent opens as a phone number (None: the hub holds no
    key to tell; it is checked again when an operator opens it)."""
    try:
        reveal_phone(token)
    except ContactKeyError:
        return None
    except ContactError:
        return False
    return True
