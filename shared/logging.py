"""structlog set-up: JSON off a terminal, pretty on one, personal data masked everywhere.

Personal data must never reach a log (Decree 13/2023, Law 91/2025/QH15): ID numbers and names
are masked by a processor that runs on every event, whatever the caller passed.
"""
from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

# 12-digit personal ID numbers (CCCD) and 9-digit old ID numbers (CMND), phone numbers.
_ID_RE = re.compile(r"(?<!\d)(\d{3})\d{3,6}(\d{3})(?!\d)")
SENSITIVE_KEYS = {
    "full_name", "name", "id_number", "citizen_id", "address", "phone", "date_of_birth",
    "dob", "code", "otp", "token", "text", "applicant", "form", "identity",
}


def mask_id(value: str) -> str:
    """001092012345 -> 001******345: enough to correlate, not enough to identify."""
    return _ID_RE.sub(lambda m: m.group(1) + "*" * (len(m.group(0)) - 6) + m.group(2), value)


def mask_name(value: str) -> str:
    """Nguyễn Văn An -> N. V. A."""
    return " ".join(p[0] + "." for p in value.split() if p)


def _mask_value(key: str, value: Any) -> Any:
    if key in {"full_name", "name"} and isinstance(value, str):
        return mask_name(value)
    if key in SENSITIVE_KEYS:
        if isinstance(value, str):
            return f"<{len(value)} chars>" if key in {"otp", "code", "token", "text"} else mask_id(value)
        if isinstance(value, (dict, list)):
            return "<redacted>"
    if isinstance(value, str):
        return mask_id(value)
    return value


def mask_processor(_logger: Any, _name: str, event_dict: MutableMapping[str, Any]) -> dict[str, Any]:
    """Mask personal data in every field of every log event."""
    return {k: (_mask_value(k, v) if k != "event" else mask_id(str(v))) for k, v in event_dict.items()}


def configure(service: str, level: str = "INFO", fmt: str = "auto") -> structlog.stdlib.BoundLogger:
    """Configure structlog for one process and return its logger."""
    pretty = fmt == "console" or (fmt == "auto" and sys.stderr.isatty())
    renderer: Any = structlog.dev.ConsoleRenderer() if pretty else structlog.processors.JSONRenderer(ensure_ascii=False)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            mask_processor,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    structlog.contextvars.bind_contextvars(service=service)
    return structlog.get_logger()


def get_logger(**kw: Any) -> Any:
    return structlog.get_logger(**kw)
