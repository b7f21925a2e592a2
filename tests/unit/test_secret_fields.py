"""Secret config fields: sealed when stored, *** when answered, kept on a PATCH that omits them."""

import os

from cryptography.fernet import Fernet

from shared.domain.secret_fields import REDACTED, redact_secrets, seal_secrets, secret_paths, unseal_secrets
from shared.secrets import KmsEncryptor, LocalKeyEncryptor
from shared.strategies.http_check import HttpConfig

LOCAL = LocalKeyEncryptor(Fernet.generate_key())


def sealed(config: dict, previous: dict | None = None, given: dict | None = None) -> dict:
    validated = HttpConfig.model_validate(config).model_dump(mode="json", by_alias=True)
    return seal_secrets(HttpConfig, given or config, validated, previous, LOCAL.encrypt)


def test_http_headers_and_basic_auth_password_are_the_secret_fields():
    assert secret_paths(HttpConfig) == [(("headers",), True), (("basicAuth", "password"), False)]


def test_sealed_config_round_trips_and_redacts():
    # given
    config = {
        "url": "https://a.test/",
        "headers": {"X-Key": "plain-header-secret"},
        "basicAuth": {"username": "u", "password": "plain-password"},
    }
    # when
    stored = sealed(config)
    # then (secrets long enough that the ciphertext cannot hold them by chance)
    assert "plain-header-secret" not in str(stored) and "plain-password" not in str(stored)
    assert redact_secrets(stored)["headers"] == {"X-Key": REDACTED}
    assert redact_secrets(stored)["basicAuth"] == {"username": "u", "password": REDACTED}
    plain = unseal_secrets(stored, LOCAL.decrypt)
    assert (plain["headers"], plain["basicAuth"]["password"]) == (
        {"X-Key": "plain-header-secret"},
        "plain-password",
    )


def test_patch_omitting_or_starring_secrets_keeps_the_stored_ones():
    # given
    stored = sealed({"url": "https://a.test/", "headers": {"X-Key": "k1", "X-Other": "o"}})
    # when
    omitted = sealed({"url": "https://b.test/"}, previous=stored)
    starred = sealed({"url": "https://b.test/", "headers": {"X-Key": "***", "X-New": "n"}}, previous=stored)
    cleared = sealed({"url": "https://b.test/", "headers": {}}, previous=stored)
    # then
    assert unseal_secrets(omitted, LOCAL.decrypt)["headers"] == {"X-Key": "k1", "X-Other": "o"}
    assert unseal_secrets(starred, LOCAL.decrypt)["headers"] == {"X-Key": "k1", "X-New": "n"}
    assert cleared["headers"] == {}


class FakeKms:
    def __init__(self):
        self.calls: list[str] = []
        self._wrapping = Fernet.generate_key()

    def generate_data_key(self, KeyId: str, KeySpec: str) -> dict:
        self.calls.append("GenerateDataKey")
        plain = os.urandom(32)
        return {"Plaintext": plain, "CiphertextBlob": Fernet(self._wrapping).encrypt(plain)}

    def decrypt(self, CiphertextBlob: bytes, KeyId: str) -> dict:
        self.calls.append("Decrypt")
        return {"Plaintext": Fernet(self._wrapping).decrypt(CiphertextBlob)}


def test_kms_envelope_seals_values_over_4_kb_with_one_data_key_per_process():
    # given
    kms = FakeKms()
    writer = KmsEncryptor("alias/healthcheck", client_factory=lambda: kms)
    reader = KmsEncryptor("alias/healthcheck", client_factory=lambda: kms)
    big = "x" * 8192
    # when
    tokens = [writer.encrypt(big), writer.encrypt("small")]
    opened = [reader.decrypt(token) for token in tokens]
    # then
    assert opened == [big, "small"]
    assert kms.calls == ["GenerateDataKey", "Decrypt"]


def test_a_secret_sealed_under_another_key_is_sent_starred_not_raised(monkeypatch):
    # given
    from shared.services.secret_config import unsealed_config

    stored = sealed({"url": "https://a.test/", "headers": {"X-Key": "k1"}})
    # when
    opened = unsealed_config(LocalKeyEncryptor(Fernet.generate_key()), stored)
    # then
    assert opened["headers"] == {"X-Key": REDACTED}
