"""The local runtime's own settings (API.md, "Local runtime settings"); the functions keep shared.settings."""

import secrets

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class LocalRuntimeSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", case_sensitive=True)

    port: int = Field(3000, alias="HC_PORT", ge=0, le=65535)
    admin_api_key: str = Field(default_factory=lambda: secrets.token_urlsafe(24), alias="HC_ADMIN_API_KEY")
    scheduler_tick_seconds: float = Field(60, alias="HC_SCHEDULER_TICK_SECONDS", gt=0)
    allow_private_targets: bool = Field(True, alias="HC_ALLOW_PRIVATE_TARGETS")
    public_status: bool = Field(False, alias="HC_PUBLIC_STATUS")
    redis_url: str = Field("", alias="REDIS_URL")
    region: str = Field("us-east-1", alias="AWS_DEFAULT_REGION")
