"""The citizen journey end to end: real processes, broker, database, decoders and headless Chromium."""
from __future__ import annotations

import re
from pathlib import Path

import cv2
import pytest
import zxingcpp
from playwright.async_api import Page, expect

from .conftest import E2E, wait_until
from .journey import CATALOGUE, CODE_RE, fill_form, login, scan_documents, start_submission

pytestmark = pytest.mark.e2e


def citizens(e2e: E2E) -> list[dict]:
    return e2e.get_json(e2e.vneid + "/api/citizens")


async def test_home_shows_the_three_choices(page: Page, e2e: E2E) -> None:
    """The home screen has exactly the three big buttons, in Vietnamese."""
    await page.goto(e2e.ui + "/")
    for label in ("Nộp hồ sơ", "Tra cứu hồ sơ", "Lấy số thứ tự"):
        await expect(page.get_by_text(label, exact=True)).to_be_visible()
    await page.screenshot(path=e2e.artifacts / "01-home.png")


async def test_full_journey_from_qr_login_to_printed_receipt_portal_and_lookup(page: Page, e2e: E2E, tmp_path: Path) -> None:
    """Login by VNeID QR, form, scans, review, OTP, dossier code, printed receipt with a QR, portal, lookup."""
    citizen = citizens(e2e)[0]
    proc = next(iter(CATALOGUE.values()))
    await start_submission(page, e2e, proc)
    await page.screenshot(path=e2e.artifacts / "02-login.png")
    login_s = await login(page, e2e, citizen["id_number"])
    print(f"login: QR presented -> form shown in {login_s:.2f}s")
    prefilled = [f for f in proc.fields if f.prefill == "full_name"]
    assert prefilled, "the procedure prefills the applicant's name"
    await expect(page.locator(f"#f-{prefilled[0].key}")).to_have_value(citizen["full_name"])
    # Name, date of birth, sex, ID number and address come from the identity data.
    dob = "/".join(reversed(citizen["date_of_birth"].split("-")))
    for sel, want in (("#app-name", citizen["full_name"]), ("#app-dob", dob), ("#app-sex", citizen["sex"]),
                      ("#app-id", citizen["id_number"]), ("#app-address", citizen["address"])):
        await expect(page.locator(sel)).to_have_text(want)

    # Validation: a required field left empty is refused with a Vietnamese message, and typed values survive.
    required_text = next(f for f in proc.fields if f.required and f.type in ("text", "textarea") and not f.prefill)
    await page.locator(f"#f-{required_text.key}").fill("")
    await page.locator("#form-next").click()
    await expect(page.locator(f"#err-{required_text.key}")).to_be_visible()
    await expect(page.locator(f"#f-{prefilled[0].key}")).to_have_value(citizen["full_name"])
    await page.screenshot(path=e2e.artifacts / "03-form-error.png")
    await fill_form(page, proc)

    await scan_documents(page, e2e, proc, tmp_path)
    await page.screenshot(path=e2e.artifacts / "05-review.png")
    await expect(page.get_by_text(citizen["full_name"]).first).to_be_visible()

    # A wrong code first: refused plainly, attempts left shown.
    await page.locator("#send-code").click()
    await page.wait_for_url("**/xac-nhan")
    await expect(page.locator("#sent-to")).to_be_visible(timeout=15_000)
    right = await e2e.kiosk("sim", "otp", citizen["id_number"])
    await page.locator("#otp").fill("000000" if right != "000000" else "111111")
    await page.locator("#confirm-submit").click()
    await expect(page.locator("#otp-error")).to_contain_text("chưa đúng")
    await page.screenshot(path=e2e.artifacts / "06-otp-wrong.png")
    await page.locator("#otp").fill(right)
    await page.locator("#confirm-submit").click()
    await page.wait_for_url("**/ket-qua", timeout=30_000)

    code = (await page.locator("#dossier-code").inner_text()).strip()
    assert CODE_RE.match(code), code
    assert re.fullmatch(r"\d{2}/\d{2}/\d{4}", (await page.locator("#due-date").inner_text()).strip())
    await expect(page.locator("#printed")).to_be_visible(timeout=20_000)
    await page.screenshot(path=e2e.artifacts / "07-result.png")

    # The printed receipt: raw ESC/POS bytes and a PNG rendered from them, whose QR leads to the lookup page.
    png = e2e.var_dir / "printer" / f"receipt-{code}.png"
    assert (e2e.var_dir / "printer" / f"receipt-{code}.bin").stat().st_size > 1000
    results = zxingcpp.read_barcodes(cv2.imread(str(png)))
    assert [r.text for r in results] == [f"{e2e.ui}/tra-cuu/{code}"]

    # Stored once, delivered once to the portal, where staff move it on.
    assert await e2e.fetchval("SELECT count(*) FROM intake.dossiers WHERE code = $1", code) == 1
    portal = await wait_until(lambda: e2e.get_json(f"{e2e.portal}/api/v1/dossiers/{code}"), what="dossier at the portal")
    assert portal["dossier"]["applicant"]["id_number"] == citizen["id_number"]
    staff = await page.context.new_page()
    await staff.goto(f"{e2e.portal}/dossiers/{code}")
    await staff.screenshot(path=e2e.artifacts / "08-portal-staff.png")
    await staff.locator("form.move:has(input[value='in_processing']) button").click()
    # The staff page reloads after the change; closing it mid-navigation can hang Chromium's close.
    await expect(staff.locator("td.status")).to_have_text("Đang xử lý", timeout=15_000)
    await staff.wait_for_load_state()
    await staff.close()

    # Finish; the screen returns home and the session is gone.
    await page.locator("#finish").click()
    await page.wait_for_url(e2e.ui + "/")

    # Lookup by typing the code: the staff's status change has come back.
    await page.get_by_role("link", name="Tra cứu hồ sơ").click()
    await page.locator("#code").fill(code.lower())
    await page.locator("#lookup-submit").click()
    await page.wait_for_url(f"**/tra-cuu/{code}")
    for _ in range(100):
        if await e2e.fetchval("SELECT status FROM intake.dossiers WHERE code = $1", code) == "in_processing":
            break
        await page.wait_for_timeout(200)
    await page.reload()
    await expect(page.locator("#current-status")).to_have_text("Đang xử lý")
    await expect(page.locator("#history")).to_contain_text("Đã tiếp nhận")
    await page.screenshot(path=e2e.artifacts / "09-lookup.png")

    # Lookup by the receipt's QR at the reader.
    await page.goto(e2e.ui + "/tra-cuu")
    await e2e.kiosk("sim", "present-qr", "--text", f"{e2e.ui}/tra-cuu/{code}")
    await page.wait_for_url(f"**/tra-cuu/{code}", timeout=15_000)

    # Once delivered, the scans are gone from the kiosk.
    await wait_until(lambda: not any((e2e.var_dir / "scans").rglob("*.pdf")), what="scans deleted after delivery")


