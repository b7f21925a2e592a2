"""Encrypting write-only config fields: an encryptor port with a local-key implementation (Fernet,
key from `HC_SECRETS_KEY`) for the twin and tests, and a KMS one for AWS (`HC_SECRETS_KMS_KEY_ID`,
envelope encryption so values over KMS's 4 KB limit fit and a warm process decrypts without a call).

The composition root hands `default_encryptor()` to services as a collaborator
(`services/secret_config.py` seals, unseals and redacts with it); nothing else sees a key.
"""

from __future__ import annotations

import base64
import os
from functools import lru_cache
from typing import Any

from shared import aws
from shared.observability import logger
from shared.settings import get_settings


class LocalKeyEncryptor:
    """Fernet (AES-128-CBC + HMAC) with one key from settings."""

    prefix = "local:"

    def __init__(self, key: str | bytes):
        from cryptography.fernet import Fernet

        self._fernet = Fernet(key)

    def encrypt(self, plaintext: str) -> str:
        return self.prefix + self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        return self._fernet.decrypt(token.removeprefix(self.prefix).encode()).decode()


class KmsEncryptor:
    """AES-GCM under a data key that KMS generates (once per process) and decrypts (once per key)."""

    prefix = "kms:"

    def __init__(self, key_id: str, client_factory: Any = None):
        self._key_id = key_id
        self._client_factory = client_factory or (lambda: aws.client("kms"))
        self._data_key: tuple[bytes, bytes] | None = None
        self._plain_keys: dict[bytes, bytes] = {}

    def encrypt(self, plaintext: str) -> str:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        if self._data_key is None:
            answer = self._client_factory().generate_data_key(KeyId=self._key_id, KeySpec="AES_256")
            self._data_key = (answer["Plaintext"], answer["CiphertextBlob"])
            self._plain_keys[answer["CiphertextBlob"]] = answer["Plaintext"]
        key, wrapped = self._data_key
        nonce = os.urandom(12)
        sealed = nonce + AESGCM(key).encrypt(nonce, plaintext.encode(), None)
        return f"{self.prefix}{_b64(wrapped)}.{_b64(sealed)}"

    def decrypt(self, token: str) -> str:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        wrapped_text, sealed_text = token.removeprefix(self.prefix).split(".", 1)
        wrapped, sealed = base64.urlsafe_b64decode(wrapped_text), base64.urlsafe_b64decode(sealed_text)
        key = self._plain_keys.get(wrapped)
        if key is None:
            key = self._client_factory().decrypt(CiphertextBlob=wrapped, KeyId=self._key_id)["Plaintext"]
            self._plain_keys[wrapped] = key
        return AESGCM(key).decrypt(sealed[:12], sealed[12:], None).decode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()


@lru_cache(maxsize=1)
def default_encryptor() -> LocalKeyEncryptor | KmsEncryptor:
    """KMS when a key id is set, else the local key; without either, a key for this process only."""
    settings = get_settings()
    if settings.secrets_kms_key_id:
        return KmsEncryptor(settings.secrets_kms_key_id)
    if settings.secrets_key:
        return LocalKeyEncryptor(settings.secrets_key)
    from cryptography.fernet import Fernet

    logger.warning("no secrets key set: secret config fields are sealed with a key of this process only")
    return LocalKeyEncryptor(Fernet.generate_key())


def reset_encryptor() -> None:
    default_encryptor.cache_clear()
