"""Status rules of the portal (pure): which transitions staff may make.

Status codes are shared with the kiosk (labels in shared/locale/vi/status.json).
"""
from __future__ import annotations

STATUSES = ("received", "in_processing", "supplement_requested", "result_ready", "returned", "rejected", "withdrawn")
INITIAL = "received"

TRANSITIONS: dict[str, tuple[str, ...]] = {
    "received": ("in_processing", "rejected", "withdrawn"),
    "in_processing": ("supplement_requested", "result_ready", "rejected"),
    "supplement_requested": ("in_processing", "rejected", "withdrawn"),
    "result_ready": ("returned",),
    "returned": (),
    "rejected": (),
    "withdrawn": (),
}


def next_statuses(current: str) -> tuple[str, ...]:
    """The statuses staff may move a dossier to from `current` (none from a final status)."""
    return TRANSITIONS.get(current, ())


def can_move(current: str, new: str) -> bool:
    return new in next_statuses(current)


def is_final(status: str) -> bool:
    return status in TRANSITIONS and not TRANSITIONS[status]
