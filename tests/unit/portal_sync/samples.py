"""Sample dossiers shared by the portal_sync tests (plain data, no I/O)."""
from __future__ import annotations

import uuid
from typing import Any


def dossier_json(code: str = "000.00.19.H47-260105-0001", documents: list[dict[str, Any]] | None = None,
                 **overrides: Any) -> dict[str, Any]:
    """A valid DossierData as JSON, in Vietnamese, with the given documents."""
    body: dict[str, Any] = {
        "code": code,
        "submission_id": str(uuid.uuid5(uuid.NAMESPACE_URL, code)),
        "agency_code": "000.00.19.H47",
        "agency_name": "UBND xã Bình Phú",
        "procedure_code": "1.001193",
        "procedure_name": "Đăng ký khai sinh",
        "applicant": {"id_number": "001092012345", "full_name": "Nguyễn Văn An", "date_of_birth": "1990-01-01",
                      "sex": "Nam", "address": "Thôn Lý Trường, Bình Phú, Thăng Bình, Quảng Nam",
                      "phone": "0905123456"},
        "form": {"ten_tre": "Nguyễn Thị Bình", "ngay_sinh_tre": "2026-01-01"},
        "documents": documents or [],
        "fee_vnd": 0,
        "received_at": "2026-01-05T02:00:00+00:00",
        "due_date": "2026-01-07",
        "status": "received",
        "kiosk_id": "kiosk-t1",
    }
    body.update(overrides)
    return body
