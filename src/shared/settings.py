"""The only reader of the process environment: one pydantic settings model, read lazily once."""

from functools import lru_cache
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DUE_SHARDS = 64
"""Shards of the scheduler's indexes, planned in parallel; more can be set, never fewer."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", case_sensitive=True)

    table_name: str = Field("healthcheck", alias="TABLE_NAME")
    cache_table_name: str = Field("healthcheck-cache", alias="CACHE_TABLE_NAME")
    checks_queue_url: str = Field("", alias="CHECKS_QUEUE_URL")
    event_bus_name: str = Field("healthcheck", alias="EVENT_BUS_NAME")
    cache_backend: Literal["redis", "dynamodb", "memory", "none"] = Field("none", alias="CACHE_BACKEND")
    redis_url: str = Field("", alias="REDIS_URL")
    cache_ttl_seconds: int = Field(15, alias="CACHE_TTL_SECONDS", ge=1, le=3600)
    admin_api_key: str = Field("", alias="HC_ADMIN_API_KEY")
    admin_api_key_secret_arn: str = Field("", alias="HC_ADMIN_API_KEY_SECRET_ARN")
    public_status: bool = Field(False, alias="HC_PUBLIC_STATUS")
    allow_private_targets: bool = Field(False, alias="HC_ALLOW_PRIVATE_TARGETS")
    secrets_key: str = Field("", alias="HC_SECRETS_KEY")
    secrets_kms_key_id: str = Field("", alias="HC_SECRETS_KMS_KEY_ID")
    scheduler_queue_url: str = Field("", alias="SCHEDULER_QUEUE_URL")
    retention_queue_url: str = Field("", alias="RETENTION_QUEUE_URL")
    # Only ever raised: an assignment keeps the shard it was placed in, and a tick reads shards 0..N-1.
    due_shards: int = Field(DEFAULT_DUE_SHARDS, alias="HC_DUE_SHARDS", ge=DEFAULT_DUE_SHARDS, le=1024)
    run_events: bool = Field(False, alias="HC_RUN_EVENTS")
    notifications_queue_url: str = Field("", alias="NOTIFICATIONS_QUEUE_URL")
    notifications_queue_arn: str = Field("", alias="NOTIFICATIONS_QUEUE_ARN")
    scheduler_role_arn: str = Field("", alias="HC_SCHEDULER_ROLE_ARN")
    alert_schedule_group: str = Field("default", alias="HC_ALERT_SCHEDULE_GROUP")
    alert_delivery_attempts: int = Field(5, alias="HC_ALERT_DELIVERY_ATTEMPTS", ge=1, le=20)
    public_url: str = Field("", alias="HC_PUBLIC_URL")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget the cached settings (tests and the local runtime change the environment)."""
    get_settings.cache_clear()
