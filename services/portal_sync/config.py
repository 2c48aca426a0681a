"""Options of portal_sync, read from KIOSK_PORTAL_SYNC_* environment variables."""
from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import CommonSettings


class PortalSyncSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KIOSK_PORTAL_SYNC_", extra="ignore")

    url: str = ""  # empty: CommonSettings.portal_url
    # A development default matching the simulator's, not a secret; production sets the real one.
    token: str = "dev-token"
    poll_s: float = Field(default=1.0, gt=0)  # how often the status change feed is read
    delivery_poll_s: float = Field(default=1.0, gt=0)  # safety net besides the wake-up on new dossiers
    timeout_s: float = Field(default=10.0, gt=0)
    document_timeout_s: float = Field(default=120.0, gt=0)  # a 20 MB scan over a slow commune link
    health_timeout_s: float = Field(default=2.0, gt=0)
    retry_base_s: float = Field(default=1.0, gt=0)
    retry_max_s: float = Field(default=60.0, gt=0)
    changes_batch: int = Field(default=100, ge=1, le=500)


def for_common(common: CommonSettings, cfg: PortalSyncSettings | None = None) -> PortalSyncSettings:
    """The service's settings with the portal URL defaulted from the common settings."""
    cfg = cfg or PortalSyncSettings()
    return cfg if cfg.url else cfg.model_copy(update={"url": common.portal_url})


def load() -> tuple[CommonSettings, PortalSyncSettings]:
    common = CommonSettings()
    return common, for_common(common)