async def test_bad_qr_at_login_shows_a_clear_message(page: Page, e2e: E2E) -> None:
    """A QR that is not a VNeID token: a Vietnamese message on screen, and no one is logged in."""
    proc = next(iter(CATALOGUE.values()))
    await start_submission(page, e2e, proc)
    await e2e.kiosk("sim", "present-qr", "--text", "xin chào, đây không phải mã VNeID")
    await expect(page.locator("#login-error")).to_contain_text("không phải mã đăng nhập VNeID", timeout=15_000)
    assert page.url.endswith("/dang-nhap")
    await page.screenshot(path=e2e.artifacts / "10-bad-qr.png")


async def test_replayed_token_is_refused(page: Page, e2e: E2E) -> None:
    """A VNeID token used once cannot log in again."""
    citizen = citizens(e2e)[1]
    token = e2e.post_json(f"{e2e.vneid}/api/qr-token", {"id_number": citizen["id_number"]})["token"]
    proc = next(iter(CATALOGUE.values()))
    await start_submission(page, e2e, proc)
    await e2e.kiosk("sim", "present-qr", "--text", token)
    await page.wait_for_url("**/to-khai", timeout=15_000)
    await page.locator("#logout").click()
    await start_submission(page, e2e, proc)
    await e2e.kiosk("sim", "present-qr", "--text", token)
    await expect(page.locator("#login-error")).to_contain_text("đã được dùng", timeout=15_000)


