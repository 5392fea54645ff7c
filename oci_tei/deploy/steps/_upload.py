"""Step 2: the model files into a versioned Object Storage bucket, never overwriting anything.

Uploads go through the oci SDK's ``UploadManager`` (multipart above the part size, each
part MD5-checked by the service). Before each file, ``head_object`` decides: absent ->
upload with ``If-None-Match: *`` (a concurrent writer cannot be overwritten either);
present with the same MD5 -> skip (re-runs resume where they stopped); present with other
content -> refuse. After each upload the MD5 Object Storage reports is compared with ours.

A model by reference must sit in a versioned bucket (OCI keeps the exact bytes a model
was registered with), so the bucket is checked, or created versioned on request, first.
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oci_tei.deploy._errors import ArtifactConflictError, DeployError
from oci_tei.deploy.spec import ArtifactLocation, DeploySpec
from oci_tei.deploy.steps._download import TEI_FILE_PATTERNS
from oci_tei.deploy.steps._step import DeployRun, PlannedStep, RunOptions, Step

__all__ = [
    "DEFAULT_PART_SIZE",
    "LocalFile",
    "Upload",
    "UploadReport",
    "ensure_versioned_bucket",
    "expected_md5",
    "list_local_files",
    "upload_directory",
]

# UploadManager's default part size (oci.object_storage.transfer.constants).
DEFAULT_PART_SIZE = 128 * 1024 * 1024
_READ_CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class LocalFile:
    """A file to upload and the object it becomes."""

    path: Path
    object_name: str
    size: int


@dataclass
class UploadReport:
    """What an upload did, object names by outcome."""

    uploaded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def list_local_files(
    directory: Path, prefix: str, patterns: Sequence[str] | None = None
) -> list[LocalFile]:
    """The files under ``directory`` with their object names.

    Args:
        directory: The model directory; symlinks are followed (huggingface_hub snapshots
            link into its blob store).
        prefix: The artifact prefix.
        patterns: ``fnmatch`` patterns of relative paths to keep (all when None); hidden
            files and directories are always left out.
    """
    files = []
    for path in sorted(directory.rglob("*")):
        relative = path.relative_to(directory).as_posix()
        if any(part.startswith(".") for part in relative.split("/")) or not path.is_file():
            continue
        if patterns is not None and not any(fnmatch.fnmatch(relative, p) for p in patterns):
            continue
        files.append(LocalFile(path, f"{prefix}/{relative}", path.stat().st_size))
    return files


def _md5_of_range(path: Path, offset: int, length: int) -> bytes:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        handle.seek(offset)
        remaining = length
        while remaining > 0:
            chunk = handle.read(min(_READ_CHUNK, remaining))
            if not chunk:
                break
            digest.update(chunk)
            remaining -= len(chunk)
    return digest.digest()


def expected_md5(file: LocalFile, part_size: int = DEFAULT_PART_SIZE) -> str:
    """The MD5 Object Storage reports for ``file`` once uploaded with ``part_size``.

    Single-part objects: base64 MD5 of the content (``Content-MD5``). Multipart objects:
    base64 MD5 of the concatenated part digests, then ``-<parts>`` (``opc-multipart-md5``).
    UploadManager goes multipart when the file is larger than the part size.
    """
    if file.size <= part_size:
        return base64.b64encode(_md5_of_range(file.path, 0, file.size)).decode()
    digests = b"".join(
        _md5_of_range(file.path, offset, part_size) for offset in range(0, file.size, part_size)
    )
    parts = -(-file.size // part_size)
    combined = hashlib.md5(digests, usedforsecurity=False).digest()
    return f"{base64.b64encode(combined).decode()}-{parts}"


def ensure_versioned_bucket(
    client: Any, artifact: ArtifactLocation, compartment_id: str, *, create: bool
) -> bool:
    """Check that the artifact's bucket exists and is versioned; create it if asked.

    An existing bucket is never changed: turning versioning on is the owner's decision
    (it cannot be turned off again), so the error says how to do it.

    Args:
        client: An ``oci.object_storage.ObjectStorageClient``.
        artifact: The spec's artifact location.
        compartment_id: Compartment for a bucket created here.
        create: Create the bucket, versioned, when it does not exist.

    Returns:
        Whether the bucket was created here.

    Raises:
        DeployError: No such bucket (and not asked to create it), or not versioned.
    """
    import oci

    try:
        bucket = client.get_bucket(artifact.namespace, artifact.bucket).data
    except oci.exceptions.ServiceError as exc:
        if exc.status != 404:
            raise _service_error(exc, "upload") from exc
        if not create:
            raise DeployError(
                f"bucket {artifact.bucket} does not exist in namespace {artifact.namespace} (or "
                "you may not read it); create it versioned, or set artifact.create_bucket: true",
                step="upload",
                status=exc.status,
                opc_request_id=exc.request_id,
            ) from None
        details = oci.object_storage.models.CreateBucketDetails(
            name=artifact.bucket, compartment_id=compartment_id, versioning="Enabled"
        )
        try:
            client.create_bucket(artifact.namespace, details)
        except oci.exceptions.ServiceError as create_error:
            raise _service_error(create_error, "upload") from create_error
        return True
    if bucket.versioning != "Enabled":
        raise DeployError(
            f"bucket {artifact.bucket} is not versioned (versioning: {bucket.versioning}); a "
            "model by reference needs a versioned bucket so the deployment gets the exact "
            "files it was registered with. Enable versioning (it cannot be turned off again): "
            f"oci os bucket update --namespace {artifact.namespace} --bucket-name "
            f"{artifact.bucket} --versioning Enabled, or use another bucket",
            step="upload",
        )
    return False


def upload_directory(
    client: Any,
    directory: Path,
    artifact: ArtifactLocation,
    *,
    patterns: Sequence[str] | None = None,
    part_size: int = DEFAULT_PART_SIZE,
    echo: Callable[[str], None] = print,
) -> UploadReport:
    """Upload the files of ``directory`` (those ``patterns`` match) under the artifact prefix.

    See the module docstring for the skip / refuse / verify rules.

    Raises:
        ArtifactConflictError: An object already holds different content.
        DeployError: An upload failed or its MD5 does not match.
    """
    import oci
    from oci.object_storage import UploadManager

    manager = UploadManager(client, allow_parallel_uploads=True)
    report = UploadReport()
    for file in list_local_files(directory, artifact.prefix, patterns):
        local_md5 = expected_md5(file, part_size)
        remote_md5 = _remote_md5(client, artifact, file.object_name)
        if remote_md5 == local_md5:
            report.skipped.append(file.object_name)
            continue
        if remote_md5 is not None:
            raise ArtifactConflictError(
                f"{file.object_name} already exists in {artifact.bucket} with different content "
                f"(MD5 {remote_md5}, ours {local_md5}); it is never overwritten: use a new "
                "artifact prefix (e.g. with the model revision) or remove the object yourself",
                step="upload",
            )
        echo(f"  uploading {file.object_name} ({file.size / 1e6:.1f} MB)")
        kwargs: dict[str, Any] = {"part_size": part_size, "if_none_match": "*"}
        if file.size <= part_size:
            kwargs["content_md5"] = local_md5  # the service refuses a corrupted body
        try:
            response = manager.upload_file(
                artifact.namespace, artifact.bucket, file.object_name, str(file.path), **kwargs
            )
        except oci.exceptions.ServiceError as exc:
            raise _service_error(exc, "upload") from exc
        reported = response.headers.get("opc-multipart-md5") or response.headers.get(
            "opc-content-md5"
        )
        if reported and reported != local_md5:
            raise DeployError(
                f"{file.object_name}: Object Storage reports MD5 {reported}, expected {local_md5}",
                step="upload",
            )
        report.uploaded.append(file.object_name)
    return report


def _remote_md5(client: Any, artifact: ArtifactLocation, object_name: str) -> str | None:
    """The stored object's MD5 as :func:`expected_md5` computes it, or None when absent."""
    import oci

    try:
        response = client.head_object(artifact.namespace, artifact.bucket, object_name)
    except oci.exceptions.ServiceError as exc:
        if exc.status == 404:
            return None
        raise _service_error(exc, "upload") from exc
    headers = response.headers
    return str(headers.get("opc-multipart-md5") or headers.get("content-md5") or "") or "(unknown)"


