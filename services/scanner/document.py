"""From the pages in the feeder to one document: a PDF copy and a thumbnail (no I/O here).

A document (giay to) is what the citizen inserts at once: one or more sheets. Blank sheets (the back
of a one-sided page, a separator) are dropped and counted; if nothing usable is left, the citizen is
asked to insert it again.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Literal

import cv2
import img2pdf
import numpy as np
from PIL import Image

from services.scanner.page import Page, UnreadableImage, decode_image, process_page

Reason = Literal["feeder_empty", "unreadable", "too_many_pages", "too_large", "device_error"]
PDF_DPI = 150  # page.PAGE_WIDTH_PX is A4 at 150 dpi: the PDF then prints at true size


class ScanRefused(Exception):
    """The pages cannot make a document; `reason` is one of DocumentScanFailed's reasons."""

    def __init__(self, reason: Reason, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason: Reason = reason
        self.detail = detail


@dataclass(frozen=True)
class ScannedDocument:
    pdf: bytes
    thumbnail: bytes
    pages: int
    blank_pages_dropped: int


def build_document(page_files: list[bytes], *, max_pages: int, max_bytes: int, jpeg_quality: int = 75,
                   thumbnail_width: int = 300) -> ScannedDocument:
    """Clean every page, drop blank ones, and bind the rest into a PDF; ScanRefused if impossible."""
    if not page_files:
        raise ScanRefused("feeder_empty", "the batch has no pages")
    if len(page_files) > max_pages:
        raise ScanRefused("too_many_pages", f"{len(page_files)} pages, at most {max_pages}")
    pages = [_clean(data, n) for n, data in enumerate(page_files, start=1)]
    usable = [p.image for p in pages if p is not None and not p.blank]
    if not usable:
        raise ScanRefused("unreadable", "no page with a readable document")
    pdf = to_pdf(usable, jpeg_quality)
    if len(pdf) > max_bytes:
        raise ScanRefused("too_large", f"{len(pdf)} bytes, at most {max_bytes}")
    return ScannedDocument(pdf, thumbnail(usable[0], thumbnail_width), len(usable), len(pages) - len(usable))


def _clean(data: bytes, number: int) -> Page | None:
    try:
        image = decode_image(data)
    except UnreadableImage as exc:
        raise ScanRefused("unreadable", f"page {number}: {exc}") from exc
    return process_page(image)


def to_pdf(pages: list[np.ndarray], jpeg_quality: int = 75) -> bytes:
    """Grey pages -> one PDF, each page a JPEG at PDF_DPI (so A4 pages come out A4)."""
    return img2pdf.convert([_jpeg(p, jpeg_quality, dpi=PDF_DPI) for p in pages])


def thumbnail(page: np.ndarray, width: int = 300) -> bytes:
    height = max(1, round(page.shape[0] * width / page.shape[1]))
    small = cv2.resize(page, (width, height), interpolation=cv2.INTER_AREA)
    return _jpeg(small, 80)


def _jpeg(grey: np.ndarray, quality: int, dpi: int | None = None) -> bytes:
    buf = io.BytesIO()
    extra = {"dpi": (dpi, dpi)} if dpi else {}
    Image.fromarray(grey).save(buf, "JPEG", quality=quality, optimize=True, **extra)
    return buf.getvalue()
