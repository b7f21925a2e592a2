"""Secret config fields (HTTP headers, basic-auth passwords, anything a strategy marks secret) are
write-only: sealed with the encryptor collaborator before they are stored, shown as `***` in every
answer, and opened only for the probes that need them (the executor, a satellite's assignment pull)."""

from __future__ import annotations

from typing import Any

from shared.domain.secret_fields import REDACTED, redact_secrets, seal_secrets, unseal_secrets
from shared.observability import logger
from shared.services.ports import Encryptor
from shared.strategies import get_strategy


def seal_config_secrets(
    encryptor: Encryptor,
    strategy_id: str,
    given: dict[str, Any],
    validated: dict[str, Any],
    previous: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A validated config ready to store: its secret fields encrypted, omitted or `***` ones kept."""
    model = get_strategy(strategy_id).config_model
    return seal_secrets(model, given, validated, previous, encryptor.encrypt)


def unsealed_config(encryptor: Encryptor, config: dict[str, Any]) -> dict[str, Any]:
    """A stored config with its secrets decrypted: for the executor and satellite assignment pulls only.
    A value this process cannot decrypt (another key) goes out as `***`: that check fails at its
    target, visibly, instead of failing the whole batch it is in."""

    def decrypt(token: str) -> str:
        try:
            return encryptor.decrypt(token)
        except Exception:  # cryptography's InvalidToken/InvalidTag, a malformed token, KMS refusing
            logger.warning("secret config field could not be decrypted")
            return REDACTED

    return unseal_secrets(config, decrypt)


def redacted_config(config: dict[str, Any]) -> dict[str, Any]:
    """A stored config with its secrets shown as `***`."""
    return redact_secrets(config)
