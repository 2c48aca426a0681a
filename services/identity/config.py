"""The identity service's own options (KIOSK_IDENTITY_*). Endpoints of the provider are configuration, not code."""
from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import CommonSettings


class IdentitySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KIOSK_IDENTITY_", extra="ignore")

    # The provider (VNeID, or its simulator): where its keys are published and who signs the tokens.
    # Empty = derived from KIOSK_VNEID_URL (see load()).
    jwks_url: str = ""
    issuer: str = ""
    vneid_url: str = ""
    # Our client id at the provider: a token issued for anyone else is refused.
    audience: str = "kiosk"
    # A level-2 VNeID account counts as showing the paper ID card; level 1 does not.
    accepted_acr: list[str] = Field(default_factory=lambda: ["level2"])
    leeway_s: int = Field(default=5, ge=0, le=120)  # clock skew between the provider and us
    jwks_max_age_s: float = 300.0
    # A token with an unknown kid refetches the keys (the provider rotated them), but not more often than
    # this: otherwise every hostile QR would cost a request to the provider.
    jwks_refetch_min_interval_s: float = 10.0
    http_timeout_s: float = 5.0
    otp_ttl_s: int = Field(default=300, ge=30)
    otp_max_attempts: int = Field(default=5, ge=1)
    otp_lockout_s: int = Field(default=900, ge=1)
    otp_send_attempts: int = Field(default=2, ge=1, le=5)
    housekeeping_interval_s: float = 60.0


def load() -> tuple[CommonSettings, IdentitySettings]:
    common = CommonSettings()
    return common, for_common(common, IdentitySettings())


def for_common(common: CommonSettings, cfg: IdentitySettings) -> IdentitySettings:
    """Fill the provider endpoints left empty from the common VNeID URL."""
    base = (cfg.vneid_url or common.vneid_url).rstrip("/")
    return cfg.model_copy(update={"vneid_url": base, "issuer": cfg.issuer or base,
                                  "jwks_url": cfg.jwks_url or f"{base}/.well-known/jwks.json"})
