"""Webhook secrets at rest: Fernet (AES + HMAC) under a key derived from CSMS_WEBHOOK_ENCRYPTION_KEY.

A webhook secret signs every delivery, so the CSMS must read it back: unlike API keys it
cannot be stored as a digest. Encrypting keeps it out of database dumps and backups.
"""

import base64
import hashlib
import secrets

from cryptography.fernet import Fernet
from django.conf import settings


def _fernet() -> Fernet:
    key = hashlib.sha256(b"csms-webhook-secret:" + settings.CSMS_WEBHOOK_ENCRYPTION_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def secret_encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def secret_decrypt(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()


def secret_generate() -> str:
    """A new signing secret, for webhooks added in the console (shown to the operator once)."""
    return "whsec_" + secrets.token_urlsafe(32)
