"""JSON logs through structlog: one object per line, ISO timestamps, level names in lower case."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

import orjson
import structlog


def _dumps(event: object, **kwargs: object) -> str:
    # orjson: a quarter of the stdlib encoder's time on the one line logged per request.
    return orjson.dumps(event, default=kwargs.get("default")).decode()  # type: ignore[arg-type]


def configure_logging(level: str = "INFO", *, stream: TextIO | None = None) -> None:
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        numeric = logging.INFO
    processors: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
        structlog.processors.format_exc_info,
        structlog.processors.JSONRenderer(serializer=_dumps),
    ]
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=stream or sys.stdout),
        cache_logger_on_first_use=False,
    )
    # uvicorn's own access log would duplicate our request_completed line.
    logging.getLogger("uvicorn.access").disabled = True


def get_logger(name: str | None = None) -> structlog.typing.FilteringBoundLogger:
    logger: structlog.typing.FilteringBoundLogger = structlog.get_logger(name)
    return logger
