"""Simulated kiosk devices: a camera that sees a phone showing a QR code, and a document feeder.

Both talk to the scanner service through files under the kiosk's var dir, as real device drivers
would hand over frames and pages:

    <var>/camera/inbox/<ns-timestamp>-<rand>.png      one camera frame each (written atomically)
    <var>/feeder/<ns-timestamp>-<rand>/0001.png ...   one stack of pages, usable once `.ready` exists

The frames and photos are realistic on purpose (rotation, perspective, blur, sensor noise, uneven
light): the scanner decodes them with real decoders and real OpenCV, so a test passing here means
the pipeline does real work. Files whose name starts with "." are work in progress and ignored.
"""
from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import qrcode
from PIL import Image, ImageDraw, ImageFont

from shared.files import atomic_write

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
IMAGE_SUFFIXES = {".png": ".png", ".jpg": ".jpg", ".jpeg": ".jpg", ".webp": ".webp"}
PDF_DPI = 150
FRAME_SIZES = ((1280, 720), (1920, 1080), (2560, 1440))
MIN_MODULE_PX = 3  # below ~3 px per module a phone camera would not read the code either


def camera_inbox(var_dir: Path) -> Path:
    return Path(var_dir) / "camera" / "inbox"


def feeder_dir(var_dir: Path) -> Path:
    return Path(var_dir) / "feeder"


def _stamp() -> str:
    """A name that sorts by arrival time and never collides."""
    return f"{time.time_ns():020d}-{secrets.token_hex(3)}"


