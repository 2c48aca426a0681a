"""kill -9 of a service mid-journey, then a restart, loses nothing and doubles nothing."""
from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from .conftest import E2E, wait_until
from .journey import CATALOGUE, CODE_RE, confirm, fill_form, login, scan_documents, start_submission

pytestmark = pytest.mark.e2e


async def _to_confirmation(page: Page, e2e: E2E, tmp: Path, citizen_index: int) -> tuple[str, object]:
    citizen = e2e.get_json(e2e.vneid + "/api/citizens")[citizen_index]
    proc = list(CATALOGUE.values())[citizen_index % len(CATALOGUE)]
    await start_submission(page, e2e, proc)
    await login(page, e2e, citizen["id_number"])
    await fill_form(page, proc)
    await scan_documents(page, e2e, proc, tmp)
    return citizen["id_number"], proc


async def test_intake_killed_mid_journey_loses_nothing(page: Page, e2e: E2E, tmp_path: Path) -> None:
    """With intake killed (-9) as the citizen submits, the page waits; after restart the dossier lands once."""
    id_number, _ = await _to_confirmation(page, e2e, tmp_path, 2)
    e2e.stack.kill("intake")
    before = await e2e.fetchval("SELECT count(*) FROM intake.dossiers")
    await confirm(page, e2e, id_number)
    await expect(page.get_by_text("Vui lòng chờ")).to_be_visible(timeout=20_000)
    await page.screenshot(path=e2e.artifacts / "20-waiting-for-intake.png")
    await e2e.restart("intake")
    await page.wait_for_url("**/ket-qua", timeout=60_000)
    code = (await page.locator("#dossier-code").inner_text()).strip()
    assert CODE_RE.match(code)
    assert await e2e.fetchval("SELECT count(*) FROM intake.dossiers") == before + 1
    await wait_until(lambda: e2e.get_json(f"{e2e.portal}/api/v1/dossiers/{code}"), what="dossier at the portal")
    await expect(page.locator("#printed")).to_be_visible(timeout=20_000)
    assert len(list((e2e.var_dir / "printer").glob(f"receipt-{code}*.bin"))) == 1


async def test_printer_killed_mid_journey_prints_the_receipt_once_after_restart(page: Page, e2e: E2E, tmp_path: Path) -> None:
    """With the printer killed (-9), the dossier is still received; after restart its receipt prints exactly once."""
    id_number, _ = await _to_confirmation(page, e2e, tmp_path, 3)
    e2e.stack.kill("printer")
    await confirm(page, e2e, id_number)
    await page.wait_for_url("**/ket-qua", timeout=30_000)
    code = (await page.locator("#dossier-code").inner_text()).strip()
    await expect(page.locator("#printing")).to_be_visible()
    assert not list((e2e.var_dir / "printer").glob(f"receipt-{code}*"))
    await e2e.restart("printer")
    await expect(page.locator("#printed")).to_be_visible(timeout=30_000)
    await wait_until(lambda: (e2e.var_dir / "printer" / f"receipt-{code}.png").exists(), what="receipt png")
    assert len(list((e2e.var_dir / "printer").glob(f"receipt-{code}*.bin"))) == 1


async def test_identity_killed_while_checking_the_code_then_the_citizen_goes_on(page: Page, e2e: E2E, tmp_path: Path) -> None:
    """With identity killed (-9) as the code is checked, the screen says it is busy; after restart the checked
    code is honoured and one press submits the dossier, once."""
    id_number, _ = await _to_confirmation(page, e2e, tmp_path, 5)
    await page.locator("#send-code").click()
    await page.wait_for_url("**/xac-nhan")
    await expect(page.locator("#sent-to")).to_be_visible(timeout=15_000)
    code = await e2e.kiosk("sim", "otp", id_number)
    e2e.stack.kill("identity")
    before = await e2e.fetchval("SELECT count(*) FROM intake.dossiers")
    await page.locator("#otp").fill(code)
    await page.locator("#confirm-submit").click()
    await expect(page.locator("#otp-error")).to_contain_text("bận", timeout=30_000)
    await e2e.restart("identity")
    await expect(page.locator("#otp-verified")).to_be_visible(timeout=30_000)
    await page.locator("#confirm-submit").click()
    await page.wait_for_url("**/ket-qua", timeout=30_000)
    assert await e2e.fetchval("SELECT count(*) FROM intake.dossiers") == before + 1
