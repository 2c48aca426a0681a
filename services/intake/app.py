"""intake: the procedure catalogue, dossiers (ho so) with their codes and status, queue tickets.

Consumes  intake.submit_dossier, intake.issue_queue_ticket (commands);
          intake.get_catalogue, intake.get_dossier_status (queries);
          dossier.status_changed, dossier.delivered, receipt.printed (events).
Emits     dossier.received, dossier.submission_rejected, queue_ticket.issued (events);
          printer.print_receipt, printer.print_queue_ticket (commands, to the asking kiosk).
State     PostgreSQL schema "intake"; emits go through the outbox in the handler's transaction.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from services.intake.config import IntakeSettings
from services.intake.handlers import HANDLERS
from services.intake.schedule import WorkCalendar
from shared.catalogue import Procedure, load_catalogue
from shared.i18n import t
from shared.messages import utcnow
from shared.service import HEALTH_PORTS, Runtime, ServiceSpec
from shared.settings import CommonSettings

SPEC = ServiceSpec(
    name="intake",
    handlers=HANDLERS,
    schema="intake",
    migrations=Path(__file__).with_name("migrations"),
    health_port=HEALTH_PORTS["intake"],
)


@dataclass
class Deps:
    settings: CommonSettings
    config: IntakeSettings
    catalogue: dict[str, Procedure]
    calendar: WorkCalendar
    clock: Callable[[], datetime] = field(default=utcnow)


def make_deps(settings: CommonSettings, config: IntakeSettings) -> Deps:
    """Load and check everything intake needs before it takes a message (fail fast on bad data)."""
    catalogue = load_catalogue(config.catalogue_dir)
    for area in config.queue_prefixes:
        t(f"intake.queue_area.{area}")  # KeyError now rather than on a citizen's request
    # Public holidays plug in here (a WorkCalendar built from a holiday data file).
    calendar = WorkCalendar(closes_at=config.office_closes_at)
    return Deps(settings, config, catalogue, calendar)


async def build_deps(rt: Runtime[Any]) -> Deps:
    deps = make_deps(rt.settings, IntakeSettings())

    async def catalogue_size() -> int:
        return len(deps.catalogue)

    rt.health_checks["catalogue"] = catalogue_size
    return deps
