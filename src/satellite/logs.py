"""Structured logs: one JSON object per line on stderr, a constant lowercase message plus fields."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

logger = logging.getLogger("satellite")


class JsonLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "message": record.getMessage(),
        }
        line.update(
            (name, value) for name, value in getattr(record, "fields", {}).items() if value is not None
        )
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure_logging(stream: TextIO | None = None, level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonLineFormatter())
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False


def log_event(level: int, message: str, **fields: Any) -> None:
    logger.log(level, message, extra={"fields": fields})


def info(message: str, **fields: Any) -> None:
    log_event(logging.INFO, message, **fields)


def warning(message: str, **fields: Any) -> None:
    log_event(logging.WARNING, message, **fields)


def error(message: str, **fields: Any) -> None:
    log_event(logging.ERROR, message, **fields)
