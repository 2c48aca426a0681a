"""An image -> the ESC/POS bytes of one print job, built with python-escpos's Dummy printer.

The job is: ESC @ (initialise), the image as GS v 0 raster blocks (python-escpos splits images
taller than `fragment_height` into several blocks, which printers with small buffers need), then
ESC d 6 (feed past the cutter) and GS V 0 (full cut). Text never goes as text: Vietnamese is in the
image, so no code page is involved.
"""
from __future__ import annotations

import copy

from escpos.printer import Dummy
from PIL import Image

FRAGMENT_HEIGHT = 960  # python-escpos's default; some printers' receive buffers hold no more


def encode_job(image: Image.Image, *, paper_dots: int | None = None) -> bytes:
    """The bytes of a job printing `image` (1-bit, at most `paper_dots` wide) then cutting the paper."""
    printer = Dummy(profile="default")
    _set_paper_width(printer, paper_dots or image.width)
    printer.hw("INIT")
    printer.image(image.convert("1"), impl="bitImageRaster", fragment_height=FRAGMENT_HEIGHT)
    printer.cut(mode="FULL", feed=True)
    return printer.output


def _set_paper_width(printer: Dummy, dots: int) -> None:
    """Give this printer's profile our paper width, so python-escpos refuses a wider image.

    The "default" profile's width is "Unknown": image() would then print a warning to stdout and
    skip its width check. The profile data is a class attribute shared by every printer of that
    profile, so we replace it on this instance with a copy rather than mutate it.
    """
    data = copy.deepcopy(printer.profile.profile_data)
    data["media"]["width"]["pixels"] = dots
    printer.profile.profile_data = data
