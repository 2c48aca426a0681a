"""What the UI does with bus events: update the citizen's session and wake the screen (SSE)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.i18n import t
from shared.logging import get_logger
from shared.messages import (
    CitizenAuthenticated,
    CitizenAuthenticationFailed,
    DocumentScanFailed,
    DocumentScanned,
    DossierReceived,
    DossierRejected,
    Message,
    OtpRejected,
    OtpSent,
    OtpVerified,
    PrintFailed,
    QrScanned,
    QueueTicketIssued,
    ReceiptPrinted,
)
from shared.service import Context

from .catalogue_cache import CatalogueCache
from .config import UiSettings
from .lookup import code_from_qr
from .sessions import DocState, Session, SessionStore

log = get_logger()


@dataclass
class Deps:
    sessions: SessionStore
    catalogue: CatalogueCache
    ui: UiSettings
    kiosk_id: str


def _session(msg: Message[Any], ctx: Context[Deps]) -> Session | None:
    """The session an event belongs to, if it is still on this kiosk's screen."""
    if msg.kiosk_id != ctx.deps.kiosk_id:
        return None
    return ctx.deps.sessions.by_correlation(msg.correlation_id)


async def on_citizen_authenticated(msg: Message[CitizenAuthenticated], ctx: Context[Deps]) -> None:
    """citizen.authenticated -> the session holds the identity; the login screen moves to the form."""
    if (s := _session(msg, ctx)) and s.citizen is None:
        s.citizen, s.login_error = msg.payload.citizen, ""
        s.notify("authenticated", go="/to-khai")


async def on_authentication_failed(msg: Message[CitizenAuthenticationFailed], ctx: Context[Deps]) -> None:
    """citizen.authentication_failed -> a clear message on the login screen."""
    if s := _session(msg, ctx):
        s.login_error = t(f"ui.login_error.{msg.payload.reason}")
        s.notify("auth_failed", reload=True)


async def on_qr_scanned(msg: Message[QrScanned], ctx: Context[Deps]) -> None:
    """qr.scanned (lookup) -> open the dossier named by the receipt's QR."""
    if msg.payload.purpose != "lookup" or not (s := _session(msg, ctx)):
        return
    code = code_from_qr(msg.payload.text)
    if code is None:
        s.lookup_code = ""
        s.notify("lookup_bad_qr", go="/tra-cuu?loi=qr")
    else:
        s.lookup_code = code
        s.notify("lookup_code", go=f"/tra-cuu/{code}")


async def on_document_scanned(msg: Message[DocumentScanned], ctx: Context[Deps]) -> None:
    """document.scanned -> the document's thumbnail shows on the checklist."""
    if s := _session(msg, ctx):
        doc = msg.payload.document
        s.documents[doc.document_key] = DocState("scanned", doc, msg.payload.thumbnail_ref,
                                                 blank_pages_dropped=msg.payload.blank_pages_dropped)
        s.notify("document", reload=True)


async def on_document_scan_failed(msg: Message[DocumentScanFailed], ctx: Context[Deps]) -> None:
    """document.scan_failed -> the citizen is asked to insert the document again."""
    if s := _session(msg, ctx):
        s.documents[msg.payload.document_key] = DocState("failed", error=t(f"ui.scan_error.{msg.payload.reason}"))
        s.notify("document", reload=True)


async def on_otp_sent(msg: Message[OtpSent], ctx: Context[Deps]) -> None:
    """otp.sent -> the screen says where the code went."""
    if s := _session(msg, ctx):
        s.otp_sent_to, s.otp_error = msg.payload.masked_phone, ""
        s.notify("otp_sent", msg.payload, reload=True)


async def on_otp_verified(msg: Message[OtpVerified], ctx: Context[Deps]) -> None:
    """otp.verified -> the submission may go."""
    if s := _session(msg, ctx):
        s.otp_confirmation = msg.payload.confirmation_id
        s.notify("otp_verified", msg.payload.confirmation_id)


async def on_otp_rejected(msg: Message[OtpRejected], ctx: Context[Deps]) -> None:
    """otp.rejected -> wrong, expired or locked, said plainly."""
    if s := _session(msg, ctx):
        p = msg.payload
        locked = p.locked_until.astimezone().strftime("%H:%M") if p.locked_until else ""
        s.otp_error = t(f"ui.otp_error.{p.reason}", left=p.attempts_left, until=locked)
        s.notify("otp_rejected", p, reload=True)


async def on_dossier_received(msg: Message[DossierReceived], ctx: Context[Deps]) -> None:
    """dossier.received -> the success screen with the dossier code and appointment date."""
    s = _session(msg, ctx)
    d = msg.payload.dossier
    if s and s.submission_id == d.submission_id:
        s.dossier = {"code": d.code, "due_date": d.due_date, "procedure_name": d.procedure_name,
                     "received_at": d.received_at, "fee_vnd": d.fee_vnd}
        s.notify("dossier_received", s.dossier, go="/ket-qua")


async def on_dossier_rejected(msg: Message[DossierRejected], ctx: Context[Deps]) -> None:
    """dossier.submission_rejected -> back to the review page with the reason."""
    s = _session(msg, ctx)
    if s and s.submission_id == msg.payload.submission_id:
        s.submit_error = t("ui.submit.rejected", reason=msg.payload.reason)
        s.submission_id = None
        s.notify("dossier_rejected", msg.payload.reason, go="/xem-lai")


async def on_receipt_printed(msg: Message[ReceiptPrinted], ctx: Context[Deps]) -> None:
    """receipt.printed -> "take your receipt"."""
    if s := _session(msg, ctx):
        s.receipt_printed = True
        s.notify("printed", msg.payload.job_id, reload=True)


async def on_print_failed(msg: Message[PrintFailed], ctx: Context[Deps]) -> None:
    """print.failed -> the screen says the slip could not be printed."""
    if s := _session(msg, ctx):
        s.print_error = t("ui.print_failed")
        s.notify("print_failed", reload=True)


async def on_queue_ticket_issued(msg: Message[QueueTicketIssued], ctx: Context[Deps]) -> None:
    """queue_ticket.issued -> the number shows on screen while the ticket prints."""
    if s := _session(msg, ctx):
        s.ticket = msg.payload.model_dump()
        s.notify("ticket", s.ticket, reload=True)


HANDLERS = {
    CitizenAuthenticated: on_citizen_authenticated,
    CitizenAuthenticationFailed: on_authentication_failed,
    QrScanned: on_qr_scanned,
    DocumentScanned: on_document_scanned,
    DocumentScanFailed: on_document_scan_failed,
    OtpSent: on_otp_sent,
    OtpVerified: on_otp_verified,
    OtpRejected: on_otp_rejected,
    DossierReceived: on_dossier_received,
    DossierRejected: on_dossier_rejected,
    ReceiptPrinted: on_receipt_printed,
    PrintFailed: on_print_failed,
    QueueTicketIssued: on_queue_ticket_issued,
}
