"""ESC/POS job bytes: encoded with python-escpos, decoded back by our raster decoder, QR readable."""
from __future__ import annotations

import pytest
import zxingcpp
from PIL import Image, ImageDraw

from services.printer.escpos_job import encode_job
from services.printer.layout import render_queue_ticket, render_receipt
from services.printer.raster import RasterDecodeError, render_raster

from .samples import LOOKUP_URL, dossier, queue_ticket


def test_receipt_bytes_decode_back_to_the_same_pixels() -> None:
    """render_raster(encode_job(img)) is pixel-identical to img, for a receipt taller than one raster block."""
    img = render_receipt(dossier(), LOOKUP_URL)
    job = encode_job(img, paper_dots=576)
    assert job.startswith(b"\x1b@") and job.endswith(b"\x1dV\x00")
    assert job.count(b"\x1dv0") >= 2  # split into fragments of at most 960 rows
    back = render_raster(job)
    assert back.mode == "1" and back.size == img.size and back.tobytes() == img.tobytes()


def test_queue_ticket_bytes_decode_back_on_58mm_paper() -> None:
    """A 384-dot queue ticket survives the byte round trip pixel for pixel."""
    img = render_queue_ticket(queue_ticket(), agency_name="UBND xã Bình Phú", width=384)
    assert render_raster(encode_job(img, paper_dots=384)).tobytes() == img.tobytes()


def test_qr_in_the_image_decoded_from_the_bytes_reads_the_lookup_url() -> None:
    """zxing-cpp reads the lookup URL from the image rebuilt from the job bytes."""
    img = render_raster(encode_job(render_receipt(dossier(), LOOKUP_URL)))
    texts = [r.text for r in zxingcpp.read_barcodes(img.convert("L"))]
    assert texts == [LOOKUP_URL]


def test_image_wider_than_the_paper_is_refused() -> None:
    """python-escpos refuses a 576-dot image for 384-dot paper rather than print it cut off."""
    with pytest.raises(Exception, match="576 > 384"):
        encode_job(Image.new("1", (576, 10), 1), paper_dots=384)


def test_decoder_refuses_bytes_it_does_not_know_and_truncated_blocks() -> None:
    """Text bytes or a raster block cut short are refused with the offset, not drawn as garbage."""
    with pytest.raises(RasterDecodeError, match="offset 2"):
        render_raster(b"\x1b@Xin chao")
    img = Image.new("1", (16, 4), 1)
    ImageDraw.Draw(img).point((3, 1), fill=0)
    job = encode_job(img)
    with pytest.raises(RasterDecodeError, match="truncated"):
        render_raster(job[:12])
    assert render_raster(job).getpixel((3, 1)) == 0


def test_low_density_modes_are_scaled_like_the_printer_does() -> None:
    """GS v 0 with m=3 (double width and height) decodes to an image twice as wide and tall."""
    job = b"\x1dv0\x03\x01\x00\x02\x00" + bytes([0b10000000, 0])
    img = render_raster(job)
    assert img.size == (16, 4) and img.getpixel((1, 1)) == 0 and img.getpixel((2, 1)) == 255
