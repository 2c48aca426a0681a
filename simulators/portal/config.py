"""Options of the portal simulator, read from KIOSK_PORTAL_SIM_* environment variables."""
from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import CommonSettings


class PortalSimSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KIOSK_PORTAL_SIM_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8090
    # A development default, not a secret: the real portal's credentials come from its operator.
    # An empty token turns authentication off.
    token: str = "dev-token"
    max_document_bytes: int = 20 * 1024 * 1024


def load() -> tuple[CommonSettings, PortalSimSettings]:
    return CommonSettings(), PortalSimSettings()
