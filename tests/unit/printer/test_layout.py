"""The receipt and queue ticket images: Vietnamese glyphs, wrapping, sizes, formats."""
from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

import pytest
from PIL import Image

from services.printer.fonts import NOTDEF_PROBE, font, missing_glyphs
from services.printer.layout import UnprintableError, format_fee, format_time, render_queue_ticket, render_receipt

from .samples import LOOKUP_URL, dossier, queue_ticket

BASES = "aăâeêioôơuưy"
TONES = ["", "\u0301", "\u0300", "\u0309", "\u0303", "\u0323"]  # sắc, huyền, hỏi, ngã, nặng


def _letters(base: str) -> list[str]:
    return [unicodedata.normalize("NFC", base + tone) for tone in TONES]


ALL_LETTERS = [ch for b in BASES + BASES.upper() for ch in _letters(b)] + ["đ", "Đ"]


@pytest.mark.parametrize("bold", [False, True])
@pytest.mark.parametrize("size", [14, 24])
def test_every_vietnamese_letter_renders_a_real_distinct_glyph(size: int, bold: bool) -> None:
    """Each of the 146 Vietnamese letters (vowel x tone, both cases, đ/Đ) draws 1-bit ink that is not the .notdef box, all different."""
    f = font(size, bold)
    notdef = bytes(f.getmask(NOTDEF_PROBE, mode="1"))
    assert len(ALL_LETTERS) == 146 and all(len(c) == 1 for c in ALL_LETTERS)  # NFC gives one code point each
    masks = {}
    for ch in ALL_LETTERS:
        mask = f.getmask(ch, mode="1")  # no anti-aliasing: dots as a thermal head prints them
        assert mask.getbbox() is not None, f"{ch!r} draws nothing"
        assert bytes(mask) != notdef, f"{ch!r} draws the .notdef box"
        masks[ch] = (mask.size, bytes(mask))
    assert len(set(masks.values())) == len(ALL_LETTERS), "two letters render identically"
    assert missing_glyphs("".join(ALL_LETTERS), size, bold) == []


def test_missing_glyph_detector_finds_characters_the_font_lacks() -> None:
    """Chinese and Korean letters (not in DejaVu Sans) are reported; Vietnamese and spaces are not."""
    assert missing_glyphs("Nguyễn 中 Văn 한", 24) == ["中", "한"]


def test_receipt_is_one_bit_at_the_paper_width() -> None:
    """A receipt is a 1-bit image exactly 576 dots wide on 80 mm paper and 384 on 58 mm."""
    for width in (576, 384):
        img = render_receipt(dossier(), LOOKUP_URL, width=width)
        assert img.mode == "1" and img.width == width and 800 < img.height < 4000


def test_text_the_font_cannot_draw_makes_the_receipt_unprintable() -> None:
    """A name in a script the font lacks raises UnprintableError naming the code point, instead of printing boxes."""
    with pytest.raises(UnprintableError, match="U\\+4E2D"):
        render_receipt(dossier(full_name="Nguyễn 中"), LOOKUP_URL)


def test_a_non_ascii_lookup_url_is_unprintable() -> None:
    """The QR carries ASCII only: a URL with Vietnamese letters is refused."""
    with pytest.raises(UnprintableError, match="ASCII"):
        render_receipt(dossier(), "http://kiosk/tra-cứu")


def test_a_word_longer_than_the_line_is_split_inside_the_margins() -> None:
    """An unbroken 200-letter name wraps onto several lines and no ink crosses the side margins."""
    long_name = "Ẩ" * 200
    img = render_receipt(dossier(full_name=long_name), LOOKUP_URL)
    short = render_receipt(dossier(full_name="Ẩ"), LOOKUP_URL)
    assert img.height > short.height + 100
    ink = Image.eval(img.convert("L"), lambda v: 255 - v)  # white -> 0, so getbbox() frames the ink
    left, _, right, _ = ink.getbbox()
    assert left >= 8 - 1 and right <= img.width - 8 + 1


def test_queue_ticket_renders_at_both_paper_widths() -> None:
    """The queue ticket is a 1-bit image at the paper width, its number the tallest line."""
    for width in (576, 384):
        img = render_queue_ticket(queue_ticket(), agency_name="UBND xã Bình Phú", width=width)
        assert img.mode == "1" and img.width == width


def test_times_are_shown_in_vietnam_time_and_fees_with_dot_groups() -> None:
    """17:30 UTC is 00:30 the next day in Vietnam (UTC+7); 1250000 VND reads 1.250.000 đồng; 0 means no fee."""
    assert format_time(datetime(2026, 1, 4, 17, 30, tzinfo=UTC)) == "00:30 05/01/2026"
    assert format_time(datetime(2026, 1, 4, 17, 30)) == "00:30 05/01/2026"
    assert format_fee(1_250_000) == "1.250.000 đồng"
    assert format_fee(0) == "Không thu phí"
