"""IBANs at rest (issue 9 item 7): encrypted with Fernet (AES-128-CBC + HMAC-SHA256) under the keys of
``settings.IBAN_ENCRYPTION_KEYS`` (the first encrypts, every one decrypts: keys rotate without a
migration). With none set (the demo and the suite, DEBUG only), a key derived from SECRET_KEY.

Only the masked form ever leaves this module for display: ``mask("FR7630006000011234567890189")``
gives ``"FR76 •••• •••• •••• •••• •••0 189"``-like text that keeps the country and the last four."""

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


@cache
def _fernet(keys: tuple[str, ...], secret: str) -> MultiFernet:
    if keys:
        return MultiFernet([Fernet(k.encode()) for k in keys])
    derived = base64.urlsafe_b64encode(hashlib.sha256(("iban:" + secret).encode()).digest())
    return MultiFernet([Fernet(derived)])


def _box() -> MultiFernet:
    return _fernet(tuple(settings.IBAN_ENCRYPTION_KEYS), settings.SECRET_KEY)


def compact(iban: str) -> str:
    return "".join(iban.split()).upper()


def encrypt(iban: str) -> str:
    return _box().encrypt(compact(iban).encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _box().decrypt(token.encode()).decode()
    except InvalidToken as exc:  # a key was removed before its data was re-encrypted
        raise ValueError("IBAN cannot be decrypted with the configured keys") from exc


def mask(country: str, last4: str) -> str:
    """What everybody but the debtor and finance sees: the country and the last four characters."""
    if not last4:
        return ""
    return f"{country}•• •••• •••• •••• •••• {last4}"


def encrypt_bytes(data: bytes) -> str:
    """A file that holds IBANs (a pain.008), under the same keys as every IBAN."""
    return _box().encrypt(data).decode()


def decrypt_bytes(token: str) -> bytes:
    try:
        return _box().decrypt(token.encode())
    except InvalidToken as exc:
        raise ValueError("file cannot be decrypted with the configured keys") from exc
