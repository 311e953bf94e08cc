"""Machine secrets (API keys, charger passwords): high entropy, salted SHA-256 at rest.

These are checked on every request and every charger (re)connect, so the digest must be
fast; Django's deliberately slow password hashers are for people's passwords.
"""

import hashlib
import hmac
import secrets


def secret_digest(secret: str, *, salt: str | None = None) -> str:
    salt = salt if salt is not None else secrets.token_hex(8)
    digest = hashlib.sha256(f"{salt}${secret}".encode()).hexdigest()
    return f"sha256${salt}${digest}"


def secret_matches(secret: str, stored: str) -> bool:
    try:
        algorithm, salt, _ = stored.split("$", 2)
    except ValueError:
        return False
    if algorithm != "sha256":
        return False
    return hmac.compare_digest(secret_digest(secret, salt=salt), stored)
