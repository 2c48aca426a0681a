"""Scanner settings (KIOSK_SCANNER_*)."""
from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import CommonSettings


class ScannerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KIOSK_SCANNER_", extra="ignore")

    # Only the simulated devices exist so far; they read files under the var dir (simulators/devices.py).
    camera: Literal["sim"] = "sim"
    feeder: Literal["sim"] = "sim"
    # How often an armed reader looks for a new frame: fast enough to feel instant, cheap when idle.
    poll_interval_s: float = Field(default=0.08, gt=0, le=2)
    feeder_poll_s: float = Field(default=0.1, gt=0, le=2)
    frames_per_poll: int = Field(default=10, ge=1)
    jpeg_quality: int = Field(default=75, ge=30, le=95)
    thumbnail_width: int = Field(default=300, ge=64, le=1200)
    # A larger PDF is refused (too_large): the portal limits attachments, and so does patience.
    max_document_bytes: int = Field(default=20_000_000, ge=100_000)


def load() -> tuple[CommonSettings, ScannerSettings]:
    return CommonSettings(), ScannerSettings()
