"""The page pipeline: find the sheet of paper in an image, straighten it, even out the light.

Pure functions on numpy images (no I/O). For each image from the feeder:

    find_page      the largest convex quadrilateral (Otsu threshold, then Canny edges as a second try)
    straighten     perspective-correct it to A4 proportions, 150 dpi
    even_lighting  divide by the estimated paper background: shadows and lamp gradients go away
    is_blank       too little ink left after cleaning -> the page is dropped and counted

When no quadrilateral is found but the image clearly holds a document (a flatbed-style scan, a page
filling the whole photo), the whole image is kept, deskewed. Black frames and sensor noise hold no
document: they are "unusable", and a batch with no usable page is reported as unreadable.
"""
from __future__ import annotations

import io
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

A4_RATIO = 297 / 210
PAGE_WIDTH_PX = 1240  # A4 at 150 dpi: enough for a civil servant to read, small enough to send
WORK_SIDE_PX = 800  # page finding runs on a copy this size: fast, and blind to text-level detail
MIN_PAGE_AREA = 0.15  # a quadrilateral smaller than this share of the image is not the page
MAX_PAGE_AREA = 0.97  # one this large is the image border itself
MAX_PIXELS = 80_000_000  # refuse decompression bombs before OpenCV allocates them
INK_LEVEL = 128  # after even_lighting, darker than this is ink
BLANK_INK_SHARE = 0.0004  # below this share of ink pixels a page is blank (dust, a fold line)
NOISE_INK_SHARE = 0.35  # above it, it is not a document either (a black frame, noise, a photo of a desk)
MIN_CONTRAST = 12.0  # grey standard deviation below which an image holds nothing at all
MIN_STROKE_PX = 20  # ink blobs at least this big are strokes of letters, not specks of noise
MIN_STROKE_SHARE = 0.6  # writing is mostly strokes; sensor noise is mostly specks
QUIET_ROW_INK = 0.01  # a pixel row with less ink than this is margin or space between lines
MIN_QUIET_ROWS = 0.1  # every document has margins and line spacing; noise has neither
MAX_SKEW_DEG = 10.0  # a page laid on glass or fed by rollers is never more crooked than this
INSET = 0.006  # pull the outline in slightly: the warped page must not carry a rim of desk


class UnreadableImage(ValueError):
    """The bytes are not an image OpenCV can decode (or an absurdly large one)."""


@dataclass(frozen=True)
class Page:
    """One cleaned page: grey, straightened; `found` says whether a sheet outline was detected."""

    image: np.ndarray
    found: bool
    blank: bool


def decode_image(data: bytes) -> np.ndarray:
    """Image file bytes (PNG, JPEG, WebP, ...) -> a BGR array, or UnreadableImage."""
    try:
        with Image.open(io.BytesIO(data)) as header:  # reads the header only
            width, height = header.size
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise UnreadableImage(f"not a decodable image: {exc}") from exc
    if width * height > MAX_PIXELS:
        raise UnreadableImage("image too large")
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise UnreadableImage("not a decodable image")
    return image


def process_page(image: np.ndarray) -> Page | None:
    """Find, straighten and clean one page; None when the image holds no document at all."""
    grey = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    quad = find_page(grey)
    if quad is not None:
        page = even_lighting(straighten(grey, quad))
        return Page(page, found=True, blank=is_blank(page))
    if float(grey.std()) < MIN_CONTRAST:
        return None
    page = even_lighting(_fit_width(deskew(grey)))
    if not has_content(page):
        return None
    return Page(page, found=False, blank=False)


def find_page(grey: np.ndarray) -> np.ndarray | None:
    """The page's corners (tl, tr, br, bl) in image coordinates, or None."""
    scale = WORK_SIDE_PX / max(grey.shape)
    small = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else grey
    small = cv2.GaussianBlur(small, (5, 5), 0)
    best: np.ndarray | None = None
    for mask in (_bright_region(small), _edges(small)):
        quad = _largest_quad(mask)
        if quad is not None and (best is None or cv2.contourArea(quad) > cv2.contourArea(best)):
            best = quad
    if best is None:
        return None
    return order_corners(best.reshape(4, 2).astype(np.float32) / min(scale, 1.0))


def _bright_region(small: np.ndarray) -> np.ndarray:
    """Paper is brighter than what it lies on: Otsu's threshold separates the two."""
    _, mask = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((9, 9), np.uint8))


def _edges(small: np.ndarray) -> np.ndarray:
    """When the light is too uneven for one threshold, the sheet's edges still show."""
    edges = cv2.Canny(small, 40, 120)
    return cv2.dilate(edges, np.ones((3, 3), np.uint8), iterations=2)


