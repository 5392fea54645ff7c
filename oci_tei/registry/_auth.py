"""Registry credentials and the token flow of the Docker/OCI distribution spec.

A registry answers an unauthenticated call with 401 and
``WWW-Authenticate: Bearer realm="...",service="...",scope="..."`` (the token
authentication specification of CNCF Distribution, which ghcr.io and OCIR follow). The
client then asks ``realm?service=...&scope=...`` for a token and repeats the call with
``Authorization: Bearer <token>``. What proves who asks differs:

- :class:`Anonymous`: nothing; public images (TEI's on ghcr.io) are pulled this way.
- :class:`BasicCredentials`: a user name and password; for OCIR,
  ``<namespace>/<user>`` and an auth token, as ``docker login`` uses.
- :class:`OciCredentials`: the request to OCIR's token service
  (``https://<region-key>.ocir.io/20180419/docker/token``) is signed with the caller's OCI
  identity (API key, session token, resource or instance principal), as
  ``oci raw-request --target-uri https://<key>.ocir.io/20180419/docker/token`` does; no
  auth token and no ``docker login``.
"""

from __future__ import annotations

import base64
import re
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import httpx

from oci_tei.registry._errors import RegistryAuthError, RegistryUnreachableError

if TYPE_CHECKING:
    from oci_tei._auth import RequestSigner

__all__ = [
    "Anonymous",
    "BasicCredentials",
    "Challenge",
    "Credentials",
    "OciCredentials",
    "TokenCache",
    "parse_challenge",
]

#: The token specification's default lifetime when ``expires_in`` is absent (60 s).
_DEFAULT_EXPIRES_IN_S = 60.0
_EXPIRY_MARGIN_S = 10.0
_PARAM = re.compile(r'(\w+)\s*=\s*(?:"([^"]*)"|([^,\s]*))')


@dataclass(frozen=True)
class Anonymous:
    """No credentials: anonymous pull of a public image."""

    def describe(self) -> str:
        """For error messages."""
        return "anonymous"


@dataclass(frozen=True)
class BasicCredentials:
    """A user name and a password or auth token; the secret never shows in ``repr``.

    Attributes:
        username: For OCIR, ``<tenancy-namespace>/<user>`` (federated users:
            ``<namespace>/oracleidentitycloudservice/<user>``).
        password: The password or OCI auth token.
    """

    username: str
    password: str = field(repr=False)

    def describe(self) -> str:
        """For error messages (no secret)."""
        return f"user {self.username}"

    def header(self) -> str:
        """The ``Authorization`` header value."""
        raw = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")


@dataclass(frozen=True)
class OciCredentials:
    """The caller's OCI identity signs the request for an OCIR token.

    Attributes:
        signer: The identity (see :mod:`oci_tei._auth`).
    """

    signer: RequestSigner

    def describe(self) -> str:
        """For error messages."""
        return f"OCI identity {self.signer.spec.describe()}"


Credentials = Anonymous | BasicCredentials | OciCredentials


@dataclass(frozen=True)
class Challenge:
    """A parsed ``WWW-Authenticate`` header."""

    scheme: str
    params: dict[str, str]

    @property
    def realm(self) -> str:
        """The token service URL (bearer) or realm name (basic)."""
        return self.params.get("realm", "")


def parse_challenge(header: str) -> Challenge | None:
    """Parse ``Bearer realm="...",service="..."`` (None when absent or malformed)."""
    scheme, _, rest = header.strip().partition(" ")
    if not scheme:
        return None
    params = {m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
              for m in _PARAM.finditer(rest)}  # fmt: skip
    return Challenge(scheme.lower(), params)


