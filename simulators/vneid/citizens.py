"""The demo citizens the simulated VNeID knows (data/citizens.json) and the claims it issues for them."""
from __future__ import annotations

import json
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
