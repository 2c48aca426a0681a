"""Message handlers of portal_sync."""
from __future__ import annotations

from typing import TYPE_CHECKING

from services.portal_sync import repository as repo
from shared.bus import PermanentError
from shared.logging import get_logger
from shared.messages import DossierReceived, Message, Payload
from shared.service import Context, Handler

if TYPE_CHECKING:  # app imports this module for SPEC
    from services.portal_sync.app import Deps

log = get_logger()


async def on_dossier_received(msg: Message[DossierReceived], ctx: Context[Deps]) -> None:
    """Consumes dossier.received; queues the dossier for the portal (dossier.delivered is emitted on delivery)."""
    assert ctx.conn is not None
    dossier = msg.payload.dossier
    if await repo.insert_delivery(ctx.conn, dossier, msg.correlation_id):
        await repo.notify_new(ctx.conn)
        log.info("delivery.queued", dossier_code=dossier.code)
        return
    if await repo.idempotency_key_of(ctx.conn, dossier.code) != str(dossier.submission_id):
        # Two different submissions claim one code, or one submission two codes: never deliver either silently.
        raise PermanentError(f"dossier {dossier.code} conflicts with a queued delivery (code or submission id reused)")
    log.info("delivery.already_queued", dossier_code=dossier.code)


HANDLERS: dict[type[Payload], Handler] = {DossierReceived: on_dossier_received}
