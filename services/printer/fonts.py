"""Fonts for the receipt image: DejaVu Sans, which has every Vietnamese letter with every tone mark.

Thermal printers rarely have a Vietnamese code page (CP1258/VISCII), so receipts are drawn as a
raster image with a TrueType font instead of sent as text. A glyph the font lacks would come out
as a box (tofu): `missing_glyphs()` finds such characters so a job is refused instead of printed
wrong.
"""
from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from PIL import ImageFont

REGULAR = "DejaVuSans.ttf"
BOLD = "DejaVuSans-Bold.ttf"
# Debian/Ubuntu (fonts-dejavu-core), Fedora, Arch, Alpine, macOS with DejaVu installed by hand.
SEARCH_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu-sans-fonts",
    "/usr/share/fonts/TTF",
    "/usr/share/fonts/dejavu",
    "/usr/local/share/fonts",
    "~/Library/Fonts",
)
# A code point no font maps (the last noncharacter of Unicode): it always draws the .notdef glyph.
NOTDEF_PROBE = "\U0010ffff"


class FontNotFoundError(RuntimeError):
    """DejaVu Sans is not installed where we look: the printer cannot render Vietnamese."""


def find_font(file_name: str) -> Path:
    """The path of a DejaVu font file; KIOSK_PRINTER_FONT_DIR is searched first if set."""
    dirs = [os.environ.get("KIOSK_PRINTER_FONT_DIR", ""), *SEARCH_DIRS]
    for d in dirs:
        if d and (p := Path(d).expanduser() / file_name).is_file():
            return p
    raise FontNotFoundError(
        f"font {file_name} not found in {', '.join(d for d in dirs if d)}; install fonts-dejavu-core "
        "(apt-get install fonts-dejavu-core) or set KIOSK_PRINTER_FONT_DIR")


@cache
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(find_font(BOLD if bold else REGULAR)), size)


@cache
def _glyph_ok(size: int, bold: bool, ch: str) -> bool:
    """True if `ch` draws a real glyph: some ink, and not the .notdef box."""
    f = font(size, bold)
    mask = f.getmask(ch)
    if mask.getbbox() is None:
        return False
    notdef = f.getmask(NOTDEF_PROBE)
    return not (mask.size == notdef.size and bytes(mask) == bytes(notdef))


def missing_glyphs(text: str, size: int, bold: bool = False) -> list[str]:
    """The characters of `text` (whitespace aside) that the font cannot draw, in order, once each."""
    out: list[str] = []
    for ch in dict.fromkeys(text):
        if not ch.isspace() and not _glyph_ok(size, bold, ch):
            out.append(ch)
    return out
