"""Copy an image from one registry to another over the registry v2 API, no docker needed.

Order matters for a resumable, never-half-visible copy:

1. resolve the source tag; from an index, pick the wanted platform(s);
2. for each blob (configs and layers): HEAD in the target, skip it if present (a re-run
   after an interruption therefore sends only what is missing), else stream it from the
   source into an upload session, hashing on the way; the session is committed (``PUT
   ?digest=``) only when the bytes hashed to the descriptor's digest and size;
3. child manifests by digest, then the top manifest under its tag, last: until then the
   tag does not exist (or still names the previous image).

Blobs stream through in ``chunk_size`` pieces (1 MiB by default), ``workers`` at a time,
so memory stays at a few MiB whatever the image size.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

import httpx

from oci_tei._tls import shared_ssl_context
from oci_tei.registry._auth import Anonymous, Credentials
from oci_tei.registry._client import Manifest, RegistryClient, sha256_digest
from oci_tei.registry._errors import (
    BlobDigestMismatchError,
    CopyInterruptedError,
    ImageNotFoundError,
    RegistryError,
)
from oci_tei.registry._progress import ByteProgress
from oci_tei.registry._reference import ImageReference, parse_reference

__all__ = ["CopyResult", "copy_image", "resolve_digest"]

DEFAULT_PLATFORMS = ("linux/amd64",)
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class CopyResult:
    """What a copy did.

    Attributes:
        source: The source image pinned to what was copied: the platform manifest's
            digest, or the index's (the source's own index, when a subset was re-indexed).
        target: The target image, pinned to the digest its tag now names.
        digest: The digest the target tag names; deploy this, not the tag.
        platforms: The platforms copied (``linux/amd64``...).
        blobs_copied: Blobs sent.
        blobs_skipped: Blobs the target already had.
        bytes_copied: Bytes sent.
        bytes_skipped: Bytes not sent because the target had them.
    """

    source: ImageReference
    target: ImageReference
    digest: str
    platforms: tuple[str, ...]
    blobs_copied: int
    blobs_skipped: int
    bytes_copied: int
    bytes_skipped: int


@dataclass(frozen=True)
class _Blob:
    digest: str
    size: int


def _scopes(image: ImageReference, actions: str) -> str:
    return f"repository:{image.repository}:{actions}"


def copy_image(
    source: str | ImageReference,
    target: str | ImageReference,
    *,
    source_credentials: Credentials | None = None,
    target_credentials: Credentials | None = None,
    platforms: Sequence[str] = DEFAULT_PLATFORMS,
    endpoints: Mapping[str, str] | None = None,
    progress: bool = True,
    workers: int = 4,
    chunk_size: int = _CHUNK,
    timeout_s: float = 60.0,
) -> CopyResult:
    """Copy ``source`` to ``target`` (registry to registry); returns the target's digest.

    Args:
        source: ``host/repo:tag`` (or ``@sha256:``) to read, e.g. TEI's on ghcr.io.
        target: ``host/repo:tag`` to write, e.g. ``iad.ocir.io/<ns>/tei:cpu-1.9``.
        source_credentials: Default anonymous.
        target_credentials: Default anonymous (rarely what a target accepts).
        platforms: The ``os/arch`` wanted from a multi-platform source. One platform: the
            target tag names that platform's manifest (same digest as in the source).
            Every platform of the index: the index itself is copied. Otherwise a new index
            of the chosen platforms is written.
        endpoints: Base URLs for registry hosts served elsewhere (tests, emulators).
        progress: Draw a byte progress bar (``tqdm.auto``).
        workers: Blobs copied at once.
        chunk_size: Bytes read and sent at a time.
        timeout_s: Connect/read timeout of each call.

    Raises:
        RegistryUnreachableError: No route to a registry or a token service.
        ImageNotFoundError: The source tag or platform does not exist.
        RegistryAuthError: A token or scope was refused.
        BlobDigestMismatchError: A blob did not hash to its digest (not committed).
        CopyInterruptedError: A connection was cut mid-blob; run again to continue.
        RegistryError: Any other refusal.
    """
    src_ref = parse_reference(source) if isinstance(source, str) else source
    dst_ref = parse_reference(target) if isinstance(target, str) else target
    if not dst_ref.tag:
        raise RegistryError(
            "the target needs a tag", image=str(dst_ref), registry=dst_ref.host, step="manifest"
        )
    http = httpx.Client(
        timeout=httpx.Timeout(timeout_s), follow_redirects=True,
        limits=httpx.Limits(max_connections=4 * workers + 4, max_keepalive_connections=4 * workers),
        verify=shared_ssl_context(),
    )  # fmt: skip
    try:
        src = RegistryClient(
            src_ref.host, source_credentials or Anonymous(), endpoints=endpoints, http=http
        )
        dst = RegistryClient(
            dst_ref.host, target_credentials or Anonymous(), endpoints=endpoints, http=http
        )
        return _Copy(src, dst, src_ref, dst_ref, workers, chunk_size).run(platforms, progress)
    finally:
        http.close()


def resolve_digest(
    image: str | ImageReference,
    *,
    credentials: Credentials | None = None,
    endpoints: Mapping[str, str] | None = None,
    timeout_s: float = 30.0,
) -> str | None:
    """The digest ``image``'s tag names now, or None when the tag does not exist.

    Raises:
        RegistryError: The registry cannot be reached or refused the credentials.
    """
    ref = parse_reference(image) if isinstance(image, str) else image
    client = RegistryClient(
        ref.host, credentials or Anonymous(), endpoints=endpoints, timeout_s=timeout_s
    )
    try:
        return client.manifest_digest(ref, _scopes(ref, "pull"))
    finally:
        client.close()


class _Copy:
    def __init__(
        self,
        src: RegistryClient,
        dst: RegistryClient,
        src_ref: ImageReference,
        dst_ref: ImageReference,
        workers: int,
        chunk_size: int,
    ) -> None:
        self.src, self.dst = src, dst
        self.src_ref, self.dst_ref = src_ref, dst_ref
        self.pull = _scopes(src_ref, "pull")
        self.push = _scopes(dst_ref, "pull,push")
        self.workers = max(1, workers)
        self.chunk_size = chunk_size
        self.failed = threading.Event()

    def run(self, platforms: Sequence[str], progress: bool) -> CopyResult:
        top = self.src.get_manifest(self.src_ref, self.pull)
        source_digest = top.digest
        children, top, chosen = self._select(top, platforms)
        if top.digest != source_digest and any(c.digest == top.digest for c in children):
            source_digest = top.digest  # one platform's manifest, as the source holds it
        blobs: dict[str, _Blob] = {}
        for manifest in children:
            for blob in _blobs_of(manifest, str(self.src_ref), self.src.host):
                blobs.setdefault(blob.digest, blob)
        # A token with push scope before the parallel part, so no stream waits on a 401.
        self.dst.ensure_scope(self.dst_ref, self.push)
        with ThreadPoolExecutor(self.workers) as pool:
            present = dict(zip(blobs, pool.map(self._present, blobs.values()), strict=True))
            missing = [blob for digest, blob in blobs.items() if not present[digest]]
            total = sum(blob.size for blob in missing)
            with ByteProgress(total, f"copy {self.dst_ref}", enabled=progress) as bar:
                futures = [pool.submit(self._copy_blob, blob, bar) for blob in missing]
                try:
                    for future in as_completed(futures):
                        future.result()
                except BaseException:
                    # Stop at the first failure: blobs not started stay for the re-run.
                    for future in futures:
                        future.cancel()
                    raise
        if top.is_index:
            for child in children:
                self.dst.put_manifest(self.dst_ref, self.push, child.digest, child)
        assert self.dst_ref.tag is not None
        digest = self.dst.put_manifest(self.dst_ref, self.push, self.dst_ref.tag, top)
        skipped = [blob for digest, blob in blobs.items() if present[digest]]
        return CopyResult(
            source=self.src_ref.with_digest(top.digest)
            if not top.is_index or chosen
            else self.src_ref,
            target=self.dst_ref.with_digest(digest),
            digest=digest,
            platforms=tuple(chosen),
            blobs_copied=len(missing),
            blobs_skipped=len(skipped),
            bytes_copied=total,
            bytes_skipped=sum(blob.size for blob in skipped),
        )

    # -- platforms ---------------------------------------------------------------------------

    def _select(
        self, top: Manifest, platforms: Sequence[str]
    ) -> tuple[list[Manifest], Manifest, list[str]]:
        """(single-platform manifests to copy, manifest to tag, platforms chosen)."""
        if not top.is_index:
            config = json.loads(top.body).get("config", {})
            platform = self._config_platform(config)
            if platforms and platform and platform not in platforms:
                raise ImageNotFoundError(
                    f"the image is built for {platform}, not {' or '.join(platforms)}",
                    image=str(self.src_ref), registry=self.src.host, step="resolve",
                )  # fmt: skip
            return [top], top, [platform] if platform else []
        entries = json.loads(top.body).get("manifests", [])
        offered: dict[str, Any] = {}
        for entry in entries:
            platform = _platform_of(entry)
            if platform:
                offered.setdefault(platform, entry)
        wanted = [p for p in platforms if p in offered] if platforms else list(offered)
        if not wanted:
            raise ImageNotFoundError(
                f"the image index offers {', '.join(sorted(offered)) or 'no platform'}, "
                f"not {' or '.join(platforms)}",
                image=str(self.src_ref), registry=self.src.host, step="resolve",
            )  # fmt: skip
        if len(wanted) == 1:
            child = self.src.get_manifest(self.src_ref, self.pull, offered[wanted[0]]["digest"])
            return [child], child, wanted
        every = set(wanted) == set(offered)
        kept = entries if every else [offered[p] for p in wanted]
        children = [
            self.src.get_manifest(self.src_ref, self.pull, entry["digest"])
            for entry in kept
            if entry.get("mediaType", "").endswith("manifest.v1+json")
            or entry.get("mediaType", "").endswith("manifest.v2+json")
        ]
        if every:
            return children, top, wanted
        index = json.loads(top.body)
        index["manifests"] = kept
        body = json.dumps(index, separators=(",", ":")).encode()
        return children, Manifest(top.media_type, body, sha256_digest(body)), wanted

    def _config_platform(self, config: dict[str, Any]) -> str | None:
        digest = config.get("digest")
        if not digest or config.get("size", 0) > 1024 * 1024:
            return None
        with self.src.open_blob(self.src_ref, self.pull, digest) as response:
            try:
                body = json.loads(response.read())
            except ValueError:
                return None
        if body.get("os") and body.get("architecture"):
            return f"{body['os']}/{body['architecture']}"
        return None

    # -- blobs -------------------------------------------------------------------------------

    def _present(self, blob: _Blob) -> bool:
        return self.dst.has_blob(self.dst_ref, self.push, blob.digest)

    def _copy_blob(self, blob: _Blob, bar: ByteProgress) -> None:
        if self.failed.is_set():
            return  # another blob failed: stop starting new ones
        mount = self.src_ref.repository if self.src.host == self.dst.host else None
        location = self.dst.start_upload(self.dst_ref, self.push, blob.digest, mount)
        if location is None:
            bar.update(blob.size)
            return
        chunks: _Chunks | None = None
        try:
            with self.src.open_blob(self.src_ref, self.pull, blob.digest) as response:
                chunks = _Chunks(self, response, blob, bar)
                location = self.dst.upload(self.dst_ref, self.push, location, chunks, blob.size)
            self.dst.commit_upload(self.dst_ref, self.push, location, blob.digest)
        except BaseException:
            # Not committed: the bar gives back this blob's bytes, the session is dropped.
            self.failed.set()
            if chunks is not None:
                bar.update(-chunks.counted)
            self.dst.cancel_upload(self.dst_ref, self.push, location)
            raise


class _Chunks:
    """The source blob's bytes, hashed and counted as they pass; raises before a bad end."""

    def __init__(
        self, copy: _Copy, response: httpx.Response, blob: _Blob, bar: ByteProgress
    ) -> None:
        self.copy, self.response, self.blob, self.bar = copy, response, blob, bar
        self.received = 0
        self.counted = 0

    def __iter__(self) -> Iterator[bytes]:
        hasher = hashlib.sha256()
        blob = self.blob
        image, host = str(self.copy.src_ref), self.copy.src.host
        try:
            for chunk in self.response.iter_raw(self.copy.chunk_size):
                self.received += len(chunk)
                if self.received > blob.size:
                    break
                hasher.update(chunk)
                self.bar.update(len(chunk))
                self.counted += len(chunk)
                yield chunk
        except httpx.TransportError as exc:
            raise CopyInterruptedError(
                f"the connection was cut after {self.received} of {blob.size} bytes of blob "
                f"{blob.digest} ({type(exc).__name__}); run the copy again to continue",
                image=image, registry=host, step="blob",
            ) from None  # fmt: skip
        if self.received < blob.size:
            raise CopyInterruptedError(
                f"the source sent {self.received} of {blob.size} bytes of blob {blob.digest}; "
                "run the copy again to continue",
                image=image, registry=host, step="blob",
            )  # fmt: skip
        actual = "sha256:" + hasher.hexdigest()
        if self.received != blob.size or actual != blob.digest:
            raise BlobDigestMismatchError(
                f"blob {blob.digest} ({blob.size} bytes) arrived as {actual} "
                f"({self.received} bytes); nothing was committed",
                image=image, registry=host, step="blob",
            )  # fmt: skip


def _platform_of(entry: Mapping[str, Any]) -> str | None:
    platform = entry.get("platform") or {}
    os_name, arch = platform.get("os"), platform.get("architecture")
    if not os_name or not arch or os_name == "unknown":
        return None
    return f"{os_name}/{arch}"


def _blobs_of(manifest: Manifest, image: str, registry: str) -> list[_Blob]:
    body = json.loads(manifest.body)
    descriptors = [body.get("config"), *body.get("layers", [])]
    blobs = []
    for descriptor in descriptors:
        if not descriptor:
            continue
        if descriptor.get("urls"):
            continue  # a foreign layer: served from its URLs, never stored in a registry
        digest, size = descriptor.get("digest"), descriptor.get("size")
        if not isinstance(digest, str) or not isinstance(size, int):
            raise RegistryError(
                f"manifest {manifest.digest} has a descriptor without digest or size",
                image=image, registry=registry, step="resolve",
            )  # fmt: skip
        blobs.append(_Blob(digest, size))
    return blobs
