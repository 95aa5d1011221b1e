"""Tokens are verified locally against the realm's JWKS; keys are re-fetched on rotation only."""

import time
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from zhurnal_kit.auth import TokenVerifier
from zhurnal_kit.errors import Unauthenticated

ISSUER = "http://keycloak.test/realms/zhurnal"


class FakeRealm:
    """A realm's JWKS endpoint (a fake of the Keycloak port) that counts its fetches."""

    def __init__(self) -> None:
        self.keys: dict[str, rsa.RSAPrivateKey] = {}
        self.fetches = 0
        self.rotate()

    def rotate(self) -> str:
        kid = f"k{len(self.keys)}"
        self.keys = {kid: rsa.generate_private_key(public_exponent=65537, key_size=2048)}
        return kid

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.fetches += 1
        jwks = []
        for kid, key in self.keys.items():
            jwk: dict[str, Any] = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
            jwks.append(jwk | {"kid": kid, "use": "sig", "alg": "RS256"})
        return httpx.Response(200, json={"keys": jwks})

    def token(self, **claims: Any) -> str:
        kid, key = next(iter(self.keys.items()))
        now = int(time.time())
        body = {
            "iss": ISSUER,
            "sub": "u-1",
            "iat": now,
            "exp": now + 300,
            "typ": "Bearer",
            "preferred_username": "anna",
            "realm_access": {"roles": ["teacher"]},
        } | claims
        return jwt.encode(body, key, algorithm="RS256", headers={"kid": kid})


@pytest.fixture
def realm() -> FakeRealm:
    return FakeRealm()


@pytest.fixture
def verifier(realm: FakeRealm) -> TokenVerifier:
    return TokenVerifier(
        ISSUER, http=httpx.AsyncClient(transport=httpx.MockTransport(realm.handler))
    )


async def test_a_valid_token_names_the_caller_and_roles(
    realm: FakeRealm, verifier: TokenVerifier
) -> None:
    caller = await verifier.verify(realm.token())
    assert caller.subject == "u-1" and caller.username == "anna"
    assert caller.has_role("teacher") and not caller.has_role("deputy")


async def test_keys_are_cached_between_requests(realm: FakeRealm, verifier: TokenVerifier) -> None:
    for _ in range(5):
        await verifier.verify(realm.token())
    assert realm.fetches == 1


async def test_a_rotated_key_is_fetched_once(realm: FakeRealm, verifier: TokenVerifier) -> None:
    await verifier.verify(realm.token())
    verifier._min_refresh_s = 0  # the rate limit on forced refreshes is not what is tested here
    realm.rotate()
    assert (await verifier.verify(realm.token())).subject == "u-1"
    assert realm.fetches == 2


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"iss": "http://evil/realms/zhurnal"}, "Invalid issuer"),
        ({"exp": int(time.time()) - 10}, "expired"),
        ({"typ": "Refresh"}, "not an access token"),
    ],
)
async def test_bad_tokens_are_refused(
    realm: FakeRealm, verifier: TokenVerifier, claims: dict[str, Any], reason: str
) -> None:
    with pytest.raises(Unauthenticated, match=reason):
        await verifier.verify(realm.token(**claims))


async def test_a_token_signed_by_another_key_is_refused(verifier: TokenVerifier) -> None:
    stranger = FakeRealm()
    stranger.keys = {"k0": rsa.generate_private_key(public_exponent=65537, key_size=2048)}
    with pytest.raises(Unauthenticated, match="Signature verification failed"):
        await verifier.verify(stranger.token())


async def test_garbage_is_refused(verifier: TokenVerifier) -> None:
    with pytest.raises(Unauthenticated, match="invalid token"):
        await verifier.verify("not.a.token")
