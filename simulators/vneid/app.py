"""The simulated VNeID: an OIDC-style identity provider with signed login QR tokens and SMS codes.

    GET  /.well-known/openid-configuration   discovery document (issuer, jwks_uri, ...)
    GET  /.well-known/jwks.json              the public signing key (JWKS, kid set)
    GET  /api/citizens                       the demo citizens (for `kiosk sim citizens`)
    POST /api/qr-token   {"id_number", "age_s"?}           -> {"token", "expires_in"}: what the app shows as a QR
    POST /api/notify/otp {"id_number", "code", "purpose"}  -> {"masked_phone"}: "sends" an SMS
    GET  /api/sim/otp/{id_number}            the last code "sent" to that citizen (simulator only)
    POST /api/sim/fail   {"mode": "down"|"ok"}             makes /api/notify/otp answer 503 (simulator only)

Sent codes live in memory; the signing key persists in var_dir/vneid/.
"""
from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from joserfc import jwt
from joserfc.jwk import ECKey

from shared.i18n import t
from shared.logging import get_logger, mask_id
from shared.messages import Citizen
from shared.settings import CommonSettings
from simulators.vneid import citizens, keys
from simulators.vneid.config import SimSettings

log = get_logger()
_CODE_RE = re.compile(r"^\d{6}$")
MAX_AGE_S = 86_400


@dataclass
class SentCode:
    code: str
    purpose: str
    sent_at: datetime
    sms_text: str


@dataclass
class SimState:
    issuer: str
    sim: SimSettings
    key: ECKey
    citizens: dict[str, Citizen]
    sent: dict[str, SentCode] = field(default_factory=dict)
    down: bool = False


STATE = web.AppKey("vneid_state", SimState)


def create_app(common: CommonSettings, sim: SimSettings | None = None) -> web.Application:
    """The simulator as an aiohttp application (started by `python -m simulators.vneid` or by tests)."""
    sim = sim or SimSettings()
    app = web.Application()
    app[STATE] = SimState(
        issuer=common.vneid_url.rstrip("/"), sim=sim,
        key=keys.load_or_create(keys.key_path(common.var_dir)),
        citizens={**citizens.load(common.data_dir / "citizens.json"), **citizens.synthetic(sim.synthetic_citizens)},
    )
    app.router.add_get("/.well-known/openid-configuration", discovery)
    app.router.add_get("/.well-known/jwks.json", jwks)
    app.router.add_get("/api/citizens", list_citizens)
    app.router.add_post("/api/qr-token", qr_token)
    app.router.add_post("/api/notify/otp", notify_otp)
    app.router.add_get("/api/sim/otp/{id_number}", last_code)
    app.router.add_post("/api/sim/fail", set_failure)
    return app


async def discovery(request: web.Request) -> web.Response:
    st = request.app[STATE]
    return web.json_response({
        "issuer": st.issuer,
        "jwks_uri": f"{st.issuer}/.well-known/jwks.json",
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [keys.ALGORITHM],
        "acr_values_supported": [st.sim.acr],
        "claims_supported": ["sub", "name", "birthdate", "gender", "address", "phone_number", "id_number"],
    })


async def jwks(request: web.Request) -> web.Response:
    key = request.app[STATE].key
    return web.json_response({"keys": [key.as_dict(private=False)]})


async def list_citizens(request: web.Request) -> web.Response:
    people = request.app[STATE].citizens.values()
    return web.json_response([c.model_dump(mode="json") for c in people])


async def qr_token(request: web.Request) -> web.Response:
    """Issue a login token for a citizen; `age_s` back-dates it (to show an expired code)."""
    st = request.app[STATE]
    body = await _body(request)
    citizen = _citizen(st, body.get("id_number"))
    age = body.get("age_s", 0)
    if not isinstance(age, int) or not 0 <= age <= MAX_AGE_S:
        raise _bad_request("age_s must be an integer from 0 to 86400")
    token = sign_login_token(st, citizen, issued_at=int(time.time()) - age)
    return web.json_response({"token": token, "expires_in": st.sim.token_ttl_s})


def sign_login_token(st: SimState, citizen: Citizen, *, issued_at: int) -> str:
    claims: dict[str, Any] = {
        "iss": st.issuer, "aud": st.sim.audience, "sub": citizen.id_number,
        "iat": issued_at, "nbf": issued_at, "exp": issued_at + st.sim.token_ttl_s,
        "jti": secrets.token_urlsafe(16), "acr": st.sim.acr, **citizens.identity_claims(citizen),
    }
    header = {"alg": keys.ALGORITHM, "kid": st.key.kid, "typ": "JWT"}
    return jwt.encode(header, claims, st.key, algorithms=[keys.ALGORITHM])


async def notify_otp(request: web.Request) -> web.Response:
    """"Send" a confirmation code by SMS to the citizen's phone and remember it."""
    st = request.app[STATE]
    if st.down:
        raise web.HTTPServiceUnavailable(text="SMS gateway unavailable (simulated)")
    body = await _body(request)
    citizen = _citizen(st, body.get("id_number"))
    code, purpose = body.get("code"), body.get("purpose", "")
    if not isinstance(code, str) or not _CODE_RE.match(code) or not isinstance(purpose, str):
        raise _bad_request("code must be 6 digits and purpose a string")
    text = t("identity.sms.otp", code=code)
    st.sent[citizen.id_number] = SentCode(code, purpose, datetime.now(UTC), text)
    log.info("vneid_sim.otp_sent", citizen=mask_id(citizen.id_number), purpose=purpose)
    return web.json_response({"masked_phone": citizens.mask_phone(citizen.phone)})


async def last_code(request: web.Request) -> web.Response:
    sent = request.app[STATE].sent.get(request.match_info["id_number"])
    if sent is None:
        raise web.HTTPNotFound(text="no code sent to this citizen")
    return web.json_response({"code": sent.code, "sent_at": sent.sent_at.isoformat(),
                              "purpose": sent.purpose, "sms_text": sent.sms_text})


async def set_failure(request: web.Request) -> web.Response:
    mode = (await _body(request)).get("mode")
    if mode not in ("down", "ok"):
        raise _bad_request('mode must be "down" or "ok"')
    request.app[STATE].down = mode == "down"
    return web.json_response({"mode": mode})


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError as exc:
        raise _bad_request("body must be JSON") from exc
    if not isinstance(body, dict):
        raise _bad_request("body must be a JSON object")
    return body


def _citizen(st: SimState, id_number: Any) -> Citizen:
    citizen = st.citizens.get(id_number) if isinstance(id_number, str) else None
    if citizen is None:
        raise web.HTTPNotFound(text="unknown citizen")
    return citizen


def _bad_request(reason: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=reason)
