"""TEST STAND-IN: real registry servers (Debian's ``docker-registry``, CNCF Distribution).

Two roles, both with token authentication as the real services use it:

- a *public* registry playing ghcr.io: anonymous pull through a token realm
  (:class:`PublicTokenServer`, a tiny JWT issuer); a publisher key may push (the tests use
  it to seed TEI-like images);
- an *OCIR* registry whose token realm is the emulator's ``/20180419/docker/token``
  (:mod:`._ocir_token`), which verifies OCI request signatures or basic auth.

Distribution trusts a token when its ``kid`` header is the libtrust key id of a key in
``auth.token.rootcertbundle`` (distribution ``registry/auth/token``: ``VerifySigningKey``
looks trusted keys up by ``KeyID``; libtrust ``keyIDFromCryptoKey``: SHA-256 of the DER
public key, first 240 bits, base32, groups of four joined by ``:``). Servers bind
127.0.0.1 on a free port; their config and storage live in a temp dir.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import json
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from oci_tei_emulator._keys import generate_private_key

__all__ = [
    "REGISTRY_BINARY",
    "PublicTokenServer",
    "RegistryServer",
    "TokenAuthority",
    "parse_scopes",
    "registry_available",
]

#: Debian's package installs CNCF Distribution under this name.
REGISTRY_BINARY = "docker-registry"
_ACTIONS = ("pull", "push", "delete", "*")


def registry_available() -> bool:
    """Whether ``docker-registry`` is installed (``make registry-tools`` installs it)."""
    return shutil.which(REGISTRY_BINARY) is not None


def libtrust_key_id(public_der: bytes) -> str:
    """The libtrust key id of a DER ``SubjectPublicKeyInfo`` (what ``kid`` must carry)."""
    digest = hashlib.sha256(public_der).digest()[:30]
    text = base64.b32encode(digest).decode("ascii").rstrip("=")
    return ":".join(text[i : i + 4] for i in range(0, len(text), 4))


def parse_scopes(values: Sequence[str]) -> list[dict[str, Any]]:
    """``repository:ns/repo:pull,push`` scopes (space-separated too) as access entries."""
    access = []
    for value in values:
        for scope in value.split():
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            if kind and name:
                wanted = [a for a in actions.split(",") if a in _ACTIONS]
                access.append({"type": kind, "name": name, "actions": wanted})
    return access


class TokenAuthority:
    """Issues registry JWTs with a fresh RSA key; the registry trusts its certificate.

    Args:
        issuer: The ``iss`` claim (registry config ``auth.token.issuer``).
        service: The ``aud`` claim (registry config ``auth.token.service``).
    """

    def __init__(self, issuer: str, service: str) -> None:
        self.issuer = issuer
        self.service = service

    # Made on first use: an RSA key costs tens of milliseconds of CPU, and most emulators
    # never hand out a registry token.
    @functools.cached_property
    def _key(self) -> rsa.RSAPrivateKey:
        return generate_private_key()

    @functools.cached_property
    def key_id(self) -> str:
        """The libtrust key id (``kid``) of the signing key, as the registry computes it."""
        public_der = self._key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return libtrust_key_id(public_der)

    @functools.cached_property
    def certificate_pem(self) -> str:
        """A self-signed certificate of the signing key: the registry's trusted bundle."""
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, self.issuer)])
        start = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + dt.timedelta(days=30))
            .sign(self._key, hashes.SHA256())
        )
        return certificate.public_bytes(serialization.Encoding.PEM).decode()

    def __repr__(self) -> str:
        return f"TokenAuthority({self.issuer!r}, service={self.service!r})"

    def issue(self, subject: str, access: list[dict[str, Any]], ttl_s: float = 300.0) -> str:
        """A JWT granting ``access`` to ``subject``."""
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": subject,
            "aud": self.service,
            "exp": now + int(ttl_s),
            "nbf": now - 5,
            "iat": now,
            "jti": uuid.uuid4().hex,
            "access": access,
        }
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.key_id})

    def answer(self, token: str, ttl_s: float = 300.0) -> dict[str, Any]:
        """The token service's JSON answer (both names Docker clients read)."""
        issued = dt.datetime.now(dt.timezone.utc).isoformat()
        return {
            "token": token,
            "access_token": token,
            "expires_in": int(ttl_s),
            "issued_at": issued,
        }


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RegistryServer:
    """One ``docker-registry`` process with token auth, on 127.0.0.1, storage in a temp dir.

    Args:
        authority: Whose tokens it trusts.
        realm: The token service URL it sends clients to.
        name: For the temp dir and messages.
    """

    def __init__(self, authority: TokenAuthority, realm: str, *, name: str = "registry") -> None:
        self.authority = authority
        self.realm = realm
        self.name = name
        self.port = 0
        self.directory: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None

    def __repr__(self) -> str:
        return f"RegistryServer({self.name}, {self.url if self.port else 'stopped'})"

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def host(self) -> str:
        """``127.0.0.1:<port>`` (as skopeo names it)."""
        return f"127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 20.0) -> RegistryServer:
        """Write the config, start the process and wait until ``/v2/`` answers.

        Raises:
            FileNotFoundError: ``docker-registry`` is not installed.
            TimeoutError: not serving within ``timeout_s``.
        """
        binary = shutil.which(REGISTRY_BINARY)
        if binary is None:
            raise FileNotFoundError(
                f"{REGISTRY_BINARY} is not installed: apt-get install docker-registry "
                "(or `make registry-tools`)"
            )
        self.directory = Path(tempfile.mkdtemp(prefix=f"oci-tei-{self.name}-"))
        bundle = self.directory / "token-ca.pem"
        bundle.write_text(self.authority.certificate_pem)
        (self.directory / "data").mkdir()
        self.port = free_port()
        config = {
            "version": 0.1,
            "log": {"level": "error", "accesslog": {"disabled": True}},
            "storage": {
                "filesystem": {"rootdirectory": str(self.directory / "data")},
                "delete": {"enabled": True},
                "maintenance": {"uploadpurging": {"enabled": False}},
            },
            "http": {"addr": f"127.0.0.1:{self.port}", "secret": secrets.token_hex(16)},
            "auth": {
                "token": {
                    "realm": self.realm,
                    "service": self.authority.service,
                    "issuer": self.authority.issuer,
                    "rootcertbundle": str(bundle),
                }
            },
        }
        # JSON is YAML: no YAML writer needed.
        (self.directory / "config.yml").write_text(json.dumps(config))
        log = (self.directory / "registry.log").open("wb")
        self._process = subprocess.Popen(
            [binary, "serve", str(self.directory / "config.yml")],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"{REGISTRY_BINARY} exited: {(self.directory / 'registry.log').read_text()}"
                )
            try:
                if httpx.get(f"{self.url}/v2/", timeout=1.0).status_code in (200, 401):
                    return self
            except httpx.TransportError:
                time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"{REGISTRY_BINARY} did not serve on {self.url}")

    def stop(self) -> None:
        """Stop the process and remove its storage."""
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(10)
            self._process = None
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None

    def admin_token(self, repository: str = "*") -> str:
        """A token with every action (the emulator's and the tests' own reads)."""
        access = [{"type": "registry", "name": "catalog", "actions": ["*"]}]
        if repository != "*":
            access.append({"type": "repository", "name": repository, "actions": ["*"]})
        return self.authority.issue("oci-tei-emulator", access)

    def __enter__(self) -> RegistryServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class PublicTokenServer:
    """The token realm of a public registry: anyone pulls; the publisher also pushes.

    Args:
        authority: Signs the tokens.
        publisher: ``(user, password)`` allowed to push.
    """

    def __init__(self, authority: TokenAuthority, publisher: tuple[str, str]) -> None:
        self.authority = authority
        self._publisher = publisher
        self.requests = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"PublicTokenServer({self.url if self._server else 'stopped'})"

    @property
    def url(self) -> str:
        """The realm URL."""
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/token"

    def start(self) -> PublicTokenServer:
        """Serve in a daemon thread."""
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.requests += 1
                query = parse_qs(urlsplit(self.path).query)
                access = parse_scopes(query.get("scope", []))
                publisher = owner._is_publisher(self.headers.get("authorization", ""))
                for entry in access:
                    if not publisher:
                        entry["actions"] = [a for a in entry["actions"] if a == "pull"]
                subject = owner._publisher[0] if publisher else "anonymous"
                body = json.dumps(owner.authority.answer(owner.authority.issue(subject, access)))
                data = body.encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def _is_publisher(self, header: str) -> bool:
        if not header.lower().startswith("basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        return secrets.compare_digest(f"{user}:{password}", ":".join(self._publisher))

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def headers_with(token: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """``Authorization: Bearer`` plus ``extra``."""
    return {"authorization": f"Bearer {token}", **(extra or {})}
