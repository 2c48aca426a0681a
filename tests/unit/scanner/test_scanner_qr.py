"""The QR decoder chain on realistic camera frames (real zxing-cpp and ZBar, real pixels)."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import qrcode

from services.scanner import qr
from simulators.devices import present_qr

CCCD = "001092012345||Nguyễn Văn An|01011990|Nam|Thôn Lý Trường, Bình Phú, Thăng Bình, Quảng Nam|15082021"
JWT_LIKE = "eyJhbGciOiJFUzI1NiIsImtpZCI6InZuZWlkLTEifQ." + "eyJzdWIiOiIwMDEwOTIwMTIzNDUi" * 18 + "." + "Xy9_-a" * 14


def _frame(tmp_path: Path, text: str, seed: int) -> np.ndarray:
    path = present_qr(tmp_path, text, seed=seed)
    image = cv2.imread(str(path))
    assert image is not None
    return image


@pytest.mark.parametrize("seed", range(4))
def test_vietnamese_cccd_text_comes_back_exactly(tmp_path: Path, seed: int) -> None:
    """A CCCD QR payload with Vietnamese diacritics decodes to exactly the original text (not mojibake)."""
    decoded = qr.decode_frame(_frame(tmp_path, CCCD, seed))
    assert decoded == qr.Decoded(CCCD, "zxing-cpp")


@pytest.mark.parametrize("text", [CCCD, "Thăng Bình", "Nữ", "Quảng Nam"])
def test_zbar_in_binary_mode_keeps_utf8_intact(tmp_path: Path, text: str) -> None:
    """ZBar alone (the fallback decoder) returns the exact UTF-8 text, where its charset guessing would garble it."""
    only_zbar = (("zbar", qr.DECODERS[1][1]),)
    assert qr.decode_frame(_frame(tmp_path, text, seed=7), decoders=only_zbar) == qr.Decoded(text, "zbar")


def test_long_jwt_like_token_decodes_from_a_camera_frame(tmp_path: Path) -> None:
    """A ~600-character signed-token-like ASCII code is read from a 720p-class frame."""
    assert 550 <= len(JWT_LIKE) <= 700
    decoded = qr.decode_frame(_frame(tmp_path, JWT_LIKE, seed=11))
    assert decoded is not None and decoded.text == JWT_LIKE


def test_plain_ascii_code_decodes(tmp_path: Path) -> None:
    """A short ASCII code (a dossier lookup code) decodes."""
    decoded = qr.decode_frame(_frame(tmp_path, "000.00.19.H47-260105-0001", seed=2))
    assert decoded is not None and decoded.text == "000.00.19.H47-260105-0001"


def test_frame_without_a_code_gives_none() -> None:
    """A frame of an empty desk yields no result (and no error)."""
    rng = np.random.default_rng(0)
    desk = cv2.GaussianBlur(rng.integers(60, 140, (720, 1280), dtype=np.uint8), (0, 0), 3)
    assert qr.decode_frame(desk) is None


def test_code_with_bytes_that_are_not_utf8_is_refused() -> None:
    """A code holding non-UTF-8 bytes is refused rather than guessed at."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=6, border=4)
    code.add_data(b"\xff\xfe\xc3 Vi\xe1t")
    code.make(fit=True)
    image = np.array(code.make_image().convert("L"))
    with pytest.raises(qr.RefusedCode) as err:
        qr.decode_frame(image)
    assert err.value.reason == "not_utf8"


def test_text_longer_than_the_contract_allows_is_refused() -> None:
    """Decoded text over 4096 characters is refused; exactly 4096 is accepted."""
    assert qr.text_of(b"7" * 4096, "zxing-cpp") == "7" * 4096
    with pytest.raises(qr.RefusedCode) as err:
        qr.text_of(b"7" * 4097, "zxing-cpp")
    assert err.value.reason == "too_long"
