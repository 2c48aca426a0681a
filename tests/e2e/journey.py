"""Steps of the citizen journey, shared by the journey test and the kill tests."""
from __future__ import annotations

import re
import time
from pathlib import Path

from playwright.async_api import Page, expect

from shared.catalogue import FieldSpec, Procedure, load_catalogue
from shared.settings import REPO_ROOT
from simulators.devices import render_document_photo

from .conftest import E2E

CATALOGUE = load_catalogue(REPO_ROOT / "data" / "procedures")
CODE_RE = re.compile(r"^000\.00\.19\.H47-\d{6}-\d{4}$")


def sample_value(f: FieldSpec) -> str:
    return {"text": "Nguyễn Thị Bình", "textarea": "Thôn Lý Trường, xã Bình Phú", "date": "01/11/2026",
            "id_number": "049192000123", "phone": "0912345678", "number": "1"}.get(f.type, "x")


async def start_submission(page: Page, e2e: E2E, proc: Procedure) -> None:
    await page.goto(e2e.ui + "/")
    await page.get_by_role("link", name="Nộp hồ sơ").click()
    await page.locator(f"button[data-code='{proc.code}']").click()
    await expect(page.get_by_role("heading", name="Đăng nhập bằng VNeID")).to_be_visible()


async def login(page: Page, e2e: E2E, id_number: str) -> float:
    """Show the citizen's VNeID QR to the camera; returns seconds until the form showed."""
    started = time.monotonic()
    await e2e.kiosk("sim", "present-qr", id_number)
    await page.wait_for_url("**/to-khai", timeout=15_000)
    return time.monotonic() - started


async def fill_form(page: Page, proc: Procedure) -> None:
    for f in proc.fields:
        if f.type == "choice":
            if not await page.locator(f"input[name='{f.key}']:checked").count():
                await page.locator(f"input[name='{f.key}'][value='{f.options[0]}']").check()
        else:
            box = page.locator(f"#f-{f.key}")
            if not (await box.input_value()).strip():
                await box.fill(sample_value(f))
    await page.locator("#form-next").click()
    await page.wait_for_url("**/giay-to")


async def scan_documents(page: Page, e2e: E2E, proc: Procedure, tmp: Path) -> None:
    for i, d in enumerate(proc.documents):
        photo = render_document_photo(tmp / f"{d.key}.png", d.name.upper(), [d.name, "Nguyễn Thị Bình", "Xã Bình Phú"], seed=i)
        await e2e.kiosk("sim", "insert-document", str(photo))
        await page.locator(f"#scan-{d.key}").click()
        await expect(page.locator(f"li[data-key='{d.key}'] img.thumb")).to_be_visible(timeout=30_000)
    await page.locator("#docs-next").click()
    await page.wait_for_url("**/xem-lai")


async def confirm(page: Page, e2e: E2E, id_number: str) -> None:
    await page.locator("#send-code").click()
    await page.wait_for_url("**/xac-nhan")
    await expect(page.locator("#sent-to")).to_be_visible(timeout=15_000)
    code = await e2e.kiosk("sim", "otp", id_number)
    assert re.fullmatch(r"\d{6}", code)
    await page.locator("#otp").fill(code)
    await page.locator("#confirm-submit").click()
