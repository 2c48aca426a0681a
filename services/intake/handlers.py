"""intake's handlers: one per message, each run in a transaction with the inbox claim and the outbox."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from services.intake import dossiers, queue
from services.intake import repository as repo
from services.intake.schedule import due_date, local_day
from shared.bus import PermanentError
from shared.i18n import catalogue as locale_catalogue
from shared.i18n import t
from shared.logging import get_logger
from shared.messages import (
    DossierDelivered,
    DossierReceived,
    DossierRejected,
    DossierStatusChanged,
    GetCatalogue,
    GetDossierStatus,
    IssueQueueTicket,
    Message,
    PrintQueueTicket,
    PrintReceipt,
    QueryReply,
    QueueTicketIssued,
    ReceiptPrinted,
    SubmitDossier,
)
from shared.service import Context

if TYPE_CHECKING:
    from services.intake.app import Deps

log = get_logger()


async def on_submit_dossier(msg: Message[SubmitDossier], ctx: Context[Deps]) -> None:
    """Consumes SubmitDossier; emits DossierReceived + PrintReceipt, or DossierRejected (citizen waits)."""
    sub, deps, conn = msg.payload, ctx.deps, ctx.conn
    assert conn is not None
    await repo.lock_request(conn, sub.submission_id)
    if await repo.dossier_code_for_submission(conn, sub.submission_id) is not None:
        log.info("dossier.duplicate_submission", submission_id=str(sub.submission_id))
        return
    proc = deps.catalogue.get(sub.procedure_code)
    form, reason = dossiers.review(proc, sub)
    if reason is not None or proc is None:
        log.info("dossier.rejected", submission_id=str(sub.submission_id), procedure=sub.procedure_code)
        await ctx.emit(DossierRejected(submission_id=sub.submission_id, reason=reason or ""))
        return
    received_at = deps.clock()
    agency = deps.settings.agency_code
    seq = await repo.next_dossier_seq(conn, agency, local_day(received_at))
    dossier = dossiers.build(
        sub, proc, form, code=dossiers.format_code(agency, local_day(received_at), seq), agency_code=agency,
        agency_name=deps.settings.agency_name, received_at=received_at,
        due=due_date(received_at, proc.processing_days, deps.calendar), kiosk_id=msg.kiosk_id)
    await repo.insert_dossier(conn, dossier, correlation_id=msg.correlation_id,
                              otp_confirmation_id=sub.otp_confirmation_id)
    await repo.add_history(conn, dossier.code, dossiers.RECEIVED, received_at, actor="kiosk")
    await ctx.emit(DossierReceived(dossier=dossier))
    await ctx.emit(PrintReceipt(job_id=f"receipt-{dossier.code}", dossier=dossier,
                                lookup_url=f"{deps.settings.ui_public_url}/tra-cuu/{dossier.code}"))
    log.info("dossier.received", dossier_code=dossier.code, procedure=proc.code)


async def on_dossier_status_changed(msg: Message[DossierStatusChanged], ctx: Context[Deps]) -> None:
    """Consumes DossierStatusChanged (from the portal); updates the status and its history; emits nothing."""
    ev, conn = msg.payload, ctx.conn
    assert conn is not None
    if ev.status not in locale_catalogue("status"):
        raise PermanentError(f"unknown dossier status {ev.status!r}")
    last_seq = await repo.status_seq_for_update(conn, ev.dossier_code)
    if last_seq is None:
        raise PermanentError(f"unknown dossier {ev.dossier_code}")
    # portal_seq 0 means "not sequenced" (a change made outside the portal): always applied.
    if ev.portal_seq and ev.portal_seq <= last_seq:
        log.info("dossier.stale_status_ignored", dossier_code=ev.dossier_code, portal_seq=ev.portal_seq)
        return
    await repo.set_status(conn, ev.dossier_code, ev.status, ev.portal_seq)
    await repo.add_history(conn, ev.dossier_code, ev.status, ev.at, actor=ev.actor, note=ev.note,
                           portal_seq=ev.portal_seq)


async def on_dossier_delivered(msg: Message[DossierDelivered], ctx: Context[Deps]) -> None:
    """Consumes DossierDelivered; records when the portal got the dossier; emits nothing."""
    ev = msg.payload
    assert ctx.conn is not None
    if not await repo.mark_delivered(ctx.conn, ev.dossier_code, ev.delivered_at, ev.portal_ref):
        raise PermanentError(f"unknown dossier {ev.dossier_code}")


async def on_receipt_printed(msg: Message[ReceiptPrinted], ctx: Context[Deps]) -> None:
    """Consumes ReceiptPrinted; records the first print of a dossier's receipt; emits nothing."""
    ev = msg.payload
    assert ctx.conn is not None
    if not ev.dossier_code:  # a queue ticket or another job without a dossier
        return
    if not await repo.mark_receipt_printed(ctx.conn, ev.dossier_code, msg.envelope.time):
        raise PermanentError(f"unknown dossier {ev.dossier_code}")


