"""A small client of the OCI Distribution (registry v2) HTTP API over httpx.

Only what a copy needs: manifests (GET, HEAD, PUT), blobs (HEAD, streamed GET) and blob
uploads (POST, streamed PATCH, PUT). Authentication follows each 401 challenge
(:mod:`~oci_tei.registry._auth`); a request whose body is a stream is sent only once a
token is held, so it never has to be replayed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass

import httpx

from oci_tei._tls import shared_ssl_context
from oci_tei.registry._auth import Credentials, TokenCache, code_of, message_of, parse_challenge
from oci_tei.registry._errors import (
    ImageNotFoundError,
    RegistryAuthError,
    RegistryError,
    RegistryUnreachableError,
)
from oci_tei.registry._reference import ImageReference, endpoint_for

__all__ = ["INDEX_TYPES", "MANIFEST_TYPES", "Manifest", "RegistryClient"]

#: Image indexes: OCI's and Docker's multi-platform manifest list.
INDEX_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)
#: Single-platform manifests.
MANIFEST_TYPES = (
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
_ACCEPT = ", ".join(INDEX_TYPES + MANIFEST_TYPES)


@dataclass(frozen=True)
class Manifest:
    """A manifest's exact bytes (its digest covers them), media type and digest."""

    media_type: str
    body: bytes
    digest: str

    @property
    def is_index(self) -> bool:
        """Whether this is a multi-platform index."""
        return self.media_type in INDEX_TYPES


