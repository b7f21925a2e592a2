"""HTTP(S) check: config, result and verdict. The probe itself lives in `http_probe` (imported lazily).

`expectedStatusCodes` items are either an int (`204`) or an inclusive range string (`"200-299"`);
`"2xx"` is accepted and normalised to `"200-299"`. The default is `["200-299"]`.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, StringConstraints, field_validator, model_validator

from shared.domain.secret_fields import secret_field
from shared.strategies.schema import StrategyConfig, StrategyResult, chart, latency_field
from shared.strategies.strategy import ProbeError, Strategy

MAX_REDIRECTS = 10
BODY_READ_CAP_BYTES = 1024 * 1024
REPORTED_HEADERS = ("content-type", "content-length", "server", "cache-control", "location", "etag", "age")

_STATUS_RANGE = re.compile(r"^(\d{3})-(\d{3})$")
_STATUS_CLASS = re.compile(r"^([1-5])xx$", re.IGNORECASE)
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$")


def _valid_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https"):
        raise ValueError("must be an http or https URL")
    if not parts.hostname:
        raise ValueError("must name a host")
    try:
        parts.port  # noqa: B018 - raises on an out-of-range port
    except ValueError as error:
        raise ValueError(f"has an invalid port: {error}") from None
    return value


def _normalised_status_spec(value: int | str) -> int | str:
    if isinstance(value, int):
        if not 100 <= value <= 599:
            raise ValueError("status codes are between 100 and 599")
        return value
    text = value.strip()
    if match := _STATUS_CLASS.match(text):
        return f"{match.group(1)}00-{match.group(1)}99"
    if match := _STATUS_RANGE.match(text):
        low, high = int(match.group(1)), int(match.group(2))
        if not 100 <= low <= high <= 599:
            raise ValueError("a range is 'low-high' with 100 <= low <= high <= 599")
        return f"{low}-{high}"
    raise ValueError("use a status code (204), a range ('200-299') or a class ('2xx')")


HttpUrl = Annotated[str, StringConstraints(min_length=1, max_length=2048), AfterValidator(_valid_url)]
StatusSpec = Annotated[int | str, AfterValidator(_normalised_status_spec)]


class BasicAuth(StrategyConfig):
    username: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    password: Annotated[str, StringConstraints(max_length=1024)] | None = secret_field(
        None, description="Write-only: stored encrypted, answered as ***"
    )

    @field_validator("username")
    @classmethod
    def _no_colon(cls, username: str) -> str:
        if ":" in username:
            raise ValueError("a basic-auth username cannot contain ':'")
        return username


class HttpConfig(StrategyConfig):
    method: Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] = "GET"
    url: HttpUrl
    headers: dict[str, Annotated[str, StringConstraints(max_length=8192)]] = Field(
        default_factory=dict,
        max_length=50,
        description="Write-only values (they may carry credentials): stored encrypted, answered as ***",
        json_schema_extra={"writeOnly": True, "x-secret": True},
    )
    basic_auth: BasicAuth | None = None
    body: str | None = Field(None, max_length=65536)
    expected_status_codes: list[StatusSpec] = Field(
        default_factory=lambda: ["200-299"], min_length=1, max_length=50
    )
    follow_redirects: bool = Field(True, description=f"Follow up to {MAX_REDIRECTS} redirects")
    verify_tls: bool = True

    @field_validator("headers")
    @classmethod
    def _header_safe(cls, headers: dict[str, str]) -> dict[str, str]:
        for name, value in headers.items():
            if not _HEADER_NAME.match(name):
                raise ValueError(f"header name {name!r} is not a valid token")
            if "\r" in value or "\n" in value:
                raise ValueError(f"header {name!r} must not contain line breaks")
        return headers

    @model_validator(mode="after")
    def _one_authorization(self) -> HttpConfig:
        if self.basic_auth is not None and any(name.lower() == "authorization" for name in self.headers):
            raise ValueError("give basicAuth or an Authorization header, not both")
        return self

    def target_hosts(self) -> dict[str, str]:
        return {"url": urlsplit(self.url).hostname or ""}


class HttpResult(StrategyResult):
    status_code: int = Field(
        description="Status code of the final response",
        json_schema_extra=chart("counter", "Status Code", anomaly_direction="deviation"),
    )
    latency_ms: float = latency_field(
        "Response Time", description="Request start to bounded body read, all hops"
    )
    headers: dict[str, str] = Field(default_factory=dict, description=f"Only {', '.join(REPORTED_HEADERS)}")
    content_type: str | None = Field(None, json_schema_extra=chart("text", "Content Type"))
    body_bytes: int = Field(
        ge=0,
        description=f"Body bytes read, at most {BODY_READ_CAP_BYTES}",
        json_schema_extra=chart("line", "Body Size", unit="bytes", anomaly_direction="deviation"),
    )
    body_truncated: bool = Field(False, description="The body was longer than the read cap")
    redirects: int = Field(0, ge=0, json_schema_extra=chart("counter", "Redirects"))


@lru_cache(maxsize=256)
def _status_ranges(specs: tuple[int | str, ...]) -> tuple[tuple[int, int], ...]:
    ranges = []
    for spec in specs:
        if isinstance(spec, int):
            ranges.append((spec, spec))
        else:
            low, high = spec.split("-")
            ranges.append((int(low), int(high)))
    return tuple(ranges)


def status_is_expected(status_code: int, expected: list[int | str]) -> bool:
    return any(low <= status_code <= high for low, high in _status_ranges(tuple(expected)))


def judge_http(config: HttpConfig, result: dict[str, Any]) -> ProbeError | None:
    status_code = result.get("statusCode")
    if not isinstance(status_code, int):
        return {"code": "BAD_RESPONSE", "message": "result has no status code"}
    if not status_is_expected(status_code, config.expected_status_codes):
        expected = ", ".join(str(spec) for spec in config.expected_status_codes)
        return {"code": "UNEXPECTED_STATUS", "message": f"status {status_code} is not one of {expected}"}
    return None


HTTP_STRATEGY = Strategy(
    id="http",
    display_name="HTTP(S)",
    description="Sends one HTTP request (following redirects) and checks the status code and response.",
    config_model=HttpConfig,
    result_model=HttpResult,
    judge=judge_http,
    latency_field="latencyMs",
    probe_reference="shared.strategies.http_probe:probe_http",
)
