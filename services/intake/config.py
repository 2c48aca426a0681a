"""intake's own settings (KIOSK_INTAKE_*), beside the common ones (KIOSK_*)."""
from __future__ import annotations

from datetime import time
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import REPO_ROOT, CommonSettings


class IntakeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KIOSK_INTAKE_", extra="ignore")

    catalogue_dir: Path = REPO_ROOT / "data" / "procedures"
    # After this local time a dossier counts from the next working day.
    office_closes_at: time = time(17, 0)
    # Queue areas: area -> ticket prefix letter. Each area's display name is in locale intake.json
    # under queue_area.<area>. JSON in the environment, e.g. {"general": "A", "priority": "B"}.
    queue_prefixes: dict[str, str] = Field(default_factory=lambda: {"general": "A"})


def load() -> tuple[CommonSettings, IntakeSettings]:
    return CommonSettings(), IntakeSettings()