def _largest_quad(mask: np.ndarray) -> np.ndarray | None:
    area_total = mask.shape[0] * mask.shape[1]
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    for contour in sorted(contours, key=cv2.contourArea, reverse=True)[:5]:
        hull = cv2.convexHull(contour)
        approx = cv2.approxPolyDP(hull, 0.02 * cv2.arcLength(hull, True), True)
        share = cv2.contourArea(approx) / area_total
        if len(approx) == 4 and MIN_PAGE_AREA <= share <= MAX_PAGE_AREA:
            return approx
    return None


def order_corners(pts: np.ndarray) -> np.ndarray:
    """Sort four points as top-left, top-right, bottom-right, bottom-left."""
    s, d = pts.sum(axis=1), np.diff(pts, axis=1).ravel()
    return np.array([pts[np.argmin(s)], pts[np.argmin(d)], pts[np.argmax(s)], pts[np.argmax(d)]], np.float32)


def straighten(grey: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """Warp the quadrilateral to an upright A4 sheet (portrait or landscape, as it lies)."""
    quad = quad + (quad.mean(axis=0) - quad) * INSET * 2
    tl, tr, br, bl = quad
    width = (np.linalg.norm(tr - tl) + np.linalg.norm(br - bl)) / 2
    height = (np.linalg.norm(bl - tl) + np.linalg.norm(br - tr)) / 2
    long_side = round(PAGE_WIDTH_PX * A4_RATIO)
    w, h = (PAGE_WIDTH_PX, long_side) if height >= width else (long_side, PAGE_WIDTH_PX)
    target = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float32)
    m = cv2.getPerspectiveTransform(quad.astype(np.float32), target)
    return cv2.warpPerspective(grey, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def even_lighting(grey: np.ndarray) -> np.ndarray:
    """Divide by the paper's own brightness, estimated by wiping the text out (dilate, blur)."""
    background = cv2.dilate(grey, np.ones((15, 15), np.uint8))
    background = cv2.GaussianBlur(background, (0, 0), 12).astype(np.float32)
    flat = grey.astype(np.float32) / np.maximum(background, 1.0) * 255.0
    # Stretch: paper to clean white, ink to near black. The numbers suit 150 dpi office print.
    return np.clip((flat - 60.0) * (255.0 / (235.0 - 60.0)), 0, 255).astype(np.uint8)


def _ink(page: np.ndarray) -> np.ndarray:
    """The ink mask inside the margins; one-pixel specks (noise, dust) removed, strokes kept."""
    h, w = page.shape
    inner = page[h // 30: h - h // 30, w // 30: w - w // 30]
    return (cv2.medianBlur(inner, 3) < INK_LEVEL).astype(np.uint8)


def ink_share(page: np.ndarray) -> float:
    """The share of ink pixels inside the margins."""
    ink = _ink(page)
    return float(np.count_nonzero(ink)) / max(ink.size, 1)


def is_blank(page: np.ndarray) -> bool:
    return ink_share(page) < BLANK_INK_SHARE


def has_content(page: np.ndarray) -> bool:
    """Ink that looks like writing: some, not too much, in strokes, laid out in lines with gaps between.

    Noise fails at least one of these: sensor noise is specks, coarse noise has no empty rows.
    """
    ink = _ink(page)
    share = float(np.count_nonzero(ink)) / max(ink.size, 1)
    if not BLANK_INK_SHARE <= share <= NOISE_INK_SHARE:
        return False
    _, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    areas = stats[1:, cv2.CC_STAT_AREA]
    if float(areas[areas >= MIN_STROKE_PX].sum()) / max(float(areas.sum()), 1.0) < MIN_STROKE_SHARE:
        return False
    quiet_rows = float(np.mean(ink.mean(axis=1) < QUIET_ROW_INK))
    return quiet_rows >= MIN_QUIET_ROWS


def deskew(grey: np.ndarray) -> np.ndarray:
    """Rotate a page without a visible outline so that its lines of text are level.

    Projection profiles: rotated to the right angle, text rows and the gaps between them make the
    row sums of the ink mask vary the most. Tried on a small copy, in half-degree steps.
    """
    scale = 500 / max(grey.shape)
    small = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else grey
    ink = (small < np.median(small) * 0.75).astype(np.float32)
    if ink.sum() < 50:
        return grey
    angle = max(np.arange(-MAX_SKEW_DEG, MAX_SKEW_DEG + 0.01, 0.5), key=lambda a: _profile_score(ink, a))
    if abs(angle) < 0.25:
        return grey
    return _rotate(grey, float(angle))


def _profile_score(ink: np.ndarray, angle: float) -> float:
    return float(np.var(_rotate(ink, angle).sum(axis=1)))


def _rotate(img: np.ndarray, angle: float) -> np.ndarray:
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def _fit_width(grey: np.ndarray) -> np.ndarray:
    scale = PAGE_WIDTH_PX / grey.shape[1]
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    return cv2.resize(grey, (PAGE_WIDTH_PX, max(1, round(grey.shape[0] * scale))), interpolation=interp)
