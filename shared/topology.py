"""The bus topology: every exchange, queue and binding, in one place.

    <ns>.events    topic   routing key = <type>.<kiosk_id>     (dossier.received.kiosk-01)
    <ns>.commands  topic   routing key = <type>.<kiosk_id>     (printer.print_receipt.kiosk-01)
    <ns>.queries   topic   routing key = <type>.<kiosk_id>     (intake.get_catalogue.kiosk-01)
    <ns>.dlx       direct  routing key = <unit>                (printer.kiosk-01)

A "unit" is one service's set of queues: ``intake`` for a central service, ``printer.kiosk-01`` for
a service that runs on one kiosk box (device services and the UI). Each unit has:

    <ns>.<unit>.commands   quorum, delivery limit, dead-letters to <ns>.<unit>.dlq
    <ns>.<unit>.events     quorum, bound to the event types the service handles: from every kiosk for
                           a central service (<type>.*), from its own kiosk only on a kiosk box
                           (<type>.<kiosk_id>), so no kiosk ever receives another kiosk's citizens
    <ns>.<unit>.queries    classic with a TTL: a query has a caller waiting, and no value once it left
    <ns>.<unit>.dlq        quorum, what failed for good, with the reason in headers

One queue per service and kind rather than one per handler (nameko's way): each quorum queue is a
Raft group, and a kiosk box runs a dozen of them already.

Every process declares the whole topology at start (declaring is idempotent), so a command is
routable to its owner's queue even while the owner has never run.
"""
from __future__ import annotations

from dataclasses import dataclass, field

CENTRAL = ("identity", "intake", "portal_sync")
ON_KIOSK = ("scanner", "printer", "ui")
SERVICES = ("scanner", "printer", "identity", "intake", "portal_sync", "ui")

# The event types each service consumes (topic patterns).
EVENT_BINDINGS: dict[str, tuple[str, ...]] = {
    "scanner": ("dossier.delivered",),
    "printer": (),
    "identity": ("qr.scanned",),
    "intake": ("dossier.status_changed", "dossier.delivered", "receipt.printed"),
    "portal_sync": ("dossier.received",),
    "ui": ("qr.scanned", "citizen.*", "document.*", "otp.*", "dossier.received",
           "dossier.submission_rejected", "receipt.printed", "queue_ticket.issued", "print.failed"),
}


@dataclass(frozen=True)
class Unit:
    """The queues of one service (on one kiosk, for device services)."""

    ns: str
    service: str
    kiosk_id: str
    events: tuple[str, ...] = field(default=())

    @property
    def name(self) -> str:
        return self.service if self.service in CENTRAL else f"{self.service}.{self.kiosk_id}"

    @property
    def event_patterns(self) -> tuple[str, ...]:
        suffix = "*" if self.service in CENTRAL else self.kiosk_id
        return tuple(f"{pattern}.{suffix}" for pattern in self.events)

    def queue(self, kind: str) -> str:
        return f"{self.ns}.{self.name}.{kind}"

    @property
    def command_pattern(self) -> str:
        return f"{self.service}.#" if self.service in CENTRAL else f"{self.service}.*.{self.kiosk_id}"


def unit_for(ns: str, service: str, kiosk_id: str) -> Unit:
    return Unit(ns, service, kiosk_id, EVENT_BINDINGS[service])


def all_units(ns: str, kiosk_id: str) -> list[Unit]:
    return [unit_for(ns, s, kiosk_id) for s in SERVICES]


def exchange(ns: str, kind: str) -> str:
    return {"event": f"{ns}.events", "command": f"{ns}.commands", "query": f"{ns}.queries",
            "dlx": f"{ns}.dlx"}[kind]


def routing_key(kind: str, msg_type: str, kiosk_id: str) -> str:
    """Every message is addressed by type and kiosk: events too, so kiosk boxes bind to their own."""
    return f"{msg_type}.{kiosk_id}"
