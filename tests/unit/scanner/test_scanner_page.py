"""The OpenCV page pipeline and document assembly on generated photos."""
from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np
import pytest

from services.scanner import page
from services.scanner.document import ScanRefused, build_document
from simulators.devices import _render_page


def _photo(path: Path) -> np.ndarray:
    return page.decode_image(path.read_bytes())


def test_page_is_found_and_straightened_to_a4(document_photo: Path) -> None:
    """A tilted, perspective-distorted page photo becomes an upright A4-proportioned page with text."""
    result = page.process_page(_photo(document_photo))
    assert result is not None and result.found and not result.blank
    h, w = result.image.shape
    assert w == page.PAGE_WIDTH_PX
    assert h / w == pytest.approx(297 / 210, abs=0.01)
    assert page.ink_share(result.image) > 0.003


def test_straightened_page_has_level_text_and_clean_margins(document_photo: Path) -> None:
    """After straightening, text lines are horizontal and the desk does not show at the edges."""
    result = page.process_page(_photo(document_photo))
    assert result is not None
    img = result.image
    assert page.deskew(img) is img  # no residual skew worth correcting
    border = np.concatenate([img[:8].ravel(), img[-8:].ravel(), img[:, :8].ravel(), img[:, -8:].ravel()])
    assert np.mean(border < page.INK_LEVEL) < 0.02


def test_blank_page_is_detected(blank_photo: Path) -> None:
    """A photo of an empty sheet is found but marked blank."""
    result = page.process_page(_photo(blank_photo))
    assert result is not None and result.found and result.blank


@pytest.mark.parametrize("kind", ["black", "uniform_noise", "sensor_noise"])
def test_images_without_a_document_are_unusable(kind: str) -> None:
    """An all-black frame or pure noise holds no page and no content: None."""
    rng = np.random.default_rng(1)
    image = {
        "black": np.zeros((1200, 900, 3), np.uint8),
        "uniform_noise": rng.integers(0, 256, (1200, 900, 3), dtype=np.uint8),
        "sensor_noise": np.clip(rng.normal(128, 20, (1200, 900)), 0, 255).astype(np.uint8),
    }[kind]
    assert page.process_page(image) is None


def test_page_without_outline_is_kept_whole_and_deskewed() -> None:
    """A flatbed-style image (the page fills it, no outline) is kept, with its 3 degree skew removed."""
    flat = cv2.cvtColor(_render_page("ĐƠN ĐỀ NGHỊ", ["Kính gửi: UBND xã Bình Phú"] * 8), cv2.COLOR_BGR2GRAY)
    h, w = flat.shape
    skewed = cv2.warpAffine(flat, cv2.getRotationMatrix2D((w / 2, h / 2), 3, 1.0), (w, h), borderValue=250)
    result = page.process_page(skewed)
    assert result is not None and not result.found and not result.blank
    assert result.image.shape == (h, w)
    assert page.deskew(result.image) is result.image


def test_garbage_bytes_are_an_unreadable_image() -> None:
    """Bytes that are not an image raise UnreadableImage."""
    with pytest.raises(page.UnreadableImage):
        page.decode_image(b"%PDF-1.4 not an image at all")


def test_document_drops_blank_pages_and_binds_the_rest(document_photo: Path, blank_photo: Path) -> None:
    """Two text pages and a blank one make a 2-page PDF, 1 blank page dropped, with a 300 px thumbnail."""
    files = [document_photo.read_bytes(), blank_photo.read_bytes(), document_photo.read_bytes()]
    doc = build_document(files, max_pages=5, max_bytes=10_000_000)
    assert (doc.pages, doc.blank_pages_dropped) == (2, 1)
    assert doc.pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page\b", doc.pdf)) == 2
    thumb = cv2.imdecode(np.frombuffer(doc.thumbnail, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert thumb.shape[1] == 300 and thumb.shape[0] / 300 == pytest.approx(297 / 210, abs=0.01)


def test_document_of_only_blank_or_black_pages_is_unreadable(blank_photo: Path) -> None:
    """No usable page at all -> unreadable, so the citizen is asked to insert it again."""
    ok, black = cv2.imencode(".png", np.zeros((800, 600), np.uint8))
    with pytest.raises(ScanRefused) as err:
        build_document([blank_photo.read_bytes(), black.tobytes()], max_pages=5, max_bytes=10_000_000)
    assert err.value.reason == "unreadable"


def test_document_limits(document_photo: Path) -> None:
    """Too many pages, a PDF over the size limit and a non-image page are refused with their reasons."""
    data = document_photo.read_bytes()
    cases = [([data] * 3, 2, 10_000_000, "too_many_pages"), ([data], 5, 1_000, "too_large"),
             ([data, b"not an image"], 5, 10_000_000, "unreadable")]
    for pages, max_pages, max_bytes, reason in cases:
        with pytest.raises(ScanRefused) as err:
            build_document(pages, max_pages=max_pages, max_bytes=max_bytes)
        assert err.value.reason == reason
