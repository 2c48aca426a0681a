"""Settings common to every service, read from KIOSK_* environment variables.

Defaults work on a development machine where RabbitMQ and PostgreSQL run locally.
"""
from __future__ import annotations

import re
from pathlib import Path

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
KIOSK_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,30}$")


class CommonSettings(BaseSettings):
    """What every process needs: where the broker and database are, which kiosk this is."""

    model_config = SettingsConfigDict(env_prefix="KIOSK_", extra="ignore")

    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    pg_dsn: str = "postgresql://postgres@127.0.0.1:5432/kiosk"
    # Prefix of every exchange and queue name: lets tests (or two stacks) share one broker.
    namespace: str = "kiosk"
    kiosk_id: str = "kiosk-01"
    agency_code: str = "000.00.19.H47"
    agency_name: str = "UBND xã Bình Phú"
    var_dir: Path = REPO_ROOT / "var"
    data_dir: Path = REPO_ROOT / "data"
    log_format: str = "auto"  # auto | json | console
    log_level: str = "INFO"
    publish_timeout_s: float = 10.0
    prefetch: int = 16
    delivery_limit: int = 10
    vneid_url: str = "http://127.0.0.1:8070"
    portal_url: str = "http://127.0.0.1:8090"
    ui_public_url: str = "http://127.0.0.1:8080"

    @field_validator("kiosk_id")
    @classmethod
    def _kiosk_id_shape(cls, v: str) -> str:
        # The kiosk id is part of routing keys and queue names: keep it to one plain word.
        if not KIOSK_ID_RE.match(v):
            raise ValueError("kiosk_id must match [a-z0-9][a-z0-9-]{0,30}")
        return v

    @property
    def scans_dir(self) -> Path:
        return self.var_dir / "scans"

    @property
    def printer_dir(self) -> Path:
        return self.var_dir / "printer"
