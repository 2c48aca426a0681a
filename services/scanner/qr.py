"""QR decoding of one camera frame: zxing-cpp first, ZBar (through pyzbar's bindings) second.

Both decoders hand back the symbol's raw bytes and we decode them as UTF-8 ourselves. Neither is
allowed to guess a character set: a byte-mode QR code has no reliable charset marker, and ZBar's
guess turns some Vietnamese (and other non-ASCII) text into mojibake
(https://github.com/mchehab/zbar/issues/212, https://github.com/NaturalHistoryMuseum/pyzbar/issues/155).
pyzbar 0.1.9 cannot ask ZBar for raw bytes (its PR #82 was never merged), so `_zbar_binary` drives
ZBar's C API through pyzbar's ctypes bindings with ZBAR_CFG_BINARY set (ZBar >= 0.23.1).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from ctypes import c_void_p, cast, string_at
from dataclasses import dataclass

import cv2
import numpy as np
import zxingcpp
from pyzbar import wrapper as zb

MAX_TEXT_CHARS = 4096  # the QrScanned contract's limit; a longer code is not a VNeID or CCCD code
ZBAR_CFG_BINARY = 4  # zbar.h enum zbar_config_e (0.23.1+); absent from pyzbar 0.1.9's ZBarConfig
Y800 = int.from_bytes(b"Y800", "little")  # ZBar's fourcc for 8-bit grey
SMALL_SIDE_PX = 900  # frames narrower than this are also tried upscaled: small modules defeat ZBar


Decoders = tuple[tuple[str, Callable[[np.ndarray], bytes | None]], ...]


@dataclass(frozen=True)
class Decoded:
    text: str
    decoder: str


class RefusedCode(ValueError):
    """A QR code was read, but its content is not acceptable (not UTF-8, too long)."""

    def __init__(self, reason: str, decoder: str, size: int) -> None:
        super().__init__(f"{reason} ({size} bytes, {decoder})")
        self.reason, self.decoder, self.size = reason, decoder, size


def decode_frame(image: np.ndarray, decoders: Decoders | None = None) -> Decoded | None:
    """The text of the first QR code found in a frame (BGR or grey), or None if there is none.

    Raises RefusedCode when a code is read but its bytes are not UTF-8 text of acceptable length.
    `decoders` defaults to the chain DECODERS (zxing-cpp, then ZBar).
    """
    for variant in _variants(image):
        for name, decoder in decoders or DECODERS:
            raw = decoder(variant)
            if raw is not None:
                return Decoded(text_of(raw, name), name)
    return None


def text_of(raw: bytes, decoder: str) -> str:
    """The code's bytes as text: strict UTF-8, at most MAX_TEXT_CHARS characters."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RefusedCode("not_utf8", decoder, len(raw)) from exc
    if len(text) > MAX_TEXT_CHARS:
        raise RefusedCode("too_long", decoder, len(raw))
    return text


def _variants(image: np.ndarray) -> Iterator[np.ndarray]:
    """Grey first (cheap, usually enough); then, for hard frames, upscaled or lightly smoothed copies."""
    grey = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    grey = np.ascontiguousarray(grey, dtype=np.uint8)
    yield grey
    if min(grey.shape) < SMALL_SIDE_PX:
        yield cv2.resize(grey, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    yield cv2.GaussianBlur(grey, (3, 3), 0)  # evens out sensor noise and moiré on phone screens


def _zxing(grey: np.ndarray) -> bytes | None:
    # bytes: the symbol's content without any character-set conversion (zxing-cpp's Barcode.bytes).
    for barcode in zxingcpp.read_barcodes(grey, formats=zxingcpp.BarcodeFormat.QRCode):
        if barcode.valid:
            return bytes(barcode.bytes)
    return None


def _zbar_binary(grey: np.ndarray) -> bytes | None:
    """ZBar on a grey image, QR only, in binary mode: the raw bytes of the first QR symbol."""
    scanner = zb.zbar_image_scanner_create()
    if not scanner:
        raise RuntimeError("ZBar could not create an image scanner")
    try:
        zb.zbar_image_scanner_set_config(scanner, 0, zb.ZBarConfig.CFG_ENABLE, 0)  # 0: every symbology
        zb.zbar_image_scanner_set_config(scanner, zb.ZBarSymbol.QRCODE, zb.ZBarConfig.CFG_ENABLE, 1)
        if zb.zbar_image_scanner_set_config(scanner, zb.ZBarSymbol.QRCODE, ZBAR_CFG_BINARY, 1) != 0:
            raise RuntimeError("this ZBar cannot return raw bytes (needs libzbar >= 0.23.1)")
        return _zbar_scan(scanner, grey)
    finally:
        zb.zbar_image_scanner_destroy(scanner)


def _zbar_scan(scanner: object, grey: np.ndarray) -> bytes | None:
    image = zb.zbar_image_create()
    pixels = grey.tobytes()  # kept referenced until the scan is over: ZBar does not copy it
    try:
        zb.zbar_image_set_format(image, Y800)
        zb.zbar_image_set_size(image, grey.shape[1], grey.shape[0])
        zb.zbar_image_set_data(image, cast(pixels, c_void_p), len(pixels), None)
        if zb.zbar_scan_image(scanner, image) <= 0:
            return None
        symbol = zb.zbar_image_first_symbol(image)
        if not symbol:
            return None
        return string_at(zb.zbar_symbol_get_data(symbol), zb.zbar_symbol_get_data_length(symbol))
    finally:
        zb.zbar_image_destroy(image)


DECODERS: Decoders = (
    ("zxing-cpp", _zxing),
    ("zbar", _zbar_binary),
)
