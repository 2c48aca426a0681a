"""Checks of a VNeID login token read from a QR code (no I/O: the caller brings the provider's keys).

A login token is a compact JWS (RFC 7515) signed ES256 by the provider, with OIDC-style claims:
iss, aud, sub, iat, nbf, exp, jti, acr, and the identity claims name, birthdate, gender, address,
phone_number, id_number. Every way a QR can fail maps to one reason of CitizenAuthenticationFailed;
`detail` is technical and carries no personal data (it ends up in logs and on the bus).
"""
from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    InvalidKeyIdError,
    InvalidPayloadError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet
from pydantic import ValidationError

from shared.messages import Citizen

ALGORITHMS = ["ES256"]
_COMPACT_JWS = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")
_SEX = {"male": "Nam", "female": "Nữ"}
MAX_JTI = 128
MAX_LIFETIME_S = 3600


class TokenRejected(Exception):
    """The QR is not an acceptable login token; `reason` is a CitizenAuthenticationFailed reason."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail = reason, detail


@dataclass(frozen=True)
class Header:
    alg: str
    kid: str | None


@dataclass(frozen=True)
class Expectations:
    """What we require of a token besides a good signature."""

    issuer: str
    audience: str
    accepted_acr: tuple[str, ...] = ("level2",)
    leeway_s: int = 5


@dataclass(frozen=True)
class VerifiedLogin:
    citizen: Citizen
    jti: str
    expires_at: datetime


def read_header(text: str) -> Header:
    """The JWS header of a QR text, or TokenRejected("not_vneid") if the text is not a compact JWS."""
    text = text.strip()
    if not _COMPACT_JWS.match(text):
        raise TokenRejected("not_vneid", "not a compact JWS")
    try:
        raw = text.split(".", 1)[0]
        header = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (binascii.Error, ValueError) as exc:
        raise TokenRejected("not_vneid", "JWS header is not base64url JSON") from exc
    if not isinstance(header, dict) or not isinstance(header.get("alg"), str):
        raise TokenRejected("not_vneid", "JWS header has no alg")
    kid = header.get("kid")
    return Header(alg=header["alg"], kid=kid if isinstance(kid, str) else None)


def verify(text: str, keys: KeySet, expect: Expectations, now: int) -> VerifiedLogin:
    """Check signature, issuer, audience, times and identity claims; everything but single use."""
    header = read_header(text)
    claims = _verified_claims(text.strip(), header, keys)
    _check_registered_claims(claims, expect, now)
    citizen = citizen_from_claims(claims)
    return VerifiedLogin(citizen=citizen, jti=claims["jti"],
                         expires_at=datetime.fromtimestamp(claims["exp"] + expect.leeway_s, UTC))


def _verified_claims(text: str, header: Header, keys: KeySet) -> dict[str, Any]:
    # Only the provider's algorithm: never "none", never HS256 with the public key as a secret.
    if header.alg not in ALGORITHMS:
        raise TokenRejected("bad_signature", f"algorithm {header.alg[:20]!r} not accepted")
    if header.kid is None:
        raise TokenRejected("unknown_key", "token names no key (kid)")
    try:
        key = keys.get_by_kid(header.kid)
    except InvalidKeyIdError as exc:
        raise TokenRejected("unknown_key", "no provider key with this kid") from exc
    try:
        return jwt.decode(text, key, algorithms=ALGORITHMS).claims
    except BadSignatureError as exc:
        raise TokenRejected("bad_signature", "signature does not verify") from exc
    except InvalidPayloadError as exc:
        raise TokenRejected("invalid_claims", "payload is not a JSON object") from exc
    except (JoseError, ValueError) as exc:
        raise TokenRejected("bad_signature", f"malformed JWS ({type(exc).__name__})") from exc


def _check_registered_claims(claims: dict[str, Any], expect: Expectations, now: int) -> None:
    registry = jwt.JWTClaimsRegistry(
        now=now, leeway=expect.leeway_s,
        iss={"essential": True, "value": expect.issuer},
        aud={"essential": True, "value": expect.audience},
        exp={"essential": True}, iat={"essential": True}, sub={"essential": True}, jti={"essential": True},
        acr={"essential": True, "values": list(expect.accepted_acr)},
    )
    try:
        registry.validate(claims)
    except ExpiredTokenError as exc:
        raise TokenRejected("expired", "token has expired") from exc
    except MissingClaimError as exc:
        names = set(exc.claim.split(","))
        reason = "wrong_audience" if names & {"iss", "aud"} else "invalid_claims"
        raise TokenRejected(reason, f"missing claims: {exc.claim}") from exc
    except InvalidClaimError as exc:
        raise TokenRejected(_invalid_claim_reason(exc.claim), f"invalid claim: {exc.claim}") from exc
    if len(claims["jti"]) > MAX_JTI:
        raise TokenRejected("invalid_claims", "jti too long")
    # A login code lives about a minute; one valid for days is not a VNeID login code.
    if claims["exp"] - now > MAX_LIFETIME_S:
        raise TokenRejected("invalid_claims", "token lifetime too long")


def _invalid_claim_reason(claim: str) -> str:
    if claim in ("iss", "aud"):
        return "wrong_audience"
    if claim in ("nbf", "iat"):  # not valid yet: for the citizen, the same as a code that is not valid now
        return "expired"
    return "invalid_claims"


def citizen_from_claims(claims: dict[str, Any]) -> Citizen:
    """The citizen a token speaks for, from its OIDC-style identity claims."""
    if claims.get("id_number") != claims.get("sub"):
        raise TokenRejected("invalid_claims", "id_number differs from sub")
    gender, address = claims.get("gender"), claims.get("address", "")
    if isinstance(address, dict):
        address = address.get("formatted", "")
    try:
        return Citizen(
            id_number=claims.get("id_number"), full_name=claims.get("name"),
            date_of_birth=claims.get("birthdate"), sex=_SEX.get(gender) if isinstance(gender, str) else None,  # type: ignore[arg-type]
            address=address, phone=claims.get("phone_number", ""),
        )
    except ValidationError as exc:
        # Field names only: pydantic's messages quote the values, which are personal data.
        fields = sorted({".".join(str(p) for p in e["loc"]) for e in exc.errors()})
        raise TokenRejected("invalid_claims", f"identity claims invalid: {', '.join(fields)}") from exc
