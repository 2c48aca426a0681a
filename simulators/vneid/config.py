"""Options of the VNeID simulator (KIOSK_VNEID_SIM_*). Its issuer URL is KIOSK_VNEID_URL (CommonSettings)."""
from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class SimSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KIOSK_VNEID_SIM_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8070
    # The relying party the login tokens are issued for (the kiosk's client id at VNeID).
    audience: str = "kiosk"
    # The app's login QR is valid about a minute (see shared/guides/vietnam.md).
    token_ttl_s: int = 60
    acr: str = "level2"
    # Extra generated citizens beside data/citizens.json, for load tests (each kiosk of a benchmark
    # needs a citizen of its own: codes are sent per citizen).
    synthetic_citizens: int = 0
