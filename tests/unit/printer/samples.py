"""Sample payloads for printer tests (Vietnamese text with stacked tone marks on purpose)."""
from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from shared.messages import Citizen, DocumentRef, DossierData, PrintQueueTicket

LOOKUP_URL = "http://127.0.0.1:8080/tra-cuu?ma=000.00.19.H47-260105-0001&k=AB12CD"


def dossier(code: str = "000.00.19.H47-260105-0001", full_name: str = "Nguyễn Thị Ngọc Ẩn") -> DossierData:
    applicant = Citizen(id_number="001092012345", full_name=full_name, date_of_birth=date(1990, 1, 1), sex="Nữ",
                        address="Thôn Lý Trường, xã Bình Phú, huyện Thăng Bình, tỉnh Quảng Nam")
    docs = [
        DocumentRef(document_key="to_khai", name="Tờ khai đăng ký khai sinh", file_ref="scans/s1/to_khai.pdf",
                    sha256="0" * 64, pages=2, size_bytes=10),
        DocumentRef(document_key="giay_chung_sinh", name="Giấy chứng sinh do cơ sở y tế nơi trẻ sinh ra cấp (bản chính)",
                    file_ref="scans/s1/giay_chung_sinh.pdf", sha256="1" * 64, pages=1, size_bytes=10),
    ]
    return DossierData(
        code=code, submission_id=uuid.uuid4(), agency_code="000.00.19.H47", agency_name="UBND xã Bình Phú",
        procedure_code="1.001193", procedure_name="Đăng ký khai sinh", applicant=applicant, form={}, documents=docs,
        fee_vnd=50_000, received_at=datetime(2026, 1, 5, 1, 30, tzinfo=UTC), due_date=date(2026, 1, 9),
        status="received", kiosk_id="kiosk-t1",
    )


def queue_ticket(job_id: str = "q-1") -> PrintQueueTicket:
    return PrintQueueTicket(job_id=job_id, number="A015", area_name="Tư pháp - Hộ tịch", people_ahead=3,
                            issued_at=datetime(2026, 1, 5, 2, 0, tzinfo=UTC))
