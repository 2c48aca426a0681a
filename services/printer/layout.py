"""What goes on the paper: the receipt and appointment slip, and the queue ticket. Pure: no I/O.

Giấy tiếp nhận hồ sơ và hẹn trả kết quả (receipt and appointment slip): the contents seen in
practice (see the domain notes): receiving unit, dossier code, procedure, applicant, documents
received, time received, appointment date, fee, where to collect, a note to bring the slip and ID,
and a QR code to follow the dossier's progress. Phiếu số thứ tự = queue ticket.

Sizes are given for 80 mm paper (576 dots at 203 dpi) and scaled for 58 mm (384 dots).
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from PIL import Image

from services.printer.sheet import Run, Sheet, UnprintableError
from shared.i18n import t
from shared.messages import DossierData, PrintQueueTicket

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
PAPER_DOTS = {80: 576, 58: 384}
BASE_DOTS = 576
Px = Callable[[int], int]  # a font size for 80 mm paper -> the size for this paper

__all__ = ["PAPER_DOTS", "UnprintableError", "dots_for", "render_queue_ticket", "render_receipt"]


def dots_for(paper_mm: int) -> int:
    """Printable width in dots of a paper roll (203 dpi heads)."""
    try:
        return PAPER_DOTS[paper_mm]
    except KeyError:
        raise ValueError(f"paper width must be one of {sorted(PAPER_DOTS)} mm, not {paper_mm}") from None


def render_receipt(dossier: DossierData, lookup_url: str, *, width: int = 576, copy: bool = False) -> Image.Image:
    """The receipt and appointment slip as a 1-bit image `width` dots wide (marked if a reprint)."""
    s, px = Sheet(width), _scaler(width)
    if copy:
        s.text(t("printer.copy_banner"), px(26), bold=True, align="center")
    _header(s, px, dossier.agency_name)
    s.text(t("printer.receipt.title"), px(28), bold=True, align="center")
    s.gap(px(12))
    s.text(t("printer.receipt.dossier_code"), px(22), align="center")
    s.fitted(dossier.code, px(40), min_size=px(24))
    s.rule()
    _field(s, px, "printer.receipt.procedure", dossier.procedure_name)
    _field(s, px, "printer.receipt.applicant", dossier.applicant.full_name)
    _field(s, px, "printer.receipt.id_number", dossier.applicant.id_number)
    if dossier.applicant.address.strip():
        _field(s, px, "printer.receipt.address", dossier.applicant.address)
    _documents(s, px, dossier)
    _field(s, px, "printer.receipt.received_at", format_time(dossier.received_at))
    _field(s, px, "printer.receipt.due_date", format_date(dossier.due_date), big=True)
    _field(s, px, "printer.receipt.fee", format_fee(dossier.fee_vnd))
    _field(s, px, "printer.receipt.collect_at", t("printer.receipt.collect_place", agency=dossier.agency_name))
    s.rule()
    s.text(t("printer.receipt.note"), px(22), bold=True)
    s.gap(px(12))
    s.qr(lookup_url, target=px(280))
    s.text(t("printer.receipt.qr_caption"), px(20), align="center")
    s.gap(px(24))
    return s.finish()


def render_queue_ticket(ticket: PrintQueueTicket, *, agency_name: str, width: int = 576,
                        copy: bool = False) -> Image.Image:
    """The queue ticket (phiếu số thứ tự): the number very large, then area, people ahead, time."""
    s, px = Sheet(width), _scaler(width)
    if copy:
        s.text(t("printer.copy_banner"), px(26), bold=True, align="center")
    s.text(agency_name, px(24), bold=True, align="center")
    s.rule()
    s.text(t("printer.queue.title"), px(30), bold=True, align="center")
    s.fitted(ticket.number, px(160), min_size=px(40))
    s.runs([Run(t("printer.queue.area") + ":", px(24)), Run(ticket.area_name, px(28), bold=True)], align="center")
    s.text(t("printer.queue.people_ahead", count=ticket.people_ahead), px(24), align="center")
    s.runs([Run(t("printer.queue.issued_at") + ":", px(22)), Run(format_time(ticket.issued_at), px(22), bold=True)],
           align="center")
    s.rule()
    s.text(t("printer.queue.note"), px(22), align="center")
    s.gap(px(24))
    return s.finish()


# -- formatting (Vietnamese conventions) ----------------------------------------------------------
def format_time(at: datetime) -> str:
    """HH:MM dd/mm/yyyy in Vietnam time; a naive time is taken as UTC (the bus carries UTC)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(VN_TZ).strftime("%H:%M %d/%m/%Y")


def format_date(d: date) -> str:
    return d.strftime("%d/%m/%Y")


def format_fee(vnd: int) -> str:
    """50000 -> "50.000 đồng" (Vietnamese groups thousands with dots); 0 -> no fee."""
    if vnd <= 0:
        return t("printer.receipt.fee_free")
    return t("printer.receipt.fee_amount", amount=f"{vnd:,}".replace(",", "."))


# -- blocks ----------------------------------------------------------------------------------------
def _scaler(width: int) -> Px:
    return lambda size: max(12, round(size * width / BASE_DOTS))


def _header(s: Sheet, px: Px, agency_name: str) -> None:
    s.text(t("printer.national_name"), px(20), bold=True, align="center")
    s.text(t("printer.national_motto"), px(20), align="center")
    s.gap(px(8))
    s.text(agency_name, px(24), bold=True, align="center")
    s.rule()


def _field(s: Sheet, px: Px, key: str, value: str, *, big: bool = False) -> None:
    s.runs([Run(t(key) + ":", px(22)), Run(value, px(28 if big else 24), bold=True)])
    s.gap(px(4))


def _documents(s: Sheet, px: Px, dossier: DossierData) -> None:
    s.text(t("printer.receipt.documents") + ":", px(22))
    for i, doc in enumerate(dossier.documents, start=1):
        s.row(f"{i}. {doc.name}", t("printer.receipt.pages", pages=doc.pages), px(22))
    s.gap(px(4))
