"""The VNeID provider over HTTP: its published keys, and the SMS it sends for us.

Endpoints come from configuration (KIOSK_IDENTITY_JWKS_URL, KIOSK_IDENTITY_VNEID_URL): the
simulator by default, the real provider in production.
"""
from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from services.identity.config import IdentitySettings
from services.identity.jwks import ProviderUnavailable
from shared.logging import get_logger

log = get_logger()
RETRY_PAUSE_S = 0.3


class SendRefused(Exception):
    """The provider will not send a code to this citizen (unknown, or the request was refused)."""


class VneidClient:
    def __init__(self, session: aiohttp.ClientSession, cfg: IdentitySettings) -> None:
        self.session, self.cfg = session, cfg

    async def fetch_jwks(self) -> dict[str, Any]:
        try:
            async with self.session.get(self.cfg.jwks_url) as resp:
                resp.raise_for_status()
                body = await resp.json(content_type=None)
        except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
            raise ProviderUnavailable(f"JWKS fetch failed: {type(exc).__name__}") from exc
        if not isinstance(body, dict):
            raise ProviderUnavailable("JWKS is not a JSON object")
        return body

    async def send_otp(self, id_number: str, code: str, purpose: str) -> str:
        """Ask the provider to text the code to the citizen's phone; returns the masked phone number.

        A refusal (4xx) is final; an outage is tried again once or twice, briefly, because the citizen
        is standing at the kiosk waiting.
        """
        attempts = self.cfg.otp_send_attempts
        for attempt in range(1, attempts + 1):
            try:
                return await self._post_otp(id_number, code, purpose)
            except ProviderUnavailable as exc:
                log.warning("otp.provider_unavailable", attempt=attempt, error=str(exc)[:300])
                if attempt == attempts:
                    raise
                await asyncio.sleep(RETRY_PAUSE_S * attempt)
        raise AssertionError("unreachable")

    async def _post_otp(self, id_number: str, code: str, purpose: str) -> str:
        url = f"{self.cfg.vneid_url.rstrip('/')}/api/notify/otp"
        body = {"id_number": id_number, "code": code, "purpose": purpose}
        try:
            async with self.session.post(url, json=body) as resp:
                if 400 <= resp.status < 500:
                    raise SendRefused(f"provider refused with HTTP {resp.status}")
                resp.raise_for_status()
                answer = await resp.json(content_type=None)
        except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
            raise ProviderUnavailable(f"OTP send failed: {type(exc).__name__}") from exc
        masked = answer.get("masked_phone") if isinstance(answer, dict) else None
        if not isinstance(masked, str):
            raise ProviderUnavailable("OTP answer has no masked_phone")
        return masked[:20]
