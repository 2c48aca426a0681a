"""Adapter for the Public Service Portal's REST API (the simulator or the real one, same contract)."""
from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import aiohttp
from pydantic import ValidationError

from services.portal_sync.delivery import PortalChange
from shared.messages import DossierData


class PortalError(Exception):
    """The portal answered, but not with success (or not with what the contract says)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"portal answered {status}: {detail[:300]}")
        self.status = status


class PortalClient:
    """The few REST calls portal_sync makes; one aiohttp session, bearer token, timeouts everywhere."""

    def __init__(self, base_url: str, token: str = "", *, timeout_s: float = 10.0,
                 document_timeout_s: float = 120.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._document_timeout = aiohttp.ClientTimeout(total=document_timeout_s, sock_connect=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        # Created on first use, inside the running loop (a session must not outlive its loop).
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(headers=self._headers, timeout=self._timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def submit_dossier(self, dossier: DossierData, idempotency_key: str) -> str:
        """POST the dossier; returns the portal's ref. "Already have it" (200 duplicate) is success."""
        body = json.dumps(dossier.model_dump(mode="json"), ensure_ascii=False).encode("utf-8")
        async with self._http().post(f"{self.base_url}/api/v1/dossiers", data=body, headers={
                "Idempotency-Key": idempotency_key, "Content-Type": "application/json; charset=utf-8"}) as resp:
            data = await _json(resp, expected=(200, 201))
        ref = data.get("ref")
        if not isinstance(ref, str) or not ref:
            raise PortalError(resp.status, "answer without a ref")
        return ref

    async def put_document(self, dossier_code: str, document_key: str, content: bytes, sha256: str) -> None:
        url = f"{self.base_url}/api/v1/dossiers/{quote(dossier_code, safe='')}/documents/{quote(document_key, safe='')}"
        async with self._http().put(url, data=content, timeout=self._document_timeout, headers={
                "X-Content-SHA256": sha256, "Content-Type": "application/pdf"}) as resp:
            await _json(resp, expected=(200, 201))

    async def changes(self, after: int, limit: int = 100) -> list[PortalChange]:
        """The change feed after `after`, seq ascending."""
        async with self._http().get(f"{self.base_url}/api/v1/changes",
                                    params={"after": str(after), "limit": str(limit)}) as resp:
            data = await _json(resp, expected=(200,))
        try:
            return [PortalChange.model_validate(c) for c in data["changes"]]
        except (KeyError, TypeError, ValidationError) as exc:
            raise PortalError(resp.status, f"malformed change feed: {exc}") from exc

    async def ping(self, timeout_s: float = 2.0) -> bool:
        """Whether the portal answers its API right now (for health; never raises)."""
        try:
            async with self._http().get(f"{self.base_url}/api/v1/changes", params={"after": "0", "limit": "1"},
                                        timeout=aiohttp.ClientTimeout(total=timeout_s)) as resp:
                return resp.status == 200
        except (TimeoutError, aiohttp.ClientError):
            return False


async def _json(resp: aiohttp.ClientResponse, *, expected: tuple[int, ...]) -> dict[str, Any]:
    text = await resp.text(errors="replace")
    if resp.status not in expected:
        raise PortalError(resp.status, text)
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise PortalError(resp.status, f"answer is not JSON: {text[:100]!r}") from exc
    if not isinstance(data, dict):
        raise PortalError(resp.status, "answer is not a JSON object")
    return data
