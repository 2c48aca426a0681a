"""Checks of VNeID login tokens, with keys made in the test."""
from __future__ import annotations

import base64
import json
import time
from datetime import date
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, OctKey, generate_key

from services.identity.tokens import Expectations, TokenRejected, read_header, verify

ISSUER = "http://vneid.test"
EXPECT = Expectations(issuer=ISSUER, audience="kiosk", accepted_acr=("level2",), leeway_s=5)
CCCD_QR = "049195003817||Trần Thị Bích Ngọc|22081995|Nữ|Thôn Lý Trường, Bình Phú, Thăng Bình, Quảng Nam|15082021"


def _key(kid: str | None = None) -> ECKey:
    params: dict[str, Any] = {"alg": "ES256", "use": "sig"} | ({"kid": kid} if kid else {})
    return generate_key("EC", "P-256", parameters=params, auto_kid=kid is None)


PROVIDER = _key()
KEYS = KeySet.import_key_set({"keys": [PROVIDER.as_dict(private=False)]})


def _claims(now: int | None = None, **over: Any) -> dict[str, Any]:
    now = int(time.time()) if now is None else now
    claims: dict[str, Any] = {
        "iss": ISSUER, "aud": "kiosk", "sub": "049195003817", "iat": now, "nbf": now, "exp": now + 60,
        "jti": "j-" + str(now), "acr": "level2", "name": "Trần Thị Bích Ngọc", "birthdate": "1995-08-22",
        "gender": "female", "address": {"formatted": "Thôn Lý Trường, xã Bình Phú, huyện Thăng Bình, tỉnh Quảng Nam"},
        "phone_number": "0935218467", "id_number": "049195003817",
    }
    claims.update(over)
    return {k: v for k, v in claims.items() if v is not None}


def _sign(claims: dict[str, Any], key: ECKey = PROVIDER, kid: str | None = "provider") -> str:
    header = {"alg": "ES256", "kid": PROVIDER.kid if kid == "provider" else kid}
    if kid is None:
        header.pop("kid")
    return jwt.encode(header, claims, key, algorithms=["ES256"])


def _reason(text: str, keys: KeySet = KEYS) -> str:
    with pytest.raises(TokenRejected) as info:
        verify(text, keys, EXPECT, now=int(time.time()))
    return info.value.reason


def test_a_good_token_gives_the_citizen_from_its_claims() -> None:
    """A fresh token signed by the provider yields the citizen, its jti and when it stops mattering."""
    now = int(time.time())
    login = verify(_sign(_claims(now)), KEYS, EXPECT, now=now)
    c = login.citizen
    assert (c.id_number, c.full_name, c.sex, c.date_of_birth) == ("049195003817", "Trần Thị Bích Ngọc", "Nữ", date(1995, 8, 22))
    assert c.address.startswith("Thôn Lý Trường") and c.phone == "0935218467"
    assert login.jti == f"j-{now}" and int(login.expires_at.timestamp()) == now + 60 + EXPECT.leeway_s


@pytest.mark.parametrize("text", ["hello", CCCD_QR, "", "a.b", "https://dichvucong.gov.vn/p/home/dvc-trang-chu.html",
                                  "!!!.@@@.###", "Zm9v.YmFy.YmF6"])
def test_text_that_is_not_a_jws_is_not_vneid(text: str) -> None:
    """Garbage, a CCCD card QR, a URL or base64 that is not a JWS header are refused as not_vneid."""
    assert _reason(text) == "not_vneid"


def test_a_token_signed_by_another_key_under_the_provider_kid_has_a_bad_signature() -> None:
    """A forgery that claims the provider's kid but is signed with another key fails the signature check."""
    assert _reason(_sign(_claims(), key=_key())) == "bad_signature"


def test_a_token_naming_a_key_the_provider_does_not_publish_is_unknown_key() -> None:
    """A token signed with a key the JWKS does not hold is refused as unknown_key."""
    other = _key("attacker")
    assert _reason(_sign(_claims(), key=other, kid="attacker")) == "unknown_key"
    assert _reason(_sign(_claims(), kid=None)) == "unknown_key"


def test_a_tampered_payload_breaks_the_signature() -> None:
    """Changing a claim after signing (here the name) is caught by the signature."""
    head, _, sig = _sign(_claims()).split(".")
    body = base64.urlsafe_b64encode(json.dumps(_claims(name="Kẻ Giả Mạo")).encode()).rstrip(b"=").decode()
    assert _reason(f"{head}.{body}.{sig}") == "bad_signature"


def test_algorithm_none_and_hmac_are_refused() -> None:
    """alg=none and HS256 (the public key used as a shared secret) are never accepted."""
    hs = jwt.encode({"alg": "HS256", "kid": PROVIDER.kid}, _claims(), OctKey.generate_key(256), algorithms=["HS256"])
    none = base64.urlsafe_b64encode(json.dumps({"alg": "none"}).encode()).rstrip(b"=").decode()
    body = base64.urlsafe_b64encode(json.dumps(_claims()).encode()).rstrip(b"=").decode()
    assert _reason(hs) == "bad_signature"
    assert _reason(f"{none}.{body}.x") == "bad_signature"


def test_expired_and_not_yet_valid_tokens_are_expired() -> None:
    """A token past exp (beyond the leeway) or not valid yet is refused as expired."""
    now = int(time.time())
    assert _reason(_sign(_claims(now - 120))) == "expired"
    assert _reason(_sign(_claims(now + 120))) == "expired"


def test_leeway_tolerates_small_clock_skew() -> None:
    """A token that expired 2 s ago by the provider's clock still passes with a 5 s leeway."""
    now = int(time.time())
    assert verify(_sign(_claims(now - 62)), KEYS, EXPECT, now=now).citizen.id_number == "049195003817"


@pytest.mark.parametrize("over", [{"aud": "another-app"}, {"iss": "http://evil.test"}, {"aud": None}])
def test_wrong_issuer_or_audience_is_wrong_audience(over: dict[str, Any]) -> None:
    """A token for another relying party, from another issuer, or with no audience is wrong_audience."""
    assert _reason(_sign(_claims(**over))) == "wrong_audience"


@pytest.mark.parametrize("over", [
    {"id_number": "049195003818"}, {"gender": "other"}, {"birthdate": "22/08/1995"}, {"name": ""},
    {"jti": None}, {"acr": "level1"}, {"sub": "12"}, {"gender": ["female"]},
])
def test_missing_or_invalid_identity_claims_are_invalid_claims(over: dict[str, Any]) -> None:
    """Identity claims that do not make a valid citizen, a level-1 account, or no jti: invalid_claims."""
    assert _reason(_sign(_claims(**over))) == "invalid_claims"


def test_a_token_living_for_days_is_not_a_login_code() -> None:
    """A token whose expiry is far in the future is refused."""
    now = int(time.time())
    assert _reason(_sign(_claims(now, exp=now + 10 * 86400))) == "invalid_claims"


def test_invalid_claims_detail_names_fields_but_not_values() -> None:
    """The detail of an invalid-claims refusal carries no personal data (it is logged and published)."""
    with pytest.raises(TokenRejected) as info:
        verify(_sign(_claims(birthdate="not-a-date-Trần")), KEYS, EXPECT, now=int(time.time()))
    assert "date_of_birth" in info.value.detail and "Trần" not in info.value.detail


def test_read_header_returns_alg_and_kid() -> None:
    """The header of a provider token names ES256 and the provider's kid."""
    header = read_header("  " + _sign(_claims()) + "\n")
    assert (header.alg, header.kid) == ("ES256", PROVIDER.kid)
