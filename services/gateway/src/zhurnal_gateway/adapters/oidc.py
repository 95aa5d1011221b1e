"""Keycloak as the OpenID provider: discovery, the token endpoint, logout, ID token checks.

Endpoints come from the realm's discovery document (``{issuer}/.well-known/openid-configuration``),
cached for ``discovery_cache_s``; a failed re-fetch keeps the last good document. Signatures are
checked with the kit's JWKS cache (``TokenVerifier``), whose key set URL is the document's
``jwks_uri``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import jwt

from zhurnal_kit.auth import TokenVerifier
from zhurnal_kit.errors import Unauthenticated, Unavailable

log = logging.getLogger(__name__)


class TokenRejected(Exception):
    """Keycloak refused a grant (bad code, refresh token of an ended session, disabled user)."""

    def __init__(self, error: str, description: str = "") -> None:
        super().__init__(f"{error}: {description}" if description else error)
        self.error = error


@dataclass(frozen=True)
class TokenSet:
    """What the token endpoint answered."""

    access_token: str
    refresh_token: str
    id_token: str
    expires_in: float


def pkce_verifier() -> str:
    """A fresh PKCE code verifier (43 characters, RFC 7636): it stays with us."""
    return secrets.token_urlsafe(32)


def pkce_s256(verifier: str) -> str:
    """The S256 code challenge of ``verifier``: it goes to Keycloak with the login."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class OidcClient:
    """The gateway as a confidential OIDC client of one Keycloak realm."""

    def __init__(
        self,
        issuer: str,
        client_id: str,
        client_secret: str,
        *,
        discovery_cache_s: float = 3600.0,
        timeout_s: float = 5.0,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self._client_secret = client_secret
        self._cache_s = discovery_cache_s
        self._http = http or httpx.AsyncClient(timeout=timeout_s)
        self._metadata: dict[str, Any] = {}
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()

    async def close(self) -> None:
        """Release the HTTP client."""
        await self._http.aclose()

    async def metadata(self) -> dict[str, Any]:
        """The discovery document (cached); Unavailable when it was never fetched."""
        if self._metadata and time.monotonic() - self._fetched_at < self._cache_s:
            return self._metadata
        async with self._lock:
            if self._metadata and time.monotonic() - self._fetched_at < self._cache_s:
                return self._metadata
            url = f"{self.issuer}/.well-known/openid-configuration"
            try:
                response = await self._http.get(url)
                response.raise_for_status()
                document: dict[str, Any] = dict(response.json())
            except (httpx.HTTPError, ValueError, TypeError) as exc:
                if self._metadata:
                    log.warning("discovery re-fetch failed, keeping the cached document")
                    return self._metadata
                raise Unavailable(f"cannot fetch the OIDC discovery document: {exc}") from None
            if str(document.get("issuer", "")).rstrip("/") != self.issuer:
                # A document for another issuer must never be trusted (mix-up).
                raise Unavailable("the discovery document names another issuer")
            self._metadata = document
            self._fetched_at = time.monotonic()
            return document

    async def endpoint(self, name: str) -> str:
        """``authorization_endpoint``, ``token_endpoint``, ... from the discovery document."""
        value = (await self.metadata()).get(name)
        if not value:
            raise Unavailable(f"the provider announces no {name}")
        return str(value)

    async def authorization_url(
        self, *, redirect_uri: str, state: str, nonce: str, code_challenge: str
    ) -> str:
        """Where to send the browser to log in (authorization code flow, PKCE S256)."""
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": redirect_uri,
                "scope": "openid profile email",
                "state": state,
                "nonce": nonce,
                "code_challenge": code_challenge,
                "code_challenge_method": "S256",
            }
        )
        return f"{await self.endpoint('authorization_endpoint')}?{query}"

    def _client_auth(self) -> dict[str, str]:
        # client_secret_basic; RFC 6749 2.3.1 wants both parts form-encoded first.
        pair = f"{quote(self.client_id, safe='')}:{quote(self._client_secret, safe='')}"
        return {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode("ascii")}

    async def _token_request(self, form: dict[str, str]) -> TokenSet:
        url = await self.endpoint("token_endpoint")
        try:
            response = await self._http.post(url, data=form, headers=self._client_auth())
        except httpx.HTTPError as exc:
            raise Unavailable(f"the token endpoint cannot be reached: {exc}") from None
        if response.status_code >= 500:
            raise Unavailable(f"the token endpoint answered HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code != 200:
            raise TokenRejected(
                str(body.get("error", f"http_{response.status_code}")),
                str(body.get("error_description", "")),
            )
        try:
            return TokenSet(
                access_token=str(body["access_token"]),
                refresh_token=str(body["refresh_token"]),
                id_token=str(body.get("id_token", "")),
                expires_in=float(body.get("expires_in", 60)),
            )
        except KeyError as exc:
            raise TokenRejected("invalid_response", f"no {exc} in the token response") from None

    async def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str) -> TokenSet:
        """Redeem an authorization code (with the PKCE verifier and the client secret)."""
        return await self._token_request(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": code_verifier,
            }
        )

    async def refresh(self, refresh_token: str) -> TokenSet:
        """A refresh grant: TokenRejected when Keycloak no longer honours the session."""
        return await self._token_request(
            {"grant_type": "refresh_token", "refresh_token": refresh_token}
        )

    async def logout(self, refresh_token: str) -> bool:
        """End the Keycloak session server to server (POST to the end-session endpoint).

        Keycloak ends the whole SSO session a confidential client's refresh token belongs to.
        True when Keycloak confirmed it (or the session was already gone).
        """
        try:
            url = await self.endpoint("end_session_endpoint")
            response = await self._http.post(
                url, data={"refresh_token": refresh_token}, headers=self._client_auth()
            )
        except (httpx.HTTPError, Unavailable) as exc:
            log.warning("back-channel logout failed", extra={"error": str(exc)})
            return False
        if response.status_code in (200, 204):
            return True
        if response.status_code == 400 and "invalid_grant" in response.text:
            return True  # the session had already ended at Keycloak
        log.warning("back-channel logout refused", extra={"status": response.status_code})
        return False

    async def end_session_url(self, *, id_token: str, post_logout_redirect_uri: str) -> str:
        """RP-initiated logout through the browser (the fallback when back-channel failed)."""
        query = urlencode(
            {
                "client_id": self.client_id,
                "id_token_hint": id_token,
                "post_logout_redirect_uri": post_logout_redirect_uri,
            }
        )
        return f"{await self.endpoint('end_session_endpoint')}?{query}"


