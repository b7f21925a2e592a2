"""Settings come from flags, then HC_SATELLITE_* variables; the token never shows up in a repr."""

from __future__ import annotations

from pathlib import Path

import pytest

from satellite.config import (
    DEFAULT_INTERVAL_SECONDS,
    DEFAULT_SEND_DELAY_SECONDS,
    ConfigError,
    parse_settings,
    satellite_id_of,
)

ENVIRONMENT = {"HC_SATELLITE_ENDPOINT": "https://api.example.com/", "HC_SATELLITE_TOKEN": "hcs.edge-1.s3cret"}


def test_the_environment_supplies_what_the_flags_leave_out() -> None:
    # when
    settings = parse_settings(
        [], ENVIRONMENT | {"HC_SATELLITE_INTERVAL": "15", "HC_SATELLITE_SEND_DELAY": "0"}
    )

    # then
    assert settings.endpoint == "https://api.example.com"
    assert settings.token == "hcs.edge-1.s3cret"
    assert settings.interval_seconds == 15
    assert settings.send_delay_seconds == 0
    assert not settings.once
    assert not settings.allow_private_targets


def test_flags_win_over_the_environment(tmp_path: Path) -> None:
    # when
    settings = parse_settings(
        ["--endpoint", "http://127.0.0.1:3000", "--interval", "5", "--spool", str(tmp_path / "s.sqlite3"),
         "--max-spool", "10", "--once", "--allow-private-targets", "--send-delay", "2.5"],
        ENVIRONMENT | {"HC_SATELLITE_INTERVAL": "15"},
    )  # fmt: skip

    # then
    assert settings.endpoint == "http://127.0.0.1:3000"
    assert settings.interval_seconds == 5
    assert settings.send_delay_seconds == 2.5
    assert settings.spool_path == tmp_path / "s.sqlite3"
    assert (settings.max_spool, settings.once, settings.allow_private_targets) == (10, True, True)


def test_the_token_never_appears_in_the_settings_repr() -> None:
    # when
    settings = parse_settings([], ENVIRONMENT)

    # then
    assert "s3cret" not in repr(settings)
    assert settings.interval_seconds == DEFAULT_INTERVAL_SECONDS
    assert settings.send_delay_seconds == DEFAULT_SEND_DELAY_SECONDS


def test_the_token_may_come_from_a_file(tmp_path: Path) -> None:
    # given
    token_file = tmp_path / "token"
    token_file.write_text("hcs.edge-2.from-file\n")

    # when
    settings = parse_settings(
        ["--token-file", str(token_file)], {"HC_SATELLITE_ENDPOINT": "https://api.example.com"}
    )

    # then
    assert settings.token == "hcs.edge-2.from-file"
    assert settings.satellite_id == "edge-2"


@pytest.mark.parametrize(
    ("environment", "reason"),
    [
        ({"HC_SATELLITE_TOKEN": "hcs.a.b"}, "no endpoint"),
        ({"HC_SATELLITE_ENDPOINT": "https://api.example.com"}, "no token"),
        (ENVIRONMENT | {"HC_SATELLITE_ENDPOINT": "ftp://api.example.com"}, "http or https"),
        (ENVIRONMENT | {"HC_SATELLITE_INTERVAL": "0"}, "interval"),
        (ENVIRONMENT | {"HC_SATELLITE_SEND_DELAY": "-1"}, "send delay"),
        (ENVIRONMENT | {"HC_SATELLITE_SEND_DELAY": "61"}, "send delay"),
        (ENVIRONMENT | {"HC_SATELLITE_ALLOW_PRIVATE_TARGETS": "maybe"}, "true or false"),
    ],
)
def test_missing_or_invalid_settings_fail_with_a_reason(environment: dict[str, str], reason: str) -> None:
    # when / then
    with pytest.raises(ConfigError, match=reason):
        parse_settings([], environment)


def test_only_well_formed_tokens_name_a_satellite() -> None:
    # when / then
    assert satellite_id_of("hcs.edge-1.secret") == "edge-1"
    assert satellite_id_of("not-a-satellite-token") is None
