"""The alerting shapes of the API: channels, alert policies, incidents and their deliveries."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import ConfigDict, Field, StringConstraints, field_validator, model_validator
from pydantic.alias_generators import to_camel

from shared.domain.models import Name, Page, ResourceId, Tag, Timestamp, _Model, _Request

ChannelType = Literal["webhook", "slack", "email", "pagerduty"]
IncidentStatus = Literal["pending", "open", "acknowledged", "resolved"]
SECRET_SHOWN = "***"
SLACK_HOSTS = frozenset({"hooks.slack.com"})
PAGERDUTY_HOSTS = frozenset({"events.pagerduty.com", "events.eu.pagerduty.com"})
PAGERDUTY_DEFAULT_URL = "https://events.pagerduty.com/v2/enqueue"
Url = Annotated[str, StringConstraints(min_length=1, max_length=2000)]


def _http_url(value: str, *, https_only: bool = False, hosts: frozenset[str] | None = None) -> str:
    parts = urlsplit(value)
    schemes = ("https",) if https_only else ("http", "https")
    if parts.scheme not in schemes or not parts.hostname:
        raise ValueError(f"must be an {' or '.join(schemes)} URL with a host")
    if hosts is not None and parts.hostname.lower() not in hosts:
        raise ValueError(f"host must be one of {', '.join(sorted(hosts))}")
    return value


class WebhookConfig(_Request):
    url: Url

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _http_url(value)


class SlackConfig(_Request):
    webhook_url: Url  # carries the channel's token: write-only

    @field_validator("webhook_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return value if value == SECRET_SHOWN else _http_url(value, https_only=True, hosts=SLACK_HOSTS)


class EmailConfig(_Request):
    via: Literal["sns", "ses"]
    topic_arn: Annotated[str, StringConstraints(pattern=r"^arn:aws[a-z-]*:sns:")] | None = None
    from_address: Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+$")] | None = None
    to_addresses: list[Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+$")]] = Field(
        default_factory=list, max_length=50
    )

    @model_validator(mode="after")
    def _complete(self) -> EmailConfig:
        if self.via == "sns" and not self.topic_arn:
            raise ValueError("email via sns needs topicArn")
        if self.via == "ses" and not (self.from_address and self.to_addresses):
            raise ValueError("email via ses needs fromAddress and toAddresses")
        return self


class PagerDutyConfig(_Request):
    routing_key: Annotated[str, StringConstraints(min_length=1, max_length=100)]  # write-only
    url: Url = PAGERDUTY_DEFAULT_URL

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _http_url(value, https_only=True, hosts=PAGERDUTY_HOSTS)


CHANNEL_CONFIGS: dict[str, type[_Request]] = {
    "webhook": WebhookConfig,
    "slack": SlackConfig,
    "email": EmailConfig,
    "pagerduty": PagerDutyConfig,
}
SECRET_CONFIG_FIELDS: dict[str, tuple[str, ...]] = {"slack": ("webhookUrl",), "pagerduty": ("routingKey",)}


class ChannelCreate(_Request):
    id: ResourceId | None = None
    name: Name
    type: ChannelType
    config: dict[str, Any]

    @model_validator(mode="after")
    def _config_of_type(self) -> ChannelCreate:
        self.config = CHANNEL_CONFIGS[self.type].model_validate(self.config).to_wire()
        return self


class ChannelPatch(_Request):
    name: Name | None = None
    config: dict[str, Any] | None = None


class ChannelView(_Model):
    id: str
    name: str
    type: ChannelType
    config: dict[str, Any]
    created_at: Timestamp
    updated_at: Timestamp
    version: int


class ChannelCreated(_Model):
    channel: ChannelView
    signing_secret: str | None = None


class ChannelTestResult(_Model):
    channel_id: str
    delivered: bool
    status_code: int | None
    latency_ms: float | None
    error: str | None


class EscalationStep(_Request):
    after_seconds: int = Field(ge=60, le=7 * 86400)
    channel_ids: list[ResourceId] = Field(min_length=1, max_length=20)


class Flapping(_Request):
    transitions: int = Field(5, ge=2, le=100)
    window_seconds: int = Field(600, ge=60, le=86400)


class AlertPolicyCreate(_Request):
    id: ResourceId | None = None
    name: Name
    system_ids: list[ResourceId] = Field(default_factory=list, max_length=200)
    tags: list[Tag] = Field(default_factory=list, max_length=50)
    check_ids: list[ResourceId] = Field(default_factory=list, max_length=200)
    channel_ids: list[ResourceId] = Field(min_length=1, max_length=20)
    notify_on: list[Literal["unhealthy", "degraded"]] = Field(default=["unhealthy"], min_length=1)
    for_seconds: int = Field(0, ge=0, le=86400)
    send_on_recovery: bool = True
    remind_every_seconds: int | None = Field(None, ge=60, le=7 * 86400)
    escalations: list[EscalationStep] = Field(default_factory=list, max_length=10)
    flapping: Flapping = Field(default_factory=Flapping)


class AlertPolicyPatch(_Request):
    name: Name | None = None
    system_ids: list[ResourceId] | None = Field(None, max_length=200)
    tags: list[Tag] | None = Field(None, max_length=50)
    check_ids: list[ResourceId] | None = Field(None, max_length=200)
    channel_ids: list[ResourceId] | None = Field(None, min_length=1, max_length=20)
    notify_on: list[Literal["unhealthy", "degraded"]] | None = Field(None, min_length=1)
    for_seconds: int | None = Field(None, ge=0, le=86400)
    send_on_recovery: bool | None = None
    remind_every_seconds: int | None = Field(None, ge=60, le=7 * 86400)
    escalations: list[EscalationStep] | None = Field(None, max_length=10)
    flapping: Flapping | None = None


class AlertPolicyView(AlertPolicyCreate):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    id: str
    created_at: Timestamp
    updated_at: Timestamp
    version: int


class TimelineEntry(_Model):
    at: Timestamp
    kind: str  # opened | notified | reminded | escalated | acknowledged | resolved | suppressed | ...
    message: str
    channel_id: str | None = None
    step: str | None = None


class IncidentView(_Model):
    id: str
    system_id: str
    system_name: str
    status: IncidentStatus
    health_status: str
    opened_at: Timestamp
    acknowledged_at: Timestamp | None = None
    acknowledged_by: str | None = None
    resolved_at: Timestamp | None = None
    flapping: bool = False
    suppressed_by: list[str] = Field(default_factory=list)
    policy_ids: list[str]
    timeline: list[TimelineEntry] = Field(default_factory=list)


class DeliveryAttempt(_Model):
    attempt: int
    at: Timestamp
    status_code: int | None
    latency_ms: float | None
    error: str | None


class DeliveryView(_Model):
    incident_id: str
    step: str
    channel_id: str
    status: Literal["pending", "sent", "failed"]
    attempts: list[DeliveryAttempt]


class ChannelPage(Page[ChannelView]):
    pass


class AlertPolicyPage(Page[AlertPolicyView]):
    pass


class IncidentPage(Page[IncidentView]):
    pass


class DeliveryList(Page[DeliveryView]):
    pass
