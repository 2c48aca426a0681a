"""Printer options (KIOSK_PRINTER_*): which adapter, where the network printer is, the paper width."""
from __future__ import annotations

from typing import Literal

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.service import HEALTH_PORTS
from shared.settings import CommonSettings


class PrinterSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KIOSK_PRINTER_", extra="ignore")

    # sim: keep each job's bytes and a PNG under var/printer/ (the default: runs anywhere).
    # network: raw TCP to an ESC/POS printer (the JetDirect / "port 9100" protocol).
    adapter: Literal["sim", "network"] = "sim"
    host: str = "127.0.0.1"
    port: int = 9100
    timeout_s: float = 10.0
    paper_mm: int = 80
    health_port: int = HEALTH_PORTS["printer"]

    @field_validator("paper_mm")
    @classmethod
    def _known_paper(cls, v: int) -> int:
        # An int checked here rather than Literal[80, 58]: env values arrive as strings, which
        # pydantic does not coerce into an int Literal.
        if v not in (80, 58):
            raise ValueError("paper_mm must be 80 or 58")
        return v


def load() -> tuple[CommonSettings, PrinterSettings]:
    return CommonSettings(), PrinterSettings()
