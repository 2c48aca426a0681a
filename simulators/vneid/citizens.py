"""The demo citizens the simulated VNeID knows (data/citizens.json) and the claims it issues for them."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from shared.messages import Citizen

# OIDC's standard "gender" values (OpenID Connect Core 1.0, section 5.1).
GENDER = {"Nam": "male", "Nữ": "female"}


def load(path: Path) -> dict[str, Citizen]:
    """id_number -> Citizen, validated by the shared contract."""
    rows = json.loads(path.read_text(encoding="utf-8"))
    citizens = [Citizen.model_validate(row) for row in rows]
    return {c.id_number: c for c in citizens}


def synthetic(n: int) -> dict[str, Citizen]:
    """n generated citizens with well-formed ID numbers (province 049, born 1980-1999), for load tests."""
    out = {}
    for i in range(n):
        year, female = 1980 + i % 20, i % 2 == 1
        # 3 digits province, 1 digit sex/century (0 male / 1 female, 1900s), 2 digits year, 6 digits serial.
        id_number = f"049{1 if female else 0}{year % 100:02d}{900000 + i:06d}"
        out[id_number] = Citizen(id_number=id_number, full_name=f"Công Dân Thử {i + 1}",
                                 date_of_birth=date(year, 1 + i % 12, 1 + i % 28), sex="Nữ" if female else "Nam",
                                 address="Thôn Lý Trường, xã Bình Phú, thành phố Đà Nẵng", phone=f"09{i:08d}")
    return out


def identity_claims(c: Citizen) -> dict[str, Any]:
    """The OIDC-style identity claims of a login token."""
    return {
        "name": c.full_name,
        "birthdate": c.date_of_birth.isoformat(),
        "gender": GENDER[c.sex],
        "address": {"formatted": c.address},
        "phone_number": c.phone,
        "id_number": c.id_number,
    }


def mask_phone(phone: str) -> str:
    """0912345645 -> 09******45: the citizen recognises their number, a bystander learns little."""
    if len(phone) <= 4:
        return "*" * len(phone)
    return phone[:2] + "*" * (len(phone) - 4) + phone[-2:]
