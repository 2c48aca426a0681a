"""A strip of thermal paper built top to bottom: wrapped text, label/value runs, two-column rows, rules, QR.

Each call renders one horizontal strip (greyscale, white paper); `finish()` stacks them and
thresholds to a 1-bit image whose width is exactly the printer's dot width. Pure: no I/O.
"""
from __future__ import annotations

import functools
import math
import unicodedata
from dataclasses import dataclass, field
from typing import Literal

import qrcode
from PIL import Image, ImageDraw, ImageFont

from services.printer.fonts import font, missing_glyphs

Align = Literal["left", "center", "right"]
WHITE, BLACK = 255, 0
# Tallest Vietnamese capitals: a circumflex plus a tone mark stack above the font's ascent.
TALL_PROBE = "ẪỖỮẤỂ"
MAX_HEIGHT_DOTS = 16_000  # 2 m of paper: beyond this the payload is not a receipt any more


class UnprintableError(ValueError):
    """The payload cannot be laid out on paper (a glyph the font lacks, a QR too long, ...)."""


@dataclass(frozen=True)
class Run:
    """A piece of text in one font; consecutive runs wrap together as one paragraph."""

    text: str
    size: int
    bold: bool = False


@dataclass
class Sheet:
    width: int
    margin: int = 8
    strips: list[Image.Image] = field(default_factory=list)

    @property
    def inner(self) -> int:
        return self.width - 2 * self.margin

    # -- building blocks ------------------------------------------------------------------------
    def gap(self, dots: int) -> None:
        self.strips.append(Image.new("L", (self.width, dots), WHITE))

    def rule(self, thickness: int = 2, pad: int = 8) -> None:
        strip = Image.new("L", (self.width, thickness + 2 * pad), WHITE)
        ImageDraw.Draw(strip).rectangle((self.margin, pad, self.width - self.margin - 1, pad + thickness - 1), fill=BLACK)
        self.strips.append(strip)

    def text(self, text: str, size: int, *, bold: bool = False, align: Align = "left") -> None:
        self.runs([Run(text, size, bold)], align=align)

    def fitted(self, text: str, size: int, *, min_size: int, bold: bool = True, align: Align = "center") -> None:
        """Text on one line at the largest size <= `size` that fits (wrapped at `min_size` if none does)."""
        text = _clean(text, size, bold)
        while size > min_size and font(size, bold).getlength(text) > self.inner:
            size -= 1
        self.text(text, size, bold=bold, align=align)

    def runs(self, runs: list[Run], *, align: Align = "left", indent: int = 0) -> None:
        """One paragraph of runs, word-wrapped to the paper width (a word wider than a line is split)."""
        words = [(w, r) for r in runs for w in _words(r)]
        for line in _wrap(words, self.inner - indent):
            self._draw_line(line, align, indent)

    def row(self, left: str, right: str, size: int, *, bold_right: bool = False) -> None:
        """A table row: `left` wraps in its column, `right` sits right-aligned on the first line."""
        rfont, right = font(size, bold_right), _clean(right, size, bold_right)
        right_w = math.ceil(rfont.getlength(right)) + size
        lines = _wrap([(w, Run(left, size)) for w in _words(Run(left, size))], self.inner - right_w)
        for i, line in enumerate(lines):
            strip = self._draw_line(line, "left", 0)
            if i == 0:
                draw = ImageDraw.Draw(strip)
                draw.text((self.width - self.margin, _baseline(size)), right, font=rfont, fill=BLACK, anchor="rs")

    def qr(self, data: str, *, target: int) -> None:
        """A QR code centred, modules whole dots, about `target` dots wide (quiet zone included)."""
        if not data.isascii() or not data.isprintable() or not 0 < len(data) <= 512:
            raise UnprintableError("QR data must be 1-512 printable ASCII characters")
        code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
        code.add_data(data)
        code.make(fit=True)
        modules = code.modules_count + 2 * code.border
        code.box_size = max(3, min(10, target // modules))
        if modules * code.box_size > self.width:
            raise UnprintableError("QR data too long for the paper width")
        img = code.make_image(fill_color="black", back_color="white").get_image().convert("L")
        strip = Image.new("L", (self.width, img.height), WHITE)
        strip.paste(img, ((self.width - img.width) // 2, 0))
        self.strips.append(strip)

    # -- output ---------------------------------------------------------------------------------
    def finish(self) -> Image.Image:
        """Stack the strips and threshold to 1 bit (no dithering: text must stay crisp)."""
        height = sum(s.height for s in self.strips)
        if height > MAX_HEIGHT_DOTS:
            raise UnprintableError(f"layout is {height} dots tall, more than {MAX_HEIGHT_DOTS}")
        out = Image.new("L", (self.width, max(height, 1)), WHITE)
        y = 0
        for s in self.strips:
            out.paste(s, (0, y))
            y += s.height
        return out.point(lambda v: 255 if v >= 128 else 0).convert("1", dither=Image.Dither.NONE)

    def _draw_line(self, line: list[tuple[str, Run]], align: Align, indent: int) -> Image.Image:
        size = max(r.size for _, r in line) if line else 16
        strip = Image.new("L", (self.width, _line_height(size)), WHITE)
        draw = ImageDraw.Draw(strip)
        x = self.margin + indent + _offset(_line_width(line), self.inner - indent, align)
        for i, (word, run) in enumerate(line):
            f = font(run.size, run.bold)
            if i:
                x += f.getlength(" ")
            draw.text((x, _baseline(size)), word, font=f, fill=BLACK, anchor="ls")
            x += f.getlength(word)
        self.strips.append(strip)
        return strip


def _clean(text: str, size: int, bold: bool) -> str:
    """NFC, whitespace collapsed; refuse characters the font would draw as a box."""
    text = " ".join(unicodedata.normalize("NFC", text).split())
    if missing := missing_glyphs(text, size, bold):
        names = ", ".join(f"U+{ord(c):04X}" for c in missing[:5])
        raise UnprintableError(f"the receipt font has no glyph for {names}")
    return text


def _words(run: Run) -> list[str]:
    return _clean(run.text, run.size, run.bold).split(" ") if run.text.strip() else []


def _wrap(words: list[tuple[str, Run]], width: int) -> list[list[tuple[str, Run]]]:
    """Greedy word wrap; a word wider than the line is cut into pieces that fit."""
    lines: list[list[tuple[str, Run]]] = [[]]
    used = 0.0
    for word, run in words:
        for piece in _split_long(word, run, width):
            w = _width(piece, run.size, run.bold)
            extra = w + (_width(" ", run.size, run.bold) if lines[-1] else 0.0)
            if lines[-1] and used + extra > width:
                lines.append([(piece, run)])
                used = w
            else:
                lines[-1].append((piece, run))
                used += extra
    return [line for line in lines if line]


def _split_long(word: str, run: Run, width: int) -> list[str]:
    if _width(word, run.size, run.bold) <= width:  # the usual case: the word fits
        return [word]
    pieces, current = [], ""
    for ch in word:
        if current and _width(current + ch, run.size, run.bold) > width:
            pieces.append(current)
            current = ""
        current += ch
    return [*pieces, current]


@functools.lru_cache(maxsize=8192)
def _width(text: str, size: int, bold: bool) -> float:
    """Advance width of a text in dots; cached: receipts repeat the same labels and words."""
    return font(size, bold).getlength(text)


def _line_width(line: list[tuple[str, Run]]) -> float:
    total = sum(_width(w, r.size, r.bold) for w, r in line)
    return total + sum(_width(" ", r.size, r.bold) for _, r in line[1:])


def _offset(used: float, available: int, align: Align) -> float:
    return {"left": 0.0, "center": (available - used) / 2, "right": available - used}[align]


def _above(size: int) -> int:
    """Dots above the baseline that any Vietnamese letter may reach (stacked marks included)."""
    f: ImageFont.FreeTypeFont = font(size, True)
    return max(f.getmetrics()[0], -f.getbbox(TALL_PROBE, anchor="ls")[1]) + 1


def _baseline(size: int) -> int:
    return _above(size) + size // 8


def _line_height(size: int) -> int:
    return _baseline(size) + font(size, True).getmetrics()[1] + size // 8