class TokenCache:
    """Tokens of one registry and one set of credentials, by scope; thread-safe.

    Args:
        credentials: Who asks.
        registry: The registry host (for error messages).
        http: The client that calls the token service.
    """

    def __init__(self, credentials: Credentials, registry: str, http: httpx.Client) -> None:
        self.credentials = credentials
        self.registry = registry
        self._http = http
        self._tokens: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"TokenCache({self.registry}, {self.credentials.describe()})"

    def header(self, scope: str) -> str | None:
        """The ``Authorization`` header for ``scope`` if a token is held (or basic auth)."""
        with self._lock:
            held = self._tokens.get(scope)
        # A token about to expire is not sent: the 401 that follows fetches a new one
        # (only for requests that can be replayed; a streamed upload follows a fresh POST).
        if held and held[1] - _EXPIRY_MARGIN_S > time.monotonic():
            return f"Bearer {held[0]}"
        return None

    def forget(self, scope: str) -> None:
        """Drop the token of ``scope`` (it was refused or expired)."""
        with self._lock:
            self._tokens.pop(scope, None)

    def authorize(self, challenge: Challenge, scope: str, image: str) -> str:
        """Answer ``challenge`` for ``scope``; returns the ``Authorization`` header value.

        Raises:
            RegistryAuthError: The token service refused, or answered without a token.
            RegistryUnreachableError: The token service cannot be reached.
        """
        if challenge.scheme == "basic":
            if isinstance(self.credentials, BasicCredentials):
                return self.credentials.header()
            raise RegistryAuthError(
                f"the registry asks for a user name and password (basic auth) but "
                f"{self.credentials.describe()} was given",
                image=image,
                registry=self.registry,
                step="auth",
                status=401,
            )
        if challenge.scheme != "bearer" or not challenge.realm:
            raise RegistryAuthError(
                f"unsupported authentication challenge {challenge.scheme!r}",
                image=image,
                registry=self.registry,
                step="auth",
                status=401,
            )
        token, expires_in = self._request_token(challenge, scope, image)
        with self._lock:
            self._tokens[scope] = (token, time.monotonic() + expires_in)
        return f"Bearer {token}"

    def _request_token(self, challenge: Challenge, scope: str, image: str) -> tuple[str, float]:
        query: dict[str, str] = {"scope": scope}
        if challenge.params.get("service"):
            query["service"] = challenge.params["service"]
        url = f"{challenge.realm}?{urlencode(query)}"
        headers: dict[str, str] = {"accept": "application/json"}
        credentials = self.credentials
        if isinstance(credentials, BasicCredentials):
            headers["authorization"] = credentials.header()
        elif isinstance(credentials, OciCredentials):
            headers = credentials.signer.sign("GET", url, headers, b"")
        try:
            response = self._http.get(url, headers=headers)
        except httpx.TransportError as exc:
            raise RegistryUnreachableError(
                f"cannot reach the token service {challenge.realm}: {exc!r}",
                image=image,
                registry=self.registry,
                step="auth",
            ) from None
        if response.status_code != 200:
            raise RegistryAuthError(
                f"the token service {challenge.realm} refused {credentials.describe()} for "
                f"scope {scope}: {_message(response)}",
                image=image,
                registry=self.registry,
                step="auth",
                status=response.status_code,
                error_type=_code(response),
                opc_request_id=response.headers.get("opc-request-id"),
            )
        try:
            body: Any = response.json()
            token = body.get("token") or body.get("access_token")
            expires_in = float(body.get("expires_in") or _DEFAULT_EXPIRES_IN_S)
        except (ValueError, AttributeError, TypeError):
            token, expires_in = None, _DEFAULT_EXPIRES_IN_S
        if not isinstance(token, str) or not token:
            raise RegistryAuthError(
                f"the token service {challenge.realm} answered without a token",
                image=image,
                registry=self.registry,
                step="auth",
                status=response.status_code,
            )
        return token, expires_in


def _code(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    if isinstance(body, dict):
        if isinstance(body.get("code"), str):
            return str(body["code"])
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return str(errors[0].get("code") or "") or None
    return None


def _message(response: httpx.Response) -> str:
    """The server's message from an OCI or registry error body (never request headers)."""
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code} {response.text[:200]!r}"
    if isinstance(body, dict):
        if isinstance(body.get("message"), str):
            return f"HTTP {response.status_code} {body.get('code', '')}: {body['message']}"
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            first = errors[0]
            return (
                f"HTTP {response.status_code} {first.get('code', '')}: {first.get('message', '')}"
            )
    return f"HTTP {response.status_code}"


message_of = _message
code_of = _code