def _service_error(exc: Any, step: str) -> DeployError:
    return DeployError(
        f"{exc.code}: {exc.message}",
        step=step,
        status=exc.status,
        error_type=exc.code,
        opc_request_id=exc.request_id,
    )


class Upload(Step):
    """The model files into the spec's versioned bucket, identical objects skipped."""

    key = "upload"
    label = "upload"
    prepares = True

    def describe(self, spec: DeploySpec, options: RunOptions) -> PlannedStep:
        """Bucket, namespace, prefix and the rules on existing objects."""
        artifact = spec.artifact
        return PlannedStep(
            self.key,
            "Upload to Object Storage (UploadManager, multipart, MD5-verified)",
            {
                "bucket": artifact.bucket,
                "namespace": artifact.namespace,
                "prefix": f"{artifact.prefix}/",
                "files": "those TEI needs (the download step's list)",
                "bucket must be": "versioned"
                + (" (created versioned if missing)" if artifact.create_bucket else ""),
                "existing objects": "identical ones skipped; different content refused, "
                "never overwritten",
            },
        )

    def headline(self, run: DeployRun) -> str:
        """What the line says."""
        return f"to {run.spec.artifact.uri}/"

    def run(self, run: DeployRun) -> None:
        """Upload ``run.model_dir``."""
        spec, echo = run.spec, run.echo
        if run.model_dir is None:
            raise DeployError("no model files: the download step did not run", step=self.key)
        storage = run.session.object_storage(spec.region)
        if ensure_versioned_bucket(
            storage, spec.artifact, spec.compartment_id, create=spec.artifact.create_bucket
        ):
            echo(f"  created the versioned bucket {spec.artifact.bucket}")
        report = upload_directory(
            storage, run.model_dir, spec.artifact, patterns=TEI_FILE_PATTERNS, echo=echo
        )
        echo(f"  {len(report.uploaded)} uploaded, {len(report.skipped)} already there")
