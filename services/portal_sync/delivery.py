"""Pure rules of delivery: retry timing, where a document's file is, what a portal change means."""
from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime
from pathlib import Path, PurePosixPath

from pydantic import BaseModel, ConfigDict, Field

from shared.messages import DossierStatusChanged


class DeliveryError(Exception):
    """A delivery attempt that failed on our side (missing or altered file): retried later."""


def backoff_s(attempts: int, *, base_s: float = 1.0, max_s: float = 60.0,
              rand: Callable[[], float] = random.random) -> float:
    """Seconds to wait after the `attempts`-th failure: base doubling up to max, with jitter.

    "Equal jitter": half the nominal delay is fixed so retries stay spaced out, the other half is
    random so the dossiers that piled up while the portal was down don't all return at once.
    """
    nominal = min(max_s, base_s * 2 ** max(0, min(attempts, 32) - 1))
    return nominal / 2 + nominal / 2 * rand()


def document_path(var_dir: Path, file_ref: str) -> Path:
    """The file a document reference names, refusing anything that would leave var_dir."""
    ref = PurePosixPath(file_ref)
    if not file_ref or ref.is_absolute() or ".." in ref.parts or "\\" in file_ref or "\x00" in file_ref:
        raise DeliveryError(f"document reference is not a relative path inside the var dir: {file_ref!r}")
    return var_dir.joinpath(*ref.parts)


class PortalChange(BaseModel):
    """One entry of the portal's change feed."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    seq: int = Field(ge=1)
    dossier_code: str = Field(min_length=1, max_length=64)
    status: str = Field(min_length=1, max_length=64)
    at: datetime
    actor: str = ""
    note: str = ""


def status_event(change: PortalChange) -> DossierStatusChanged:
    """The event announcing one change of the feed; portal_seq lets consumers order and dedupe."""
    return DossierStatusChanged(dossier_code=change.dossier_code, status=change.status, at=change.at,
                                actor=change.actor, note=change.note, portal_seq=change.seq)
