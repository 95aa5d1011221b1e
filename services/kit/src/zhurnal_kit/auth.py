"""Callers and their tokens: Keycloak access tokens verified locally against the realm's JWKS.

Keys are cached and fetched again only when a token names a key id we do not know (Keycloak
rotated its keys), at most once per ``min_refresh_s``: no call to Keycloak per request.
"""

from __future__ import annotations

import asyncio
import logging
import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt

from zhurnal_kit.errors import Unauthenticated

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Caller:
    """Who is calling: a person (from their token) or a service account."""

    subject: str
    username: str = ""
    roles: frozenset[str] = field(default_factory=frozenset)
    token: str = field(default="", repr=False)

    def has_role(self, *roles: str) -> bool:
        """True when the caller holds any of ``roles`` (realm roles)."""
        return bool(self.roles.intersection(roles))


ANONYMOUS = Caller(subject="")
current_caller: ContextVar[Caller] = ContextVar("current_caller", default=ANONYMOUS)


class TokenVerifier:
    """Verifies RS256 access tokens of one Keycloak realm."""

    def __init__(
        self,
        issuer: str,
        *,
        jwks_url: str | None = None,
        cache_s: float = 300.0,
        min_refresh_s: float = 10.0,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.issuer = issuer.rstrip("/")
        self._jwks_url = jwks_url or f"{self.issuer}/protocol/openid-connect/certs"
        self._cache_s = cache_s
        self._min_refresh_s = min_refresh_s
        self._http = http or httpx.AsyncClient(timeout=5.0)
        self._keys: dict[str, Any] = {}
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()

    async def close(self) -> None:
        """Release the HTTP client."""
        await self._http.aclose()

    async def _refresh(self, *, force: bool) -> None:
        async with self._lock:
            age = time.monotonic() - self._fetched_at
            if (force and age < self._min_refresh_s) or (not force and age < self._cache_s):
                return
            response = await self._http.get(self._jwks_url)
            response.raise_for_status()
            keys = {}
            for jwk in response.json().get("keys", []):
                if jwk.get("use", "sig") == "sig" and jwk.get("kty") == "RSA":
                    keys[jwk["kid"]] = jwt.PyJWK(jwk).key
            self._keys = keys
            self._fetched_at = time.monotonic()
            log.info("jwks refreshed", extra={"keys": len(keys)})

    async def _key(self, kid: str) -> Any:
        await self._refresh(force=False)
        if kid not in self._keys:
            await self._refresh(force=True)
        try:
            return self._keys[kid]
        except KeyError:
            raise Unauthenticated("token signed with an unknown key") from None

    async def verify(self, token: str) -> Caller:
        """The caller the token proves, or Unauthenticated."""
        try:
            header = jwt.get_unverified_header(token)
            key = await self._key(str(header.get("kid", "")))
            claims = jwt.decode(
                token,
                key=key,
                algorithms=["RS256"],
                issuer=self.issuer,
                options={"verify_aud": False, "require": ["exp", "iat", "sub"]},
            )
        except jwt.PyJWTError as exc:
            raise Unauthenticated(f"invalid token: {exc}") from None
        except httpx.HTTPError as exc:
            raise Unauthenticated(f"cannot fetch signing keys: {exc}") from None
        if claims.get("typ", "Bearer") != "Bearer":
            raise Unauthenticated("not an access token")
        roles = frozenset(claims.get("realm_access", {}).get("roles", []))
        return Caller(
            subject=str(claims["sub"]),
            username=str(claims.get("preferred_username", "")),
            roles=roles,
            token=token,
        )
