"""ESC/POS job bytes -> the image the printer would print. Pure: no I/O.

It understands exactly the commands encode_job() emits and refuses anything else, so the PNG kept
beside a job is rendered from the bytes sent, not from the image we meant to send:

    ESC @                 initialise                       1B 40
    GS v 0 m xL xH yL yH  raster bit image, then data      1D 76 30 m xL xH yL yH d1..dk
    ESC d n               print and feed n lines (blank)   1B 64 n
    GS V m [n]            cut (m = 0, 1, 48, 49; or 65, 66 with n)

Raster data: (xL + 256 xH) bytes per row, (yL + 256 yH) rows, most significant bit leftmost,
1 = a printed (black) dot. m: bit 0 doubles the width, bit 1 the height (python-escpos's
low-density modes). Feeds and cuts add blank paper, which the image leaves out.
"""
from __future__ import annotations

from PIL import Image

ESC, GS = 0x1B, 0x1D


class RasterDecodeError(ValueError):
    """The bytes are not a job this decoder understands."""


def render_raster(job: bytes) -> Image.Image:
    """The 1-bit image printed by `job` (raster blocks stacked top to bottom, left-aligned)."""
    blocks, i = [], 0
    while i < len(job):
        i, block = _step(job, i)
        if block is not None:
            blocks.append(block)
    if not blocks:
        raise RasterDecodeError("the job prints no raster image")
    return _stack(blocks)


def _step(job: bytes, i: int) -> tuple[int, Image.Image | None]:
    """Decode the command at offset i: (offset of the next command, the image it prints or None)."""
    head = job[i:i + 3]
    if head[:2] == b"\x1b@":
        return i + 2, None
    if head[:2] == b"\x1bd" and len(head) == 3:
        return i + 3, None
    if head[:2] == b"\x1dV" and len(head) == 3:
        return _cut(job, i)
    if head == b"\x1dv0":
        return _raster(job, i)
    raise RasterDecodeError(f"unknown ESC/POS bytes at offset {i}: {job[i:i + 8].hex(' ')}")


def _cut(job: bytes, i: int) -> tuple[int, None]:
    m = job[i + 2]
    if m in (0, 1, 48, 49):
        return i + 3, None
    if m in (65, 66) and i + 3 < len(job):
        return i + 4, None
    raise RasterDecodeError(f"unsupported cut mode {m} at offset {i}")


def _raster(job: bytes, i: int) -> tuple[int, Image.Image]:
    if i + 8 > len(job):
        raise RasterDecodeError(f"truncated GS v 0 header at offset {i}")
    m, xl, xh, yl, yh = job[i + 3:i + 8]
    if m > 3:
        raise RasterDecodeError(f"GS v 0 mode {m} at offset {i} is not 0-3")
    width_bytes, rows = xl + 256 * xh, yl + 256 * yh
    start, end = i + 8, i + 8 + width_bytes * rows
    if width_bytes == 0 or rows == 0 or end > len(job):
        raise RasterDecodeError(f"GS v 0 block at offset {i} is empty or truncated")
    # Raw mode "1;I": packed bits, MSB first, 1 = black (PIL's "1" has 1 = white).
    img = Image.frombytes("1", (width_bytes * 8, rows), job[start:end], "raw", "1;I")
    if m:
        img = img.resize((img.width * (1 + (m & 1)), img.height * (1 + (m >> 1 & 1))), Image.Resampling.NEAREST)
    return end, img


def _stack(blocks: list[Image.Image]) -> Image.Image:
    out = Image.new("1", (max(b.width for b in blocks), sum(b.height for b in blocks)), 1)
    y = 0
    for b in blocks:
        out.paste(b, (0, y))
        y += b.height
    return out
