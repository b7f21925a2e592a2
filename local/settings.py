"""The local runtime's own settings (docs/local-runtime.md, "Settings"); functions keep shared.settings."""

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / ".local" / "state"
# Items the DynamoDB emulation keeps in memory (local/dynamodb_cold_items.py): the soak's working set
# (check items, hourly aggregates, views) is ~1,000.
DEFAULT_HOT_ITEMS = 2_000


class LocalRuntimeSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", case_sensitive=True)

    port: int = Field(3000, alias="HC_PORT", ge=0, le=65535)
    # Empty: the key kept in the data directory, or a new one kept there.
    admin_api_key: str = Field("", alias="HC_ADMIN_API_KEY")
    scheduler_tick_seconds: float = Field(60, alias="HC_SCHEDULER_TICK_SECONDS", gt=0)
    allow_private_targets: bool = Field(True, alias="HC_ALLOW_PRIVATE_TARGETS")
    public_status: bool = Field(False, alias="HC_PUBLIC_STATUS")
    # auto: a Redis (REDIS_URL, else a redis-server started for this run) when there is one, else the
    # template's DynamoDB cache table in the emulation.
    cache_backend: Literal["auto", "redis", "dynamodb"] = Field("auto", alias="HC_CACHE_BACKEND")
    redis_url: str = Field("", alias="REDIS_URL")
    # Empty: the Fernet key kept in the data directory (or one for this start), shared by every sandbox
    # so what the mutations seal the executor can open.
    secrets_key: str = Field("", alias="HC_SECRETS_KEY")
    region: str = Field("us-east-1", alias="AWS_DEFAULT_REGION")
    # None keeps nothing: the state lives and dies with the process.
    data_dir: Path | None = Field(DEFAULT_DATA_DIR, alias="HC_DATA_DIR")
    fresh: bool = Field(False, alias="HC_FRESH")
    save_interval_seconds: float = Field(30, alias="HC_SAVE_INTERVAL_SECONDS", gt=0)
    # Execution environments kept per function, as Lambda scales a function out: two requests to a
    # route's function that meet get two.
    function_concurrency: int = Field(2, alias="HC_FUNCTION_CONCURRENCY", ge=1, le=16)
    # Pollers per queue subscription (at most function_concurrency invoke at once); poller n polls
    # while poller n - 1 is 90 % busy. With one, the soak's executor fell ~7 % behind once in two runs.
    queue_pollers: int = Field(2, alias="HC_QUEUE_POLLERS", ge=1, le=16)
    # True: a tick fans out one shard invocation per shard through SchedulerQueue, as in AWS.
    scheduler_fan_out: bool = Field(False, alias="HC_SCHEDULER_FAN_OUT")
    # A sandbox unused this long is ended (Lambda reclaims idle environments too); 0 keeps them all.
    sandbox_idle_seconds: float = Field(120, alias="HC_SANDBOX_IDLE_SECONDS", ge=0)
    # Items of the tables with a sort key kept in the DynamoDB emulation's memory; the rest wait on
    # disk until a call touches them. 0 keeps every item in memory.
    hot_items: int = Field(DEFAULT_HOT_ITEMS, alias="HC_HOT_ITEMS", ge=0)
