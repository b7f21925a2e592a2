"""The agent's settings, from command-line flags first and `HC_SATELLITE_*` environment variables second."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_INTERVAL_SECONDS = 30.0
DEFAULT_SEND_DELAY_SECONDS = 1.0
DEFAULT_MAX_SPOOL = 100_000
DEFAULT_SPOOL_PATH = Path("~/.local/state/healthcheck-satellite/spool.sqlite3")
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Settings:
    endpoint: str
    token: str = field(repr=False)
    interval_seconds: float = DEFAULT_INTERVAL_SECONDS
    send_delay_seconds: float = DEFAULT_SEND_DELAY_SECONDS
    """How long results wait for the ones that follow them, to go in the same request."""
    spool_path: Path = DEFAULT_SPOOL_PATH
    max_spool: int = DEFAULT_MAX_SPOOL
    once: bool = False
    allow_private_targets: bool = False
    request_timeout_seconds: float = 30.0
    backoff_base_seconds: float = 1.0
    backoff_cap_seconds: float = 60.0
    once_send_attempts: int = 5
    """In `--once` mode, how many failed sends in a row before leaving the rest in the spool."""

    @property
    def satellite_id(self) -> str | None:
        return satellite_id_of(self.token)


def satellite_id_of(token: str) -> str | None:
    """The id inside a `hcs.<satelliteId>.<secret>` token; safe to log, unlike the token."""
    parts = token.split(".")
    if len(parts) == 3 and parts[0] == "hcs" and parts[1]:
        return parts[1]
    return None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m satellite",
        description="Run assigned health checks from this network and push the results to the API.",
    )
    parser.add_argument("--endpoint", help="API base URL (env HC_SATELLITE_ENDPOINT)")
    parser.add_argument(
        "--token",
        help="satellite token; prefer HC_SATELLITE_TOKEN or --token-file, which other users cannot see",
    )
    parser.add_argument(
        "--token-file", type=Path, help="file holding the token (env HC_SATELLITE_TOKEN_FILE)"
    )
    parser.add_argument(
        "--interval",
        type=float,
        help=f"assignment refresh and heartbeat interval in seconds (env HC_SATELLITE_INTERVAL, "
        f"default {DEFAULT_INTERVAL_SECONDS:g})",
    )
    parser.add_argument(
        "--send-delay",
        type=float,
        help="seconds a result waits for the next ones before they are sent together "
        f"(env HC_SATELLITE_SEND_DELAY, default {DEFAULT_SEND_DELAY_SECONDS:g})",
    )
    parser.add_argument(
        "--spool", type=Path, help=f"spool file (env HC_SATELLITE_SPOOL, default {DEFAULT_SPOOL_PATH})"
    )
    parser.add_argument(
        "--max-spool",
        type=int,
        help=f"results kept while the API is unreachable; the oldest go first (default {DEFAULT_MAX_SPOOL})",
    )
    parser.add_argument("--once", action="store_true", help="pull, run every check once, push, drain, exit")
    parser.add_argument(
        "--allow-private-targets",
        action="store_true",
        default=None,
        help="allow probing private and loopback addresses (env HC_SATELLITE_ALLOW_PRIVATE_TARGETS)",
    )
    return parser


def parse_settings(argv: Sequence[str] | None, environ: Mapping[str, str]) -> Settings:
    """Settings from flags, falling back to the environment; raises ConfigError with a reason."""
    flags = build_parser().parse_args(argv)
    endpoint = _valid_endpoint(flags.endpoint or environ.get("HC_SATELLITE_ENDPOINT", ""))
    token = _token(flags.token, flags.token_file, environ)
    interval = flags.interval if flags.interval is not None else _float(environ, "HC_SATELLITE_INTERVAL")
    send_delay = (
        flags.send_delay if flags.send_delay is not None else _float(environ, "HC_SATELLITE_SEND_DELAY")
    )
    max_spool = flags.max_spool if flags.max_spool is not None else _int(environ, "HC_SATELLITE_MAX_SPOOL")
    spool = flags.spool or Path(environ.get("HC_SATELLITE_SPOOL") or DEFAULT_SPOOL_PATH)
    allow_private = flags.allow_private_targets
    if allow_private is None:
        allow_private = _bool(environ, "HC_SATELLITE_ALLOW_PRIVATE_TARGETS")
    interval = DEFAULT_INTERVAL_SECONDS if interval is None else interval
    if not 0 < interval <= 3600:
        raise ConfigError("the interval must be more than 0 and at most 3600 seconds")
    send_delay = DEFAULT_SEND_DELAY_SECONDS if send_delay is None else send_delay
    if not 0 <= send_delay <= 60:
        raise ConfigError("the send delay must be from 0 to 60 seconds")
    max_spool = DEFAULT_MAX_SPOOL if max_spool is None else max_spool
    if max_spool < 1:
        raise ConfigError("--max-spool must be at least 1")
    return Settings(
        endpoint=endpoint,
        token=token,
        interval_seconds=interval,
        send_delay_seconds=send_delay,
        spool_path=spool.expanduser(),
        max_spool=max_spool,
        once=flags.once,
        allow_private_targets=bool(allow_private),
    )


def _valid_endpoint(value: str) -> str:
    if not value:
        raise ConfigError("no endpoint: pass --endpoint or set HC_SATELLITE_ENDPOINT")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError("the endpoint must be an http or https URL")
    return value.rstrip("/")


def _token(flag: str | None, token_file: Path | None, environ: Mapping[str, str]) -> str:
    token = flag or environ.get("HC_SATELLITE_TOKEN", "")
    file_name = token_file or environ.get("HC_SATELLITE_TOKEN_FILE")
    if not token and file_name:
        try:
            token = Path(file_name).expanduser().read_text().strip()
        except OSError as error:
            raise ConfigError(f"cannot read the token file: {error.strerror}") from None
    token = token.strip()
    if not token:
        raise ConfigError("no token: set HC_SATELLITE_TOKEN, or pass --token-file or --token")
    if any(character.isspace() for character in token):
        raise ConfigError("the token contains whitespace")
    return token


def _float(environ: Mapping[str, str], name: str) -> float | None:
    text = environ.get(name, "").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise ConfigError(f"{name} must be a number") from None


def _int(environ: Mapping[str, str], name: str) -> int | None:
    text = environ.get(name, "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise ConfigError(f"{name} must be an integer") from None


def _bool(environ: Mapping[str, str], name: str) -> bool:
    text = environ.get(name, "").strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ConfigError(f"{name} must be true or false")
