import pytest

from shared.strategies.targets import (
    TargetForbiddenError,
    check_literal_host,
    check_resolved_addresses,
    forbidden_literal_reason,
    is_forbidden_address,
    literal_address,
)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.0.0.1",
        "172.16.5.4",
        "172.31.255.255",
        "192.168.1.1",
        "169.254.169.254",
        "0.0.0.0",
        "224.0.0.1",
        "255.255.255.255",
        "100.64.0.1",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "fd12:3456::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "::ffff:10.0.0.1",
        "64:ff9b::a9fe:a9fe",
        "2002:7f00:0001::1",
        "fe80::1%eth0",
        "not-an-address",
    ],
)
def test_forbidden_addresses(address):
    assert is_forbidden_address(address) is True


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "8.8.8.8", "172.32.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"]
)
def test_public_addresses(address):
    assert is_forbidden_address(address) is False


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("[::1]", "::1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("example.com", None),
        ("1password.com", None),
    ],
)
def test_literal_addresses_include_legacy_ipv4_forms(host, address):
    assert literal_address(host) == address


def test_localhost_names_are_refused_before_resolution():
    assert forbidden_literal_reason("localhost")
    assert forbidden_literal_reason("api.localhost.")
    assert forbidden_literal_reason("example.com") is None


def test_a_mixed_resolution_is_refused_whole():
    with pytest.raises(TargetForbiddenError) as raised:
        check_resolved_addresses(
            "rebind.example", ["93.184.216.34", "127.0.0.1"], allow_private_targets=False
        )

    assert raised.value.code == "TARGET_FORBIDDEN"
    assert raised.value.address == "127.0.0.1"


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.1", "169.254.169.254"])
def test_allowing_private_targets_lets_everything_through(address):
    # given: the address is refused by default
    with pytest.raises(TargetForbiddenError):
        check_resolved_addresses("x", [address], allow_private_targets=False)
    # when / then: with private targets allowed, neither check refuses it
    assert check_literal_host(address, allow_private_targets=True) is None
    assert check_resolved_addresses("x", [address], allow_private_targets=True) is None
