"""Server side of OCI request signing (draft-cavage HTTP signatures, ``rsa-sha256``).

A request is accepted only if it is signed the way the real ``oci`` SDK signs it:
``date (request-target) host`` always, plus ``content-length content-type x-content-sha256``
on POST/PUT/PATCH except for the binary uploads the SDK signs without body headers
(PutObject, UploadPart, CreateModelArtifact). The body hash is recomputed from the bytes
received, ``date`` must lie within the clock skew, and the ``keyId`` must name a trusted
API key (``tenancy/user/fingerprint``) or carry a token this emulator issued (``ST$<jwt>``).
"""

from __future__ import annotations

__all__ = [
    "KeyResolver",
    "Principal",
    "SignatureError",
    "SignatureParams",
    "SignatureVerifier",
    "SignedRequest",
]

import base64
import email.utils
import hashlib
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from oci_tei_emulator._keys import fingerprint
from oci_tei_emulator._tokens import TokenError, TokenIssuer

GENERIC_HEADERS = ("date", "(request-target)", "host")
BODY_HEADERS = ("content-length", "content-type", "x-content-sha256")
_PARAM = re.compile(r'([A-Za-z]+)="([^"]*)"')


class SignatureError(Exception):
    """A request whose signature does not verify.

    Attributes:
        expired_token: the keyId carried a genuine but expired session token.
    """

    def __init__(self, message: str, *, expired_token: bool = False) -> None:
        super().__init__(message)
        self.expired_token = expired_token


@dataclass(frozen=True)
class Principal:
    """Who signed a request.

    Attributes:
        kind: ``api_key``, ``session`` (``ST$`` token: user session, instance or resource
            principal) or ``x509`` (an instance certificate, federation only).
        key_id: the signature's keyId (tokens elided).
        subject: user, instance or resource OCID.
        tenancy: tenancy OCID.
        principal_type: for tokens, the token's ``ptype``.
    """

    kind: str
    key_id: str
    subject: str
    tenancy: str
    principal_type: str = "user"


@dataclass(frozen=True)
class SignedRequest:
    """The parts of a received request that a signature covers.

    Attributes:
        method: HTTP method.
        target: path and query exactly as received (``(request-target)``).
        headers: received headers; lookups must be case-insensitive.
        body: the body bytes received.
        body_length: the body length, when the body was streamed elsewhere (not in ``body``).
        body_sha256: the body's SHA-256, likewise.
    """

    method: str
    target: str
    headers: Mapping[str, str]
    body: bytes = b""
    body_length: int | None = None
    body_sha256: bytes | None = None

    @property
    def length(self) -> int:
        """Bytes in the body received."""
        return len(self.body) if self.body_length is None else self.body_length

    @property
    def sha256(self) -> bytes:
        """SHA-256 of the body received."""
        if self.body_sha256 is not None:
            return self.body_sha256
        return hashlib.sha256(self.body).digest()


@dataclass
class SignatureParams:
    """The fields of an ``Authorization: Signature ...`` header."""

    key_id: str
    algorithm: str
    headers: list[str]
    signature: bytes
    version: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


def parse_authorization(value: str) -> SignatureParams:
    """Parse a draft-cavage ``Authorization`` header.

    Raises:
        SignatureError: not a well-formed ``Signature`` header.
    """
    scheme, _, rest = value.strip().partition(" ")
    if scheme != "Signature":
        raise SignatureError("the Authorization header is not an OCI request signature")
    params = dict(_PARAM.findall(rest))
    missing = [p for p in ("keyId", "algorithm", "signature") if p not in params]
    if missing:
        raise SignatureError(f"the signature lacks {', '.join(missing)}")
    try:
        signature = base64.b64decode(params["signature"], validate=True)
    except ValueError:
        raise SignatureError("the signature is not base64") from None
    return SignatureParams(
        key_id=params["keyId"],
        algorithm=params["algorithm"],
        headers=params.get("headers", "date").lower().split(),
        signature=signature,
        version=params.get("version"),
    )


def signing_string(request: SignedRequest, names: Iterable[str]) -> bytes:
    """The string a signature covers, built from the received request.

    Raises:
        SignatureError: a named header is absent.
    """
    lower = {k.lower(): v for k, v in request.headers.items()}
    lines = []
    for name in names:
        if name == "(request-target)":
            lines.append(f"(request-target): {request.method.lower()} {request.target}")
        elif name in lower:
            lines.append(f"{name}: {lower[name]}")
        else:
            raise SignatureError(f"the signed header {name!r} is missing from the request")
    try:
        return "\n".join(lines).encode("ascii")
    except UnicodeEncodeError:
        raise SignatureError("signed headers must be ASCII") from None


KeyResolver = Callable[[str], "rsa.RSAPublicKey | None"]


