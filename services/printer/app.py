"""The printer service, wired: settings -> adapter, journal, paper width.

Topology: consumes <ns>.printer.<kiosk_id>.commands (printer.print_receipt,
printer.print_queue_ticket, routed to this kiosk only); emits receipt.printed and print.failed.
No database: de-duplication is the job journal under <var_dir>/printer/journal/.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from services.printer.adapters import Printer, make_printer
from services.printer.config import PrinterSettings
from services.printer.fonts import BOLD, REGULAR, find_font
from services.printer.handlers import HANDLERS
from services.printer.journal import Journal
from services.printer.layout import dots_for
from shared.service import HEALTH_PORTS, Runtime, ServiceSpec
from shared.settings import CommonSettings


@dataclass
class Deps:
    common: CommonSettings
    cfg: PrinterSettings
    printer: Printer
    journal: Journal
    paper_dots: int
    # One job at a time, as the paper comes out. It also makes "journal says not done -> print ->
    # mark done" atomic between two deliveries of the same job handled concurrently (prefetch > 1).
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


async def build_deps(rt: Runtime[Any], cfg: PrinterSettings | None = None) -> Deps:
    """Adapter, journal and paper width from settings; the printer's reachability as a health check."""
    cfg = cfg or PrinterSettings()
    for name in (REGULAR, BOLD):  # fail at start, with a clear message, not at the first job
        find_font(name)
    printer = make_printer(cfg, rt.settings.printer_dir)
    rt.health_checks["printer"] = printer.status
    return Deps(rt.settings, cfg, printer, Journal(rt.settings.printer_dir / "journal"), dots_for(cfg.paper_mm))


SPEC = ServiceSpec("printer", dict(HANDLERS), health_port=HEALTH_PORTS["printer"])