def _write_image_atomically(path: Path, image: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    ok, buf = cv2.imencode(path.suffix, image)
    if not ok:
        raise ValueError(f"cannot encode image as {path.suffix}")
    atomic_write(path, buf.tobytes())


# -- camera ----------------------------------------------------------------------------------------

def qr_modules(text: str) -> np.ndarray:
    """The QR symbol (quiet zone included) as a 0/255 array, one pixel per module; UTF-8, level M."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=1, border=4)
    code.add_data(text.encode("utf-8"))
    code.make(fit=True)
    return np.where(np.array(code.get_matrix(), dtype=bool), 0, 255).astype(np.uint8)


def present_qr(var_dir: Path, text: str, *, seed: int | None = None) -> Path:
    """Show `text` as a QR code on a phone to the kiosk camera: one frame in camera/inbox/."""
    rng = np.random.default_rng(seed)
    modules = qr_modules(text)
    frame_w, frame_h = _frame_size(len(modules))
    module_px = max(MIN_MODULE_PX, int(frame_h * 0.6 // len(modules)))
    phone, mask = _phone(modules, module_px)
    frame = _background(rng, frame_w, frame_h)
    frame = _place(rng, frame, phone, mask, max_tilt_deg=8, jitter=0.03)
    frame = _camera_noise(rng, frame, blur_sigma=rng.uniform(0.6, 0.9), noise_sigma=4)
    path = camera_inbox(var_dir) / f"{_stamp()}.png"
    _write_image_atomically(path, frame)
    return path


def _frame_size(n_modules: int) -> tuple[int, int]:
    """The smallest camera resolution at which each module is still at least MIN_MODULE_PX wide."""
    for w, h in FRAME_SIZES:
        if n_modules * MIN_MODULE_PX <= h * 0.7:
            return w, h
    return FRAME_SIZES[-1]


def _phone(modules: np.ndarray, module_px: int) -> tuple[np.ndarray, np.ndarray]:
    """A phone (dark body, bright screen) showing the code; returns the BGR image and its mask."""
    qr = cv2.resize(modules, None, fx=module_px, fy=module_px, interpolation=cv2.INTER_NEAREST)
    side = qr.shape[0]
    screen_w, screen_h = side + side // 10, int(side * 1.6)
    body_w, body_h = screen_w + side // 8, screen_h + side // 4
    phone = np.full((body_h, body_w, 3), (35, 30, 30), np.uint8)
    sx, sy = (body_w - screen_w) // 2, (body_h - screen_h) // 2
    phone[sy:sy + screen_h, sx:sx + screen_w] = (250, 246, 240)
    cv2.rectangle(phone, (sx, sy), (sx + screen_w, sy + side // 7), (170, 90, 20), -1)  # app header bar
    qx, qy = sx + (screen_w - side) // 2, sy + (screen_h - side) // 2
    phone[qy:qy + side, qx:qx + side] = cv2.cvtColor(qr, cv2.COLOR_GRAY2BGR)
    mask = np.zeros((body_h, body_w), np.uint8)
    cv2.rectangle(mask, (0, 0), (body_w - 1, body_h - 1), 255, -1)
    return phone, mask


def _background(rng: np.random.Generator, w: int, h: int, base: tuple[int, int, int] = (70, 95, 120)) -> np.ndarray:
    """A desk-like surface: a light gradient with low-frequency texture."""
    gradient = np.linspace(0.75, 1.15, w, dtype=np.float32)[None, :, None]
    texture = cv2.resize(rng.normal(0, 12, (h // 40 + 2, w // 40 + 2)).astype(np.float32), (w, h))[:, :, None]
    img = np.array(base, np.float32)[None, None, :] * gradient + texture
    return np.clip(img, 0, 255).astype(np.uint8)


def _place(rng: np.random.Generator, canvas: np.ndarray, obj: np.ndarray, mask: np.ndarray, *,
           max_tilt_deg: float, jitter: float, fill: float = 0.9) -> np.ndarray:
    """Put `obj` on `canvas`, rotated and seen in perspective, like a hand-held object in a photo."""
    ch, cw = canvas.shape[:2]
    oh, ow = obj.shape[:2]
    scale = min(fill * ch / oh, fill * cw / ow, 1.0) if fill else 1.0
    angle = np.deg2rad(rng.uniform(-max_tilt_deg, max_tilt_deg))
    corners = np.array([[-ow / 2, -oh / 2], [ow / 2, -oh / 2], [ow / 2, oh / 2], [-ow / 2, oh / 2]]) * scale
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    corners = corners @ rot.T + rng.uniform(-jitter, jitter, (4, 2)) * (ow * scale, oh * scale)
    span = corners.max(axis=0) - corners.min(axis=0)
    room = np.maximum((np.array([cw, ch]) - span) / 2 - 2, 0)
    centre = np.array([cw / 2, ch / 2]) + rng.uniform(-1, 1, 2) * room * 0.5
    dst = (corners + centre).astype(np.float32)
    src = np.array([[0, 0], [ow, 0], [ow, oh], [0, oh]], np.float32)
    m = cv2.getPerspectiveTransform(src, dst)
    warped = cv2.warpPerspective(obj, m, (cw, ch), flags=cv2.INTER_LINEAR)
    alpha = cv2.warpPerspective(mask, m, (cw, ch), flags=cv2.INTER_LINEAR).astype(np.float32)[:, :, None] / 255
    return (warped * alpha + canvas * (1 - alpha)).astype(np.uint8)


def _camera_noise(rng: np.random.Generator, img: np.ndarray, *, blur_sigma: float, noise_sigma: float) -> np.ndarray:
    blurred = cv2.GaussianBlur(img, (0, 0), blur_sigma)
    noise = rng.standard_normal(img.shape, dtype=np.float32) * noise_sigma
    return cv2.add(blurred, noise, dtype=cv2.CV_8U)


# -- document feeder -------------------------------------------------------------------------------

def insert_documents(var_dir: Path, files: list[Path]) -> Path:
    """Put a stack of pages (images, or PDFs: one page per PDF page) in the feeder; returns the batch dir."""
    files = [Path(f) for f in files]
    _check_documents(files)
    batch = feeder_dir(var_dir) / _stamp()
    batch.mkdir(parents=True)
    try:
        n = 0
        for f in files:
            for page in _pages_of(f, batch):
                n += 1
                os.replace(page, batch / f"{n:04d}{page.suffix}")
    except Exception:
        shutil.rmtree(batch, ignore_errors=True)
        raise
    fd, tmp = tempfile.mkstemp(prefix=".", dir=batch)
    os.close(fd)
    os.replace(tmp, batch / ".ready")  # last: the scanner takes only batches marked ready
    return batch


def _check_documents(files: list[Path]) -> None:
    if not files:
        raise ValueError("no document given: pass at least one image (png, jpg, webp) or PDF file")
    for f in files:
        if not f.is_file():
            raise ValueError(f"document not found: {f}")
        if f.suffix.lower() not in IMAGE_SUFFIXES and f.suffix.lower() != ".pdf":
            raise ValueError(f"unsupported document type {f.suffix or '(none)'!r} for {f.name}: "
                             "use png, jpg, webp or pdf")


def _pages_of(src: Path, batch: Path) -> list[Path]:
    """The page files one source file contributes, written as hidden work files inside the batch."""
    suffix = src.suffix.lower()
    if suffix != ".pdf":
        tmp = batch / f".in-{secrets.token_hex(4)}{IMAGE_SUFFIXES[suffix]}"
        shutil.copyfile(src, tmp)
        return [tmp]
    prefix = batch / f".pdf-{secrets.token_hex(4)}"
    result = subprocess.run(["pdftoppm", "-r", str(PDF_DPI), "-png", str(src), str(prefix)],
                            capture_output=True, text=True, timeout=120, check=False)
    pages = sorted(batch.glob(f"{prefix.name}-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    if result.returncode != 0 or not pages:
        raise ValueError(f"cannot read PDF {src.name}: {result.stderr.strip()[:200] or 'no pages'}")
    return pages


# -- document photos (for tests and the demo) -------------------------------------------------------

A4_PX = (1240, 1754)  # 150 dpi


def render_document_photo(out: Path, title: str, lines: list[str], *, seed: int = 0) -> Path:
    """A photo of an A4 paper document with Vietnamese text, lying askew on a darker desk."""
    rng = np.random.default_rng(seed)
    page = _render_page(title, lines)
    photo_w, photo_h = 1500, 1900
    desk = _background(rng, photo_w, photo_h, base=(45, 60, 75))
    mask = np.full(page.shape[:2], 255, np.uint8)
    photo = _place(rng, desk, page, mask, max_tilt_deg=7, jitter=0.025, fill=0.82)
    photo = _uneven_light(rng, photo)
    photo = _camera_noise(rng, photo, blur_sigma=0.7, noise_sigma=3)
    out = Path(out)
    _write_image_atomically(out, photo)
    return out


def _render_page(title: str, lines: list[str]) -> np.ndarray:
    img = Image.new("RGB", A4_PX, (250, 249, 244))
    draw = ImageDraw.Draw(img)
    bold = ImageFont.truetype(str(FONT_DIR / "DejaVuSans-Bold.ttf"), 40)
    body = ImageFont.truetype(str(FONT_DIR / "DejaVuSans.ttf"), 30)
    width = draw.textlength(title, font=bold)
    draw.text(((A4_PX[0] - width) / 2, 140), title, font=bold, fill=(20, 20, 20))
    y = 260
    for line in lines:
        for chunk in _wrap(draw, line, body, A4_PX[0] - 240):
            draw.text((120, y), chunk, font=body, fill=(25, 25, 30))
            y += 46
    return cv2.cvtColor(np.array(img), cv2.COLOR_RGB2BGR)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    words, out, current = text.split(), [], ""
    for word in words:
        candidate = f"{current} {word}".strip()
        if current and draw.textlength(candidate, font=font) > width:
            out.append(current)
            candidate = word
        current = candidate
    return out + [current] if current or not out else out


def _uneven_light(rng: np.random.Generator, img: np.ndarray) -> np.ndarray:
    """A lamp off to one side: brightness falls from about 1.05 to 0.7 across the photo."""
    h, w = img.shape[:2]
    cx, cy = rng.uniform(0, w), rng.uniform(0, h * 0.3)
    yy, xx = np.mgrid[0:h:8, 0:w:8].astype(np.float32)  # light varies slowly: compute it coarse
    dist = np.sqrt((xx - cx) ** 2 + (yy - cy) ** 2) / np.hypot(w, h)
    light = cv2.resize(1.05 - 0.35 * dist, (w, h), interpolation=cv2.INTER_LINEAR)
    return cv2.multiply(img, cv2.merge([light] * 3), dtype=cv2.CV_8U)