async def test_queue_ticket_prints(page: Page, e2e: E2E) -> None:
    """"Lấy số thứ tự" shows a number and prints a ticket."""
    await page.goto(e2e.ui + "/")
    await page.get_by_text("Lấy số thứ tự", exact=True).click()
    number = (await page.locator("#ticket-number").inner_text()).strip()
    assert number
    await page.screenshot(path=e2e.artifacts / "11-ticket.png")
    await wait_until(lambda: list((e2e.var_dir / "printer").glob(f"ticket-*{number}*.png")), what="ticket printed")


async def test_idle_session_warns_then_logs_out(page: Page, e2e: E2E) -> None:
    """After 90 s without a touch a warning with "Tiếp tục" shows; ignored, the citizen is logged out."""
    await page.clock.install()
    proc = next(iter(CATALOGUE.values()))
    await start_submission(page, e2e, proc)
    await page.clock.run_for(91_000)
    await expect(page.get_by_role("button", name="Tiếp tục")).to_be_visible()
    await page.screenshot(path=e2e.artifacts / "12-idle-warning.png")
    await page.get_by_role("button", name="Tiếp tục").click()
    await expect(page.locator("#idle-warning")).to_be_hidden()
    await page.clock.run_for(125_000)
    await page.wait_for_url(e2e.ui + "/", timeout=10_000)
    await page.goto(e2e.ui + "/dang-nhap")
    assert page.url.startswith(e2e.ui + "/?het-phien")


async def test_unreadable_document_asks_to_insert_it_again(page: Page, e2e: E2E, tmp_path: Path) -> None:
    """A black page from the feeder: the citizen is asked in Vietnamese to insert it again; a good page then scans."""
    import numpy as np

    citizen = citizens(e2e)[4]
    proc = list(CATALOGUE.values())[3]
    await start_submission(page, e2e, proc)
    await login(page, e2e, citizen["id_number"])
    await fill_form(page, proc)
    black = tmp_path / "black.png"
    cv2.imwrite(str(black), np.zeros((1200, 900, 3), np.uint8))
    key = proc.documents[0].key
    await e2e.kiosk("sim", "insert-document", str(black))
    await page.locator(f"#scan-{key}").click()
    await expect(page.locator(f"li[data-key='{key}'] .error")).to_contain_text("không đọc được", timeout=30_000)
    await page.screenshot(path=e2e.artifacts / "04-scan-unreadable.png")
    from simulators.devices import render_document_photo

    good = render_document_photo(tmp_path / "good.png", "GIẤY TỜ", ["Nguyễn Thị Bình"], seed=7)
    await e2e.kiosk("sim", "insert-document", str(good))
    await page.locator(f"#scan-{key}").click()
    await expect(page.locator(f"li[data-key='{key}'] img.thumb")).to_be_visible(timeout=30_000)
    await page.screenshot(path=e2e.artifacts / "04-scan-ok.png")
    await page.locator("#logout").click()
    await page.wait_for_url(e2e.ui + "/")
    # The session was never submitted: its scans are deleted from the kiosk.
    await wait_until(lambda: not any((e2e.var_dir / "scans").rglob(f"{key}.pdf")), what="abandoned scans deleted")


async def test_unknown_page_and_garbage_code_get_vietnamese_messages(page: Page, e2e: E2E) -> None:
    """A wrong address or a garbage dossier code shows a Vietnamese message with a way back, never a trace."""
    resp = await page.goto(e2e.ui + "/khong-co-trang-nay")
    assert resp is not None and resp.status == 404
    await expect(page.get_by_role("heading", name="Không tìm thấy trang")).to_be_visible()
    await page.goto(e2e.ui + "/tra-cuu")
    await page.locator("#code").fill("<script>alert(1)</script>")
    await page.locator("#lookup-submit").click()
    await expect(page.locator("#lookup-error")).to_contain_text("chưa đúng dạng")
    await page.goto(e2e.ui + "/tra-cuu/000.00.19.H47-200101-9999")
    await expect(page.locator("#lookup-error")).to_contain_text("Không tìm thấy hồ sơ")
