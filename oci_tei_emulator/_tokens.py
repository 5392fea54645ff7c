"""Session tokens: JWTs the emulator issues (``ST$<jwt>`` keyIds) and verifies.

Like OCI's security tokens (session, instance principal, resource principal), each token
carries the request-signing public key in its ``jwk`` claim (a JSON string) and the
tenancy in ``tenant``/``res_tenant``. Only tokens signed by this emulator's issuer key
verify; expiry follows ``exp`` and the scripted expiry windows.
"""

from __future__ import annotations

__all__ = ["TokenClaims", "TokenError", "TokenIssuer"]

import base64
import functools
import json
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from oci_tei_emulator._config import TokenExpiryWindow
from oci_tei_emulator._keys import generate_private_key

ISSUER = "authService.oracle.com"


class TokenError(Exception):
    """A session token that does not verify.

    Attributes:
        expired: True when the token is genuine but expired (by ``exp`` or a window).
    """

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


@dataclass(frozen=True)
class TokenClaims:
    """What a verified token says.

    Attributes:
        subject: the principal (user, instance or resource OCID).
        tenancy: the tenancy OCID.
        principal_type: ``user``, ``instance`` or ``resource``.
        public_key: the key its requests must be signed with.
        claims: every claim, as decoded.
    """

    subject: str
    tenancy: str
    principal_type: str
    public_key: rsa.RSAPublicKey
    claims: dict[str, Any]


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _uint_b64url(text: str) -> int:
    return int.from_bytes(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)), "big")


def jwk_of(public_key: rsa.RSAPublicKey, kid: str) -> dict[str, str]:
    """The JWK (RFC 7517) of an RSA public key, as OCI tokens embed it."""
    numbers = public_key.public_numbers()
    return {
        "kid": kid,
        "n": _b64url_uint(numbers.n),
        "e": _b64url_uint(numbers.e),
        "kty": "RSA",
        "alg": "RS256",
        "use": "sig",
    }


def public_key_of_jwk(jwk: object) -> rsa.RSAPublicKey:
    """Rebuild the RSA public key from a ``jwk`` claim (a JSON string or an object).

    Raises:
        TokenError: the claim is not an RSA JWK.
    """
    try:
        data = json.loads(jwk) if isinstance(jwk, str) else jwk
        if not isinstance(data, dict) or data.get("kty") != "RSA":
            raise TokenError("the token's jwk claim is not an RSA key")
        return rsa.RSAPublicNumbers(_uint_b64url(data["e"]), _uint_b64url(data["n"])).public_key()
    except (KeyError, TypeError, ValueError) as exc:
        raise TokenError(f"the token's jwk claim is malformed: {exc}") from None


class TokenIssuer:
    """Issues and verifies this emulator's session tokens; thread-safe.

    Args:
        windows: scripted expiry windows, in seconds after ``epoch``.
        epoch: the wall-clock time the windows count from (the emulator's start).
    """

    def __init__(self, windows: Iterable[TokenExpiryWindow] = (), epoch: float | None = None):
        self._lock = threading.Lock()
        self._issued: dict[str, float] = {}
        self._cutoff = float("-inf")
        self._epoch = time.time() if epoch is None else epoch
        self._windows = list(windows)

    def __repr__(self) -> str:
        return f"TokenIssuer(issued={len(self._issued)})"

    # The key is made on first use: most emulators never issue a token, and an RSA key
    # costs tens of milliseconds of CPU.
    @functools.cached_property
    def _key(self) -> rsa.RSAPrivateKey:
        return generate_private_key()

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        """The public half of the key that signs this emulator's session tokens."""
        return self._key.public_key()

    def issue(
        self,
        public_key: rsa.RSAPublicKey,
        *,
        subject: str,
        tenancy: str,
        principal_type: str = "user",
        ttl_s: float = 3600.0,
        extra_claims: dict[str, Any] | None = None,
    ) -> str:
        """Issue a token whose requests must be signed with ``public_key``'s private key.

        Args:
            public_key: the session (request-signing) public key.
            subject: the principal OCID (``sub``).
            tenancy: the tenancy OCID.
            principal_type: ``user``, ``instance`` or ``resource`` (``ptype``).
            ttl_s: lifetime in seconds.
            extra_claims: more claims (e.g. ``res_compartment``).

        Returns:
            The compact JWT (without the ``ST$`` prefix).
        """
        if ttl_s <= 0:
            raise ValueError("ttl_s must be positive")
        now = time.time()
        jti = uuid.uuid4().hex
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": "oci",
            "sub": subject,
            "iat": int(now),
            "exp": int(now + ttl_s),
            "jti": jti,
            "ttype": "x509" if principal_type == "instance" else "login",
            "ptype": principal_type,
            "tenant": tenancy,
            "res_tenant": tenancy,
            "sess_exp": int(now + ttl_s),
            "jwk": json.dumps(jwk_of(public_key, kid=jti), separators=(",", ":")),
            **(extra_claims or {}),
        }
        with self._lock:
            self._issued[jti] = now
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": "asw"})

    def expire_all(self) -> None:
        """Report every token issued until now as expired from now on."""
        with self._lock:
            self._cutoff = time.time()

    def verify(self, token: str) -> TokenClaims:
        """Verify a token's signature, expiry and scripted expiry.

        Raises:
            TokenError: not issued here, malformed, or expired (``expired=True``).
        """
        try:
            claims = jwt.decode(
                token,
                self.public_key,
                algorithms=["RS256"],
                audience="oci",
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "jti", "jwk"]},
            )
        except jwt.ExpiredSignatureError:
            raise TokenError("the security token has expired", expired=True) from None
        except jwt.PyJWTError as exc:
            raise TokenError(f"the security token is not valid: {exc}") from None
        with self._lock:
            issued_at = self._issued.get(claims["jti"])
        if issued_at is None:
            raise TokenError("the security token was not issued by this emulator")
        if self._scripted_expired(issued_at):
            raise TokenError("the security token has expired", expired=True)
        return TokenClaims(
            subject=str(claims["sub"]),
            tenancy=str(claims.get("tenant", "")),
            principal_type=str(claims.get("ptype", "user")),
            public_key=public_key_of_jwk(claims["jwk"]),
            claims=claims,
        )

    def _scripted_expired(self, issued_at: float) -> bool:
        now = time.time()
        if issued_at <= self._cutoff:
            return True
        for window in self._windows:
            opens = self._epoch + window.start_s
            if opens <= now < self._epoch + window.end_s and issued_at < opens:
                return True
        return False