class SignatureVerifier:
    """Verifies requests against trusted API keys and this emulator's session tokens.

    Args:
        trusted_keys: API-key public keys to accept.
        issuer: the token issuer whose ``ST$`` tokens are accepted.
        clock_skew_s: largest accepted distance between ``date`` and now.
    """

    def __init__(
        self,
        trusted_keys: Iterable[rsa.RSAPublicKey],
        issuer: TokenIssuer,
        clock_skew_s: float = 300.0,
    ) -> None:
        self._keys = {fingerprint(k): k for k in trusted_keys}
        self._issuer = issuer
        self._skew = clock_skew_s

    def trust(self, public_key: rsa.RSAPublicKey) -> str:
        """Trust one more API key; returns its fingerprint."""
        fp = fingerprint(public_key)
        self._keys[fp] = public_key
        return fp

    @property
    def trusted_fingerprints(self) -> list[str]:
        """Fingerprints of the trusted API keys."""
        return sorted(self._keys)

    def verify(
        self,
        request: SignedRequest,
        *,
        body_headers_optional: bool = False,
        required: Iterable[str] | None = None,
        resolve_other: KeyResolver | None = None,
    ) -> Principal:
        """Verify a request's signature and return who signed it.

        Args:
            request: the request as received.
            body_headers_optional: the operation is a binary upload the SDK signs without
                body headers; they are still checked when signed.
            required: headers that must be signed, overriding the method's default.
            resolve_other: resolves keyIds that are neither API keys nor tokens (federation).

        Raises:
            SignatureError: missing, malformed, stale or wrong signature, or unknown key.
        """
        lower = {k.lower(): v for k, v in request.headers.items()}
        auth = lower.get("authorization")
        if not auth:
            raise SignatureError("the request is not signed (no Authorization header)")
        params = parse_authorization(auth)
        if params.version is not None and params.version != "1":
            raise SignatureError(f"unsupported signature version {params.version!r}")
        if params.algorithm != "rsa-sha256":
            raise SignatureError(f"unsupported signature algorithm {params.algorithm!r}")
        self._check_coverage(request, params.headers, body_headers_optional, required)
        self._check_date(lower)
        self._check_body(request, lower, params.headers)
        public_key, principal = self._resolve(params.key_id, resolve_other)
        try:
            public_key.verify(
                params.signature,
                signing_string(request, params.headers),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except InvalidSignature:
            raise SignatureError("the signature does not match the request") from None
        return principal

    def _check_coverage(
        self,
        request: SignedRequest,
        signed: list[str],
        body_optional: bool,
        required: Iterable[str] | None,
    ) -> None:
        if required is None:
            needed = list(GENERIC_HEADERS)
            if request.method.upper() in ("POST", "PUT", "PATCH") and not body_optional:
                needed += BODY_HEADERS
        else:
            needed = list(required)
        if "date" not in signed and "x-date" in signed:
            needed = ["x-date" if n == "date" else n for n in needed]
        missing = [n for n in needed if n not in signed]
        if missing:
            raise SignatureError(f"the signature does not cover {', '.join(missing)}")

    def _check_date(self, lower: Mapping[str, str]) -> None:
        raw = lower.get("x-date") or lower.get("date")
        if not raw:
            raise SignatureError("the request has no date header")
        try:
            sent = email.utils.parsedate_to_datetime(raw).timestamp()
        except (TypeError, ValueError):
            raise SignatureError(f"the date header {raw!r} is not an HTTP date") from None
        if abs(time.time() - sent) > self._skew:
            raise SignatureError(
                f"the date header is more than {int(self._skew // 60)} minutes from the server clock"
            )

    @staticmethod
    def _check_body(request: SignedRequest, lower: Mapping[str, str], signed: list[str]) -> None:
        if "content-length" in signed and lower.get("content-length") != str(request.length):
            raise SignatureError("content-length does not match the body received")
        if "x-content-sha256" in signed:
            digest = base64.b64encode(request.sha256).decode("ascii")
            if lower.get("x-content-sha256") != digest:
                raise SignatureError("x-content-sha256 does not match the body received")

    def _resolve(
        self, key_id: str, resolve_other: KeyResolver | None
    ) -> tuple[rsa.RSAPublicKey, Principal]:
        if key_id.startswith("ST$"):
            try:
                claims = self._issuer.verify(key_id[3:])
            except TokenError as exc:
                raise SignatureError(str(exc), expired_token=exc.expired) from None
            principal = Principal(
                kind="session",
                key_id="ST$<token>",
                subject=claims.subject,
                tenancy=claims.tenancy,
                principal_type=claims.principal_type,
            )
            return claims.public_key, principal
        parts = key_id.split("/")
        if len(parts) == 3 and parts[1] == "fed-x509" and resolve_other is not None:
            key = resolve_other(key_id)
            if key is None:
                raise SignatureError("the certificate fingerprint in keyId does not match")
            return key, Principal("x509", key_id, subject=parts[2], tenancy=parts[0])
        if len(parts) != 3 or not all(parts):
            raise SignatureError("keyId is not tenancy/user/fingerprint nor ST$<token>")
        key = self._keys.get(parts[2].lower())
        if key is None:
            raise SignatureError(f"no trusted API key has fingerprint {parts[2]}")
        return key, Principal("api_key", key_id, subject=parts[1], tenancy=parts[0])
