"""UI settings (KIOSK_UI_*)."""
from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import CommonSettings


class UiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KIOSK_UI_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8080
    # After idle_s without a touch a warning shows; warn_s later the citizen is logged out.
    idle_s: float = 90
    warn_s: float = 30
    qr_timeout_s: float = 60
    # How long a POST waits for the outcome before showing a "please wait" page that keeps listening.
    wait_s: float = 8
    query_timeout_s: float = 5


def load() -> tuple[CommonSettings, UiSettings]:
    return CommonSettings(), UiSettings()
