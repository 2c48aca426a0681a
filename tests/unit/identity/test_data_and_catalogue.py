"""The demo citizens are consistent, and every refusal the service emits has a Vietnamese message."""
from __future__ import annotations

import json
import typing
import unicodedata
from datetime import date

from services.identity.id_number import inconsistencies
from shared.i18n import t
from shared.messages import Citizen, CitizenAuthenticationFailed, OtpRejected
from shared.settings import REPO_ROOT

CITIZENS = REPO_ROOT / "data" / "citizens.json"


def test_demo_citizens_are_valid_and_their_id_numbers_agree_with_birth_and_sex() -> None:
    """Each demo citizen fits the contract, is NFC, and has an ID whose sex/century and year digits agree."""
    raw = CITIZENS.read_text(encoding="utf-8")
    assert raw == unicodedata.normalize("NFC", raw)
    people = [Citizen.model_validate(row) for row in json.loads(raw)]
    assert len(people) >= 6 and len({p.id_number for p in people}) == len(people)
    for p in people:
        assert inconsistencies(p.id_number, p.date_of_birth, p.sex) == [], p.id_number
        assert p.phone.isdigit() and len(p.phone) == 10
    assert any(p.date_of_birth.year < 1950 for p in people)
    assert any(p.sex == "Nữ" for p in people) and any(p.date_of_birth.year >= 2000 for p in people)


def test_id_number_checker_catches_mismatches() -> None:
    """A wrong sex digit, a wrong century or wrong year digits are reported."""
    assert inconsistencies("001092012345", date(1992, 5, 14), "Nam") == []
    assert inconsistencies("001092012345", date(1992, 5, 14), "Nữ") == ["sex/century digit"]
    assert inconsistencies("001292012345", date(1992, 5, 14), "Nam") == ["sex/century digit"]
    assert inconsistencies("001090012345", date(1992, 5, 14), "Nam") == ["year digits"]
    assert inconsistencies("049301004468", date(2001, 12, 5), "Nữ") == []


def test_every_refusal_reason_has_a_message() -> None:
    """Each reason in the contracts has a Vietnamese message in the identity catalogue."""
    login = typing.get_args(CitizenAuthenticationFailed.model_fields["reason"].annotation)
    codes = typing.get_args(OtpRejected.model_fields["reason"].annotation)
    for reason in login:
        assert t(f"identity.auth_failed.{reason}")
    for reason in codes:
        assert t(f"identity.otp.rejected.{reason}", attempts_left=3, locked_until="10:15")
    assert "09******45" in t("identity.otp.sent", masked_phone="09******45")


def test_synthetic_load_test_citizens_have_consistent_id_numbers() -> None:
    """The VNeID simulator's generated citizens (for benchmarks) have ID numbers agreeing with birth year and sex."""
    from services.identity.id_number import inconsistencies
    from simulators.vneid.citizens import synthetic

    people = synthetic(40)
    assert len(people) == 40
    assert all(inconsistencies(c.id_number, c.date_of_birth, c.sex) == [] for c in people.values())