class OidcTokenVerifier(TokenVerifier):
    """The kit's verifier (one JWKS cache for access and ID tokens), keys from ``jwks_uri``."""

    def __init__(self, oidc: OidcClient, *, cache_s: float = 300.0) -> None:
        super().__init__(oidc.issuer, cache_s=cache_s)
        self._oidc = oidc

    async def _refresh(self, *, force: bool) -> None:
        # Keycloak out of reach must not look like a bad token (that would end web sessions):
        # keep the keys we have and try again after min_refresh_s; with none, it is a 503.
        try:
            self._jwks_url = await self._oidc.endpoint("jwks_uri")
            await super()._refresh(force=force)
        except (httpx.HTTPError, Unavailable) as exc:
            if not self._keys:
                raise Unavailable(f"cannot fetch signing keys: {exc}") from None
            log.warning("jwks refresh failed, keeping the cached keys", extra={"error": str(exc)})
            self._fetched_at = time.monotonic() - self._cache_s + self._min_refresh_s

    async def verify_id_token(self, token: str, *, nonce: str) -> dict[str, Any]:
        """The claims of an ID token issued to us for this login (OIDC Core 3.1.3.7)."""
        audience = self._oidc.client_id
        try:
            header = jwt.get_unverified_header(token)
            key = await self._key(str(header.get("kid", "")))
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=["RS256"],
                issuer=self.issuer,
                audience=audience,
                leeway=30,
                options={"require": ["exp", "iat", "sub", "aud", "iss"]},
            )
        except jwt.PyJWTError as exc:
            raise Unauthenticated(f"invalid ID token: {exc}") from None
        except (httpx.HTTPError, Unavailable) as exc:
            raise Unavailable(f"cannot fetch signing keys: {exc}") from None
        if claims.get("typ", "ID") != "ID":
            raise Unauthenticated("not an ID token")
        if claims.get("azp", audience) != audience:
            raise Unauthenticated("ID token issued to another client")
        if not hmac.compare_digest(str(claims.get("nonce", "")), nonce):
            raise Unauthenticated("ID token nonce does not match the login")
        return claims
