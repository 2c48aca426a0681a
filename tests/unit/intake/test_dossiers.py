"""Checking a submission against its procedure, and the dossier code (pure logic)."""
from __future__ import annotations

import uuid
from datetime import date

from services.intake import dossiers, queue
from shared.catalogue import load_catalogue
from shared.messages import Citizen, DocumentRef, SubmitDossier
from shared.settings import REPO_ROOT

CAT = load_catalogue(REPO_ROOT / "data" / "procedures")
CITIZEN = Citizen(id_number="049092012345", full_name="Nguyễn Văn An", date_of_birth=date(1990, 1, 1), sex="Nam")
FORM = {"nguoi_yeu_cau": "Nguyễn Văn An", "quan_he": "Cha", "ho_ten_tre": "Nguyễn Văn Bình",
        "ngay_sinh_tre": "05/01/2025", "gioi_tinh_tre": "Nam", "noi_sinh": "Trạm y tế xã", "ho_ten_me": "Trần Thị Cúc"}


def _doc(key: str) -> DocumentRef:
    return DocumentRef(document_key=key, name=key, file_ref=f"scans/s1/{key}.pdf", sha256="a" * 64, pages=1, size_bytes=10)


def _submit(form: dict, docs: list[str], procedure: str = "dang-ky-khai-sinh") -> SubmitDossier:
    return SubmitDossier(submission_id=uuid.uuid4(), procedure_code=procedure, applicant=CITIZEN, form=form,
                         documents=[_doc(k) for k in docs], otp_confirmation_id=uuid.uuid4())


def test_dossier_code_has_agency_date_and_four_digit_sequence() -> None:
    """Codes look like 000.00.19.H47-260105-0001."""
    assert dossiers.format_code("000.00.19.H47", date(2026, 1, 5), 1) == "000.00.19.H47-260105-0001"
    assert dossiers.format_code("X", date(2026, 12, 31), 12345) == "X-261231-12345"


def test_valid_submission_gives_json_form() -> None:
    """A complete submission passes, with dates as ISO strings ready for JSONB."""
    form, reason = dossiers.review(CAT["dang-ky-khai-sinh"], _submit(FORM, ["giay_chung_sinh"]))
    assert reason is None
    assert form["ngay_sinh_tre"] == "2025-01-05"


def test_refusals_carry_a_vietnamese_reason() -> None:
    """Unknown procedure, invalid form, unknown or missing documents are refused with a reason."""
    assert dossiers.review(None, _submit(FORM, []))[1].startswith("Thủ tục này hiện không nhận")
    _, reason = dossiers.review(CAT["dang-ky-khai-sinh"], _submit({**FORM, "ho_ten_me": ""}, ["giay_chung_sinh"]))
    assert reason == "Thông tin trên tờ khai chưa hợp lệ: Vui lòng nhập Họ tên mẹ."
    _, reason = dossiers.review(CAT["dang-ky-khai-sinh"], _submit(FORM, ["giay_chung_sinh", "giay_bao_tu"]))
    assert "giay_bao_tu" in reason
    _, reason = dossiers.review(CAT["dang-ky-khai-sinh"], _submit(FORM, []))
    assert reason == "Còn thiếu giấy tờ: Giấy chứng sinh."


def test_queue_numbers_and_job_ids() -> None:
    """Ticket numbers are a prefix letter and three digits; job ids are unique per day and number."""
    assert queue.ticket_number("A", 7) == "A007"
    assert queue.ticket_job_id(date(2026, 1, 5), "A007") == "ticket-20260105-A007"