async def on_issue_queue_ticket(msg: Message[IssueQueueTicket], ctx: Context[Deps]) -> None:
    """Consumes IssueQueueTicket; emits QueueTicketIssued + PrintQueueTicket (once per request_id)."""
    cmd, deps, conn = msg.payload, ctx.deps, ctx.conn
    assert conn is not None
    prefix = deps.config.queue_prefixes.get(cmd.area)
    if prefix is None:
        raise PermanentError(f"unknown queue area {cmd.area!r}")
    await repo.lock_request(conn, cmd.request_id)
    if await repo.ticket_exists(conn, cmd.request_id):
        log.info("queue_ticket.duplicate_request", request_id=str(cmd.request_id))
        return
    issued_at = deps.clock()
    day = local_day(issued_at)
    seq = await repo.next_ticket_seq(conn, cmd.area, day)
    people_ahead = await repo.waiting_count(conn, cmd.area, day)
    number = queue.ticket_number(prefix, seq)
    await repo.insert_ticket(conn, request_id=cmd.request_id, area=cmd.area, day=day, seq=seq, number=number,
                             kiosk_id=msg.kiosk_id, issued_at=issued_at)
    area_name = t(f"intake.queue_area.{cmd.area}")
    await ctx.emit(QueueTicketIssued(request_id=cmd.request_id, number=number, area=cmd.area, area_name=area_name,
                                     people_ahead=people_ahead, issued_at=issued_at))
    await ctx.emit(PrintQueueTicket(job_id=queue.ticket_job_id(day, number), number=number, area_name=area_name,
                                    people_ahead=people_ahead, issued_at=issued_at))


async def on_get_catalogue(msg: Message[GetCatalogue], ctx: Context[Deps]) -> QueryReply:
    """Answers GetCatalogue with every procedure, in catalogue order."""
    return QueryReply(ok=True, data={"procedures": [p.model_dump(mode="json") for p in ctx.deps.catalogue.values()]})


async def on_get_dossier_status(msg: Message[GetDossierStatus], ctx: Context[Deps]) -> QueryReply:
    """Answers GetDossierStatus with the status and its history; never any personal data."""
    assert ctx.conn is not None
    code = msg.payload.dossier_code.strip().upper()
    row = await repo.dossier_status(ctx.conn, code)
    if row is None:
        return QueryReply(ok=True, data={"found": False, "code": code})
    entries = await repo.history(ctx.conn, code)
    return QueryReply(ok=True, data=status_view(row, entries))


def status_view(row: dict[str, Any], entries: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "found": True, "code": row["code"], "procedure_name": row["procedure_name"], "status": row["status"],
        "status_label": _label(row["status"]), "received_at": row["received_at"].isoformat(),
        "due_date": row["due_date"].isoformat(),
        "history": [{"status": e["status"], "label": _label(e["status"]), "at": e["at"].isoformat(),
                     "actor": e["actor"], "note": e["note"]} for e in entries],
    }


def _label(status: str) -> str:
    return locale_catalogue("status").get(status, status)


HANDLERS: dict[Any, Any] = {
    SubmitDossier: on_submit_dossier,
    DossierStatusChanged: on_dossier_status_changed,
    DossierDelivered: on_dossier_delivered,
    ReceiptPrinted: on_receipt_printed,
    IssueQueueTicket: on_issue_queue_ticket,
    GetCatalogue: on_get_catalogue,
    GetDossierStatus: on_get_dossier_status,
}