def sha256_digest(data: bytes) -> str:
    """``sha256:<hex>`` of ``data``."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


class RegistryClient:
    """Calls one registry with one set of credentials; thread-safe (one httpx client).

    Args:
        host: The registry host as images name it (``ghcr.io``, ``iad.ocir.io``).
        credentials: Who asks for tokens.
        endpoints: Base URLs for hosts served elsewhere (tests, emulators).
        http: An httpx client to share; one is made (and closed by :meth:`close`) if None.
        timeout_s: Connect and read timeout of each call.
    """

    def __init__(
        self,
        host: str,
        credentials: Credentials,
        *,
        endpoints: Mapping[str, str] | None = None,
        http: httpx.Client | None = None,
        timeout_s: float = 60.0,
    ) -> None:
        self.host = host
        self.base_url = endpoint_for(host, endpoints)
        self._own_http = http is None
        self._http = http or httpx.Client(
            timeout=httpx.Timeout(timeout_s), follow_redirects=True,
            limits=httpx.Limits(max_connections=16, max_keepalive_connections=16),
            verify=shared_ssl_context(),
        )  # fmt: skip
        self.tokens = TokenCache(credentials, host, self._http)

    def __repr__(self) -> str:
        return (
            f"RegistryClient({self.host} at {self.base_url}, {self.tokens.credentials.describe()})"
        )

    def close(self) -> None:
        """Close the HTTP client if this object made it."""
        if self._own_http:
            self._http.close()

    # -- the one place requests are sent -----------------------------------------------------

    def _send(
        self,
        method: str,
        url: str,
        *,
        image: ImageReference,
        scope: str,
        step: str,
        headers: Mapping[str, str] | None = None,
        content: bytes | Iterable[bytes] | None = None,
        stream: bool = False,
    ) -> httpx.Response:
        replayable = content is None or isinstance(content, bytes)
        for attempt in (0, 1):
            all_headers = dict(headers or {})
            authorization = self.tokens.header(scope)
            if authorization:
                all_headers["authorization"] = authorization
            request = self._http.build_request(method, url, headers=all_headers, content=content)
            try:
                response = self._http.send(request, stream=stream)
            except httpx.TransportError as exc:
                raise RegistryUnreachableError(
                    f"no answer from {self.base_url} ({type(exc).__name__}: {exc})",
                    image=str(image),
                    registry=self.host,
                    step=step,
                ) from None
            if response.status_code != 401:
                return response
            challenge = parse_challenge(response.headers.get("www-authenticate", ""))
            if attempt == 1 or not replayable or challenge is None:
                break
            response.close()
            if authorization:
                self.tokens.forget(scope)
            self.tokens.authorize(challenge, scope, str(image))
        if stream:
            response.read()
        hint = ""
        if "push" in scope and self.host.endswith(".ocir.io"):
            hint = (
                " (OCIR grants push to callers a policy lets `manage repos` in the repository's "
                "compartment, e.g. `Allow group <group> to manage repos in compartment <name>`)"
            )
        raise RegistryAuthError(
            f"{self.tokens.credentials.describe()} was refused for {scope}: "
            f"{message_of(response)}{hint}",
            image=str(image),
            registry=self.host,
            step=step,
            status=401,
            error_type=code_of(response),
        )

    def _fail(
        self, response: httpx.Response, image: ImageReference, step: str, what: str
    ) -> RegistryError:
        if stream_unread(response):
            response.read()
        cls: type[RegistryError] = RegistryError
        if response.status_code == 404:
            cls = ImageNotFoundError
        elif response.status_code in (401, 403):
            cls = RegistryAuthError
        return cls(
            f"{what}: {message_of(response)}",
            image=str(image),
            registry=self.host,
            step=step,
            status=response.status_code,
            error_type=code_of(response),
            opc_request_id=response.headers.get("opc-request-id"),
        )

    def _url(self, repository: str, tail: str) -> str:
        return f"{self.base_url}/v2/{repository}/{tail}"

    def ensure_scope(self, image: ImageReference, scope: str) -> None:
        """Get a token for ``scope`` now (a HEAD of the repository's tag), if one is needed."""
        response = self._send(
            "HEAD", self._url(image.repository, f"manifests/{image.reference}"),
            image=image, scope=scope, step="auth", headers={"accept": _ACCEPT},
        )  # fmt: skip
        if response.status_code in (401, 403):
            raise self._fail(response, image, "auth", f"not granted {scope}")

    # -- manifests ---------------------------------------------------------------------------

    def get_manifest(
        self, image: ImageReference, scope: str, reference: str | None = None
    ) -> Manifest:
        """The manifest of ``reference`` (default: the image's digest or tag).

        Raises:
            ImageNotFoundError: No such tag or digest in the repository.
            RegistryError: Any other refusal.
        """
        ref = reference or image.reference
        response = self._send(
            "GET", self._url(image.repository, f"manifests/{ref}"),
            image=image, scope=scope, step="resolve", headers={"accept": _ACCEPT},
        )  # fmt: skip
        if response.status_code != 200:
            raise self._fail(response, image, "resolve", f"manifest {ref} not available")
        body = response.content
        digest = sha256_digest(body)
        if ref.startswith("sha256:") and ref != digest:
            raise RegistryError(
                f"manifest {ref} hashes to {digest}",
                image=str(image), registry=self.host, step="resolve",
            )  # fmt: skip
        media_type = response.headers.get("content-type", "").split(";")[0].strip()
        return Manifest(media_type, body, digest)

    def manifest_digest(self, image: ImageReference, scope: str) -> str | None:
        """The digest the image's tag (or digest) resolves to, or None when absent."""
        response = self._send(
            "HEAD", self._url(image.repository, f"manifests/{image.reference}"),
            image=image, scope=scope, step="resolve", headers={"accept": _ACCEPT},
        )  # fmt: skip
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise self._fail(response, image, "resolve", "cannot read the manifest")
        digest = response.headers.get("docker-content-digest")
        if digest:
            return str(digest)
        return self.get_manifest(image, scope).digest

    def put_manifest(
        self, image: ImageReference, scope: str, reference: str, manifest: Manifest
    ) -> str:
        """Write ``manifest`` under ``reference`` (a tag or its digest); returns its digest."""
        response = self._send(
            "PUT", self._url(image.repository, f"manifests/{reference}"),
            image=image, scope=scope, step="manifest",
            headers={"content-type": manifest.media_type}, content=manifest.body,
        )  # fmt: skip
        if response.status_code not in (200, 201):
            raise self._fail(response, image, "manifest", f"cannot write manifest {reference}")
        return response.headers.get("docker-content-digest") or manifest.digest

    # -- blobs -------------------------------------------------------------------------------

    def has_blob(self, image: ImageReference, scope: str, digest: str) -> bool:
        """Whether the repository already holds blob ``digest`` (HEAD)."""
        response = self._send(
            "HEAD", self._url(image.repository, f"blobs/{digest}"),
            image=image, scope=scope, step="blob",
        )  # fmt: skip
        if response.status_code == 200:
            return True
        if response.status_code == 404:
            return False
        raise self._fail(response, image, "blob", f"cannot check blob {digest}")

    @contextmanager
    def open_blob(self, image: ImageReference, scope: str, digest: str) -> Iterator[httpx.Response]:
        """A streamed GET of blob ``digest`` (redirects to storage are followed)."""
        response = self._send(
            "GET", self._url(image.repository, f"blobs/{digest}"),
            image=image, scope=scope, step="blob", stream=True,
        )  # fmt: skip
        try:
            if response.status_code != 200:
                raise self._fail(response, image, "blob", f"cannot read blob {digest}")
            yield response
        finally:
            response.close()

    def start_upload(
        self, image: ImageReference, scope: str, digest: str, mount_from: str | None = None
    ) -> str | None:
        """Open an upload session; returns its URL, or None when a mount made the blob."""
        query = f"?mount={digest}&from={mount_from}" if mount_from else ""
        response = self._send(
            "POST", self._url(image.repository, f"blobs/uploads/{query}"),
            image=image, scope=scope, step="blob", content=b"",
        )  # fmt: skip
        if mount_from and response.status_code == 201:
            return None
        if response.status_code != 202:
            raise self._fail(response, image, "blob", f"cannot start the upload of {digest}")
        return self._location(response)

    def upload(
        self,
        image: ImageReference,
        scope: str,
        location: str,
        chunks: Iterable[bytes],
        size: int,
    ) -> str:
        """Stream ``size`` bytes to the upload session (one PATCH); returns the next URL."""
        response = self._send(
            "PATCH", location, image=image, scope=scope, step="blob", content=chunks,
            headers={"content-type": "application/octet-stream", "content-length": str(size)},
        )  # fmt: skip
        if response.status_code != 202:
            raise self._fail(response, image, "blob", "the registry refused the blob's bytes")
        return self._location(response)

    def commit_upload(self, image: ImageReference, scope: str, location: str, digest: str) -> None:
        """Close the upload session: the registry checks ``digest`` and commits the blob."""
        url = httpx.URL(location)
        url = url.copy_merge_params({"digest": digest})
        response = self._send(
            "PUT", str(url), image=image, scope=scope, step="blob", content=b"",
            headers={"content-type": "application/octet-stream"},
        )  # fmt: skip
        if response.status_code not in (201, 204):
            raise self._fail(response, image, "blob", f"the registry did not commit {digest}")

    def cancel_upload(self, image: ImageReference, scope: str, location: str) -> None:
        """Abandon an upload session (best effort: the registry expires it anyway)."""
        with suppress(RegistryError):
            self._send("DELETE", location, image=image, scope=scope, step="blob").close()

    def _location(self, response: httpx.Response) -> str:
        location = response.headers.get("location")
        if not location:
            raise RegistryError(
                f"HTTP {response.status_code} without a Location header",
                image="", registry=self.host, step="blob",
            )  # fmt: skip
        return str(httpx.URL(self.base_url + "/").join(location))


def stream_unread(response: httpx.Response) -> bool:
    """Whether a streamed response's body is still unread."""
    return not response.is_closed and not response.is_stream_consumed
