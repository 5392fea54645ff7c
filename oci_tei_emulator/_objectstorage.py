"""Object Storage: namespace, buckets (versioning, updates), objects, versions, multipart uploads.

Object bytes are files under the emulator's data dir (models are ~90 MB); metadata lives in
memory. Wire shapes come from ``oci.object_storage.models``.
"""

from __future__ import annotations

__all__ = [
    "STORE",
    "Bucket",
    "ObjectStore",
    "Part",
    "StoredObject",
    "Upload",
    "add_routes",
    "link_or_copy",
]

import base64
import datetime as dt
import hashlib
import json
import os
import shutil
import threading
import uuid
from dataclasses import dataclass, field
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from oci_tei.contract._buckets import BUCKET_NAME_PATTERN
from oci_tei_emulator._context import EmulatorContext, caller_id, new_ocid
from oci_tei_emulator._errors import OCIError, invalid_parameter, not_found
from oci_tei_emulator._gateway import CONTEXT
from oci_tei_emulator._paging import page_limit, page_of
from oci_tei_emulator._wire import from_wire, model_response

SERVICE = "object_storage"
_CHUNK = 1024 * 1024


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@dataclass
class StoredObject:
    """One version of an object."""

    name: str
    version_id: str
    path: Path | None
    size: int
    md5: str
    etag: str
    content_type: str
    metadata: dict[str, str]
    time_modified: dt.datetime
    multipart_md5: str | None = None
    delete_marker: bool = False
    #: Written while versioning was not Enabled: the next such write replaces it.
    null_version: bool = False


@dataclass
class Part:
    """One uploaded part of a multipart upload."""

    num: int
    path: Path
    size: int
    md5: str
    etag: str


@dataclass
class Upload:
    """A multipart upload in progress."""

    upload_id: str
    object: str
    content_type: str
    metadata: dict[str, str]
    time_created: dt.datetime
    parts: dict[int, Part] = field(default_factory=dict)
    #: ``if-none-match: *`` at creation: the commit fails too if the object appeared since.
    if_none_match: str | None = None


@dataclass
class Bucket:
    """A bucket: its settings and every version of every object."""

    name: str
    compartment_id: str
    versioning: str
    id: str
    etag: str
    time_created: dt.datetime
    created_by: str
    metadata: dict[str, str] = field(default_factory=dict)
    freeform_tags: dict[str, str] = field(default_factory=dict)
    defined_tags: dict[str, dict[str, Any]] = field(default_factory=dict)
    objects: dict[str, list[StoredObject]] = field(default_factory=dict)
    uploads: dict[str, Upload] = field(default_factory=dict)

    def latest(self, name: str) -> StoredObject | None:
        """The current version of an object, None when absent or deleted."""
        versions = self.objects.get(name)
        if not versions or versions[-1].delete_marker:
            return None
        return versions[-1]


class ObjectStore:
    """The buckets of one namespace, backed by files under ``root``; thread-safe."""

    def __init__(self, namespace: str, root: Path) -> None:
        self.namespace = namespace
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self.buckets: dict[str, Bucket] = {}
        self.lock = threading.RLock()

    def bucket(self, namespace: str, name: str) -> Bucket:
        """The bucket, or 404 the way OCI answers."""
        with self.lock:
            found = self.buckets.get(name) if namespace == self.namespace else None
        if found is None:
            raise OCIError(
                404,
                "BucketNotFound",
                f"Either the bucket named '{name}' does not exist in the namespace '{namespace}' or you are not authorized to access it",
            )
        return found

    def new_blob(self) -> Path:
        """A fresh path for object bytes."""
        return self.root / uuid.uuid4().hex

    def files_under(self, namespace: str, bucket: str, prefix: str) -> dict[str, Path]:
        """Current objects whose names start with ``prefix``: name → file."""
        found = self.bucket(namespace, bucket)
        with self.lock:
            return {
                name: obj.path
                for name in sorted(found.objects)
                if name.startswith(prefix)
                and (obj := found.latest(name)) is not None
                and obj.path is not None
            }

    def version_file(self, namespace: str, bucket: str, name: str, version_id: str | None) -> Path:
        """The file of one version of an object (the current one when ``version_id`` is None).

        Raises:
            OCIError: 404 when the object or that version does not exist.
        """
        found = self.bucket(namespace, bucket)
        with self.lock:
            versions = found.objects.get(name, [])
            if version_id is None:
                current = found.latest(name)
                match = [current] if current is not None else []
            else:
                match = [v for v in versions if v.version_id == version_id and not v.delete_marker]
        if not match or match[0].path is None:
            which = f"version {version_id} of " if version_id else ""
            raise OCIError(
                404, "ObjectNotFound", f"{which}object '{name}' not found in bucket '{bucket}'"
            )
        return match[0].path


STORE = web.AppKey("oci_tei_object_store", ObjectStore)


def _b64md5(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")


async def _stream_to_file(request: web.Request, path: Path) -> tuple[int, bytes, bytes]:
    """Write the body to ``path``; return its length, MD5 and SHA-256."""
    md5 = hashlib.md5(usedforsecurity=False)
    sha = hashlib.sha256()
    size = 0
    with path.open("wb") as out:
        async for chunk in request.content.iter_chunked(_CHUNK):
            md5.update(chunk)
            sha.update(chunk)
            size += len(chunk)
            out.write(chunk)
    return size, md5.digest(), sha.digest()


async def _authenticated_upload(request: web.Request, path: Path) -> tuple[int, str]:
    """Receive a signed binary upload to ``path``; return its size and base64 MD5."""
    ctx: EmulatorContext = request.app[CONTEXT]
    if request.headers.get("Content-Length") is None:
        raise OCIError(411, "LengthRequired", "Content-Length is required.")
    try:
        size, md5, sha = await _stream_to_file(request, path)
        ctx.authenticate(request, body_optional=True, body_length=size, body_sha256=sha)
    except BaseException:
        path.unlink(missing_ok=True)  # noqa: ASYNC240 - removing one local file is instant
        raise
    expected = request.headers.get("Content-MD5")
    if expected is not None and expected != _b64md5(md5):
        path.unlink(missing_ok=True)  # noqa: ASYNC240 - removing one local file is instant
        raise OCIError(
            400,
            "InvalidContentMD5",
            "The computed MD5 of the request body does not match the Content-MD5 header.",
        )
    return size, _b64md5(md5)


def _metadata(request: web.Request) -> dict[str, str]:
    return {k.lower(): v for k, v in request.headers.items() if k.lower().startswith("opc-meta-")}


def _object_headers(obj: StoredObject) -> dict[str, str]:
    headers = {
        "ETag": obj.etag,
        "last-modified": format_datetime(obj.time_modified, usegmt=True),
        "version-id": obj.version_id,
        "Content-Type": obj.content_type,
        "archival-state": "Available",
        "storage-tier": "Standard",
        **obj.metadata,
    }
    if obj.multipart_md5:
        headers["opc-multipart-md5"] = obj.multipart_md5
    else:
        headers["Content-MD5"] = obj.md5
    return headers


async def _read_json(request: web.Request, type_name: str) -> Any:
    ctx: EmulatorContext = request.app[CONTEXT]
    body = await request.read()
    ctx.authenticate(request, body)
    return from_wire(SERVICE, body, type_name)


def _auth(request: web.Request) -> None:
    request.app[CONTEXT].authenticate(request)


# -- namespace and buckets -----------------------------------------------------------------


async def get_namespace(request: web.Request) -> web.Response:
    """GetNamespace."""
    _auth(request)
    return web.Response(
        text=json.dumps(request.app[STORE].namespace), content_type="application/json"
    )


async def create_bucket(request: web.Request) -> web.Response:
    """CreateBucket."""
    import oci

    store: ObjectStore = request.app[STORE]
    namespace = request.match_info["ns"]
    details = await _read_json(request, "CreateBucketDetails")
    if not details.name or not details.compartment_id:
        raise invalid_parameter("name and compartmentId are required.")
    if not BUCKET_NAME_PATTERN.match(details.name):  # CreateBucketDetails.name's docstring
        raise invalid_parameter(
            f"Invalid bucket name {details.name!r}: valid characters are uppercase or "
            "lowercase letters, numbers, hyphens, underscores, and periods."
        )
    if namespace != store.namespace:
        raise not_found("namespace")
    versioning = "Enabled" if details.versioning == "Enabled" else "Disabled"
    with store.lock:
        if details.name in store.buckets:
            raise OCIError(
                409,
                "BucketAlreadyExists",
                "Either the bucket already exists or you are not authorized to create it.",
            )
        bucket = Bucket(
            name=details.name,
            compartment_id=details.compartment_id,
            versioning=versioning,
            id=new_ocid("bucket", request.app[CONTEXT].config.region),
            etag=uuid.uuid4().hex,
            time_created=_now(),
            created_by=caller_id(request),
            metadata=dict(details.metadata or {}),
            freeform_tags=dict(details.freeform_tags or {}),
            defined_tags=dict(details.defined_tags or {}),
        )
        store.buckets[bucket.name] = bucket
    return model_response(SERVICE, _bucket_model(oci, store, bucket), headers={"ETag": bucket.etag})


def _bucket_model(oci: Any, store: ObjectStore, bucket: Bucket) -> Any:
    return oci.object_storage.models.Bucket(
        namespace=store.namespace,
        name=bucket.name,
        compartment_id=bucket.compartment_id,
        metadata=bucket.metadata,
        freeform_tags=bucket.freeform_tags,
        defined_tags=bucket.defined_tags,
        created_by=bucket.created_by,
        time_created=bucket.time_created,
        etag=bucket.etag,
        public_access_type="NoPublicAccess",
        storage_tier="Standard",
        object_events_enabled=False,
        versioning=bucket.versioning,
        id=bucket.id,
        auto_tiering="Disabled",
    )


async def list_buckets(request: web.Request) -> web.Response:
    """ListBuckets (compartmentId required), by name, paginated."""
    import oci

    _auth(request)
    store: ObjectStore = request.app[STORE]
    compartment = request.query.get("compartmentId")
    if not compartment:
        raise OCIError(400, "MissingParameter", "compartmentId is required.")
    if request.match_info["ns"] != store.namespace:
        raise not_found("namespace")
    with store.lock:
        buckets = sorted(store.buckets.values(), key=lambda bucket: bucket.name)
    summaries = [
        oci.object_storage.models.BucketSummary(
            namespace=store.namespace,
            name=bucket.name,
            compartment_id=bucket.compartment_id,
            created_by=bucket.created_by,
            time_created=bucket.time_created,
            etag=bucket.etag,
            freeform_tags=bucket.freeform_tags,
            defined_tags=bucket.defined_tags,
        )
        for bucket in buckets
        if bucket.compartment_id == compartment
    ]
    chunk, headers = page_of(request, summaries, request.app[CONTEXT].config.page_size)
    return model_response(SERVICE, chunk, headers=headers)


async def get_bucket(request: web.Request) -> web.Response:
    """GetBucket and HeadBucket."""
    import oci

    _auth(request)
    store: ObjectStore = request.app[STORE]
    bucket = store.bucket(request.match_info["ns"], request.match_info["bucket"])
    if request.method == "HEAD":
        return web.Response(headers={"ETag": bucket.etag})
    return model_response(SERVICE, _bucket_model(oci, store, bucket), headers={"ETag": bucket.etag})


async def update_bucket(request: web.Request) -> web.Response:
    """UpdateBucket: versioning, name, compartment, metadata and tags.

    Versioning goes Enabled or Suspended, never back to Disabled; ``if-match`` guards
    against concurrent changes.
    """
    import oci

    store: ObjectStore = request.app[STORE]
    details = await _read_json(request, "UpdateBucketDetails")
    bucket = store.bucket(request.match_info["ns"], request.match_info["bucket"])
    with store.lock:
        if_match = request.headers.get("if-match")
        if if_match and if_match != bucket.etag:
            raise OCIError(412, "IfMatchFailed", "The If-Match header does not match the ETag.")
        if details.versioning is not None:
            if details.versioning not in ("Enabled", "Suspended"):
                raise invalid_parameter("versioning must be Enabled or Suspended.")
            bucket.versioning = details.versioning
        if details.name and details.name != bucket.name:
            if details.name in store.buckets:
                raise OCIError(
                    409,
                    "BucketAlreadyExists",
                    "Either the bucket already exists or you are not authorized to create it.",
                )
            store.buckets[details.name] = store.buckets.pop(bucket.name)
            bucket.name = details.name
        if details.compartment_id:
            bucket.compartment_id = details.compartment_id
        for attr in ("metadata", "freeform_tags", "defined_tags"):
            value = getattr(details, attr)
            if value is not None:
                setattr(bucket, attr, dict(value))
        bucket.etag = uuid.uuid4().hex
    return model_response(SERVICE, _bucket_model(oci, store, bucket), headers={"ETag": bucket.etag})


# -- objects -------------------------------------------------------------------------------


def _drop_null_versions(bucket: Bucket, name: str) -> list[StoredObject]:
    """Remove the versions of ``name`` written while versioning was off; return the rest."""
    versions = bucket.objects.setdefault(name, [])
    for old in versions:
        if old.null_version and old.path is not None:
            old.path.unlink(missing_ok=True)
    versions[:] = [v for v in versions if not v.null_version]
    return versions


def _commit_version(bucket: Bucket, obj: StoredObject) -> None:
    """Add a version: beside the others when Enabled, else replacing the unversioned one.

    With versioning Suspended, versions written while it was Enabled stay.
    """
    if bucket.versioning == "Enabled":
        bucket.objects.setdefault(obj.name, []).append(obj)
        return
    obj.null_version = True
    _drop_null_versions(bucket, obj.name).append(obj)


def _check_preconditions(request: web.Request, bucket: Bucket, name: str) -> None:
    current = bucket.latest(name)
    if request.headers.get("if-none-match") == "*" and current is not None:
        raise OCIError(412, "IfNoneMatchFailed", f"The object '{name}' already exists.")
    if_match = request.headers.get("if-match")
    if if_match and (current is None or current.etag != if_match):
        raise OCIError(412, "IfMatchFailed", "The If-Match header does not match the ETag.")


async def put_object(request: web.Request) -> web.Response:
    """PutObject (signed without body headers by the SDK)."""
    store: ObjectStore = request.app[STORE]
    bucket = store.bucket(request.match_info["ns"], request.match_info["bucket"])
    name = request.match_info["object"]
    path = store.new_blob()
    size, md5 = await _authenticated_upload(request, path)
    obj = StoredObject(
        name=name,
        version_id=str(uuid.uuid4()),
        path=path,
        size=size,
        md5=md5,
        etag=str(uuid.uuid4()),
        content_type=request.headers.get("Content-Type", "application/octet-stream"),
        metadata=_metadata(request),
        time_modified=_now(),
    )
    with store.lock:
        try:
            _check_preconditions(request, bucket, name)
        except OCIError:
            path.unlink(missing_ok=True)
            raise
        _commit_version(bucket, obj)
    return web.Response(
        headers={
            "ETag": obj.etag,
            "opc-content-md5": md5,
            "last-modified": format_datetime(obj.time_modified, usegmt=True),
            "version-id": obj.version_id,
        }
    )


def _find_version(request: web.Request, bucket: Bucket, name: str) -> StoredObject:
    version_id = request.query.get("versionId")
    with bucket_lock(request):
        if version_id:
            for obj in bucket.objects.get(name, []):
                if obj.version_id == version_id and not obj.delete_marker:
                    return obj
        elif (current := bucket.latest(name)) is not None:
            return current
    raise OCIError(
        404, "ObjectNotFound", f"The object '{name}' was not found in the bucket '{bucket.name}'"
    )


def bucket_lock(request: web.Request) -> threading.RLock:
    """The store's lock."""
    lock: threading.RLock = request.app[STORE].lock
    return lock


async def get_object(request: web.Request) -> web.StreamResponse:
    """GetObject and HeadObject (whole objects and ``Range: bytes=a-b``)."""
    _auth(request)
    store: ObjectStore = request.app[STORE]
    bucket = store.bucket(request.match_info["ns"], request.match_info["bucket"])
    obj = _find_version(request, bucket, request.match_info["object"])
    headers = _object_headers(obj)
    if_none_match = request.headers.get("if-none-match")
    if if_none_match and if_none_match == obj.etag:
        # get_object/head_object docstrings: "If the ETag matches the ETag of the existing
        # resource, the request returns an HTTP 304 status without a response body."
        return web.Response(status=304, headers={"ETag": obj.etag, "version-id": obj.version_id})
    if request.method == "HEAD":
        headers["Content-Length"] = str(obj.size)
        return web.Response(headers=headers)
    assert obj.path is not None
    start, end = 0, obj.size - 1
    status = 200
    if (rng := request.headers.get("Range", "")).startswith("bytes="):
        try:
            first, _, last = rng[6:].partition("-")
            start = int(first) if first else max(0, obj.size - int(last))
            end = min(int(last), obj.size - 1) if first and last else obj.size - 1
        except ValueError:
            raise invalid_parameter("The Range header is malformed.") from None
        if start > end:
            raise OCIError(416, "InvalidRange", "The requested range is not satisfiable.")
        headers["Content-Range"] = f"bytes {start}-{end}/{obj.size}"
        status = 206
    response = web.StreamResponse(status=status, headers=headers)
    response.content_length = end - start + 1
    await response.prepare(request)
    with obj.path.open("rb") as source:
        source.seek(start)
        remaining = end - start + 1
        while remaining > 0:
            chunk = source.read(min(_CHUNK, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            await response.write(chunk)
    await response.write_eof()
    return response


async def delete_object(request: web.Request) -> web.Response:
    """DeleteObject: a delete marker when versioning is enabled.

    With ``versionId``, that one version only, permanently (``delete_object``'s docstring: "versionId: VersionId
    used to identify a particular version of the object"; OCI's "Object Versioning":
    deleting a specific version removes it, the current object stays unless it was the
    one deleted).
    """
    _auth(request)
    store: ObjectStore = request.app[STORE]
    bucket = store.bucket(request.match_info["ns"], request.match_info["bucket"])
    name = request.match_info["object"]
    if request.query.get("versionId"):
        return _delete_version(store, bucket, name, request.query["versionId"])
    _find_version(request, bucket, name)
    with store.lock:
        marker = StoredObject(
            name, str(uuid.uuid4()), None, 0, "", "", "", {}, _now(), delete_marker=True
        )
        if bucket.versioning == "Enabled":
            bucket.objects[name].append(marker)
        elif bucket.versioning == "Suspended":
            marker.null_version = True
            _drop_null_versions(bucket, name).append(marker)
        else:
            _drop_null_versions(bucket, name)
            bucket.objects.pop(name, None)
    return web.Response(
        status=204, headers={"version-id": marker.version_id, "is-delete-marker": "true"}
    )


def _delete_version(store: ObjectStore, bucket: Bucket, name: str, version_id: str) -> web.Response:
    """Remove one version (a delete marker too) and nothing else."""
    with store.lock:
        versions = bucket.objects.get(name, [])
        found = next((v for v in versions if v.version_id == version_id), None)
        if found is None:
            raise OCIError(
                404,
                "ObjectNotFound",
                f"Version {version_id} of object '{name}' was not found in the bucket "
                f"'{bucket.name}'",
            )
        versions.remove(found)
        if not versions:
            bucket.objects.pop(name, None)
    if found.path is not None:
        found.path.unlink(missing_ok=True)
    return web.Response(
        status=204,
        headers={
            "version-id": found.version_id,
            "is-delete-marker": "true" if found.delete_marker else "false",
            "last-modified": format_datetime(found.time_modified, usegmt=True),
        },
    )


def _limit(request: web.Request) -> int:
    """``limit``, else the emulator's page size (OCI's own default is 1000)."""
    return page_limit(request, request.app[CONTEXT].config.page_size)


async def list_objects(request: web.Request) -> web.Response:
    """ListObjects (prefix, start, end, startAfter, delimiter, limit, fields)."""
    import oci

    _auth(request)
    store: ObjectStore = request.app[STORE]
    bucket = store.bucket(request.match_info["ns"], request.match_info["bucket"])
    q = request.query
    prefix, delimiter = q.get("prefix", ""), q.get("delimiter")
    if delimiter not in (None, "/"):
        raise invalid_parameter("Only '/' is supported as delimiter.")
    fields = set((q.get("fields") or "name").split(","))
    limit = _limit(request)
    with store.lock:
        names = sorted(n for n in bucket.objects if bucket.latest(n) is not None)
    names = [n for n in names if n.startswith(prefix)]
    if "start" in q:
        names = [n for n in names if n >= q["start"]]
    if "startAfter" in q:
        names = [n for n in names if n > q["startAfter"]]
    if "end" in q:
        names = [n for n in names if n < q["end"]]
    summaries: list[Any] = []
    prefixes: set[str] = set()
    next_start = None
    for name in names:
        if delimiter and delimiter in name[len(prefix) :]:
            prefixes.add(name[: len(prefix) + name[len(prefix) :].index(delimiter) + 1])
            continue
        if len(summaries) == limit:
            next_start = name
            break
        obj = bucket.latest(name)
        assert obj is not None
        summaries.append(
            oci.object_storage.models.ObjectSummary(
                name=name,
                size=obj.size if "size" in fields else None,
                md5=obj.md5 if "md5" in fields and not obj.multipart_md5 else None,
                etag=obj.etag if "etag" in fields else None,
                time_created=obj.time_modified if "timeCreated" in fields else None,
                time_modified=obj.time_modified if "timeModified" in fields else None,
                storage_tier="Standard" if "storageTier" in fields else None,
            )
        )
    listing = oci.object_storage.models.ListObjects(
        objects=summaries, prefixes=sorted(prefixes) or None, next_start_with=next_start
    )
    return model_response(SERVICE, listing)


async def list_object_versions(request: web.Request) -> web.Response:
    """ListObjectVersions (prefix, limit, page)."""
    import oci

    _auth(request)
    store: ObjectStore = request.app[STORE]
    bucket = store.bucket(request.match_info["ns"], request.match_info["bucket"])
    q = request.query
    prefix = q.get("prefix", "")
    # start: "names lexicographically greater than or equal to"; end: "strictly less than";
    # startAfter: strictly greater (list_object_versions' docstring).
    with store.lock:
        rows = [
            (name, i, obj)
            for name in sorted(bucket.objects)
            if name.startswith(prefix)
            and ("start" not in q or name >= q["start"])
            and ("startAfter" not in q or name > q["startAfter"])
            and ("end" not in q or name < q["end"])
            for i, obj in reversed(list(enumerate(bucket.objects[name])))
        ]
    chunk, headers = page_of(request, rows, request.app[CONTEXT].config.page_size)
    items = [
        oci.object_storage.models.ObjectVersionSummary(
            name=name,
            size=obj.size,
            md5=obj.md5 or None,
            time_created=obj.time_modified,
            time_modified=obj.time_modified,
            etag=obj.etag or None,
            storage_tier="Standard",
            version_id=obj.version_id,
            is_delete_marker=obj.delete_marker,
        )
        for name, _, obj in chunk
    ]
    return model_response(
        SERVICE, oci.object_storage.models.ObjectVersionCollection(items=items), headers=headers
    )


# -- multipart -----------------------------------------------------------------------------


def _upload(request: web.Request, bucket: Bucket) -> Upload:
    upload_id = request.query.get("uploadId")
    if not upload_id:
        raise invalid_parameter("uploadId is required.")
    with bucket_lock(request):
        upload = bucket.uploads.get(upload_id)
    if upload is None or upload.object != request.match_info["object"]:
        raise OCIError(404, "NoSuchUpload", f"The upload '{upload_id}' does not exist.")
    return upload


async def create_multipart_upload(request: web.Request) -> web.Response:
    """CreateMultipartUpload."""
    import oci

    store: ObjectStore = request.app[STORE]
    bucket = store.bucket(request.match_info["ns"], request.match_info["bucket"])
    details = await _read_json(request, "CreateMultipartUploadDetails")
    if not details.object:
        raise invalid_parameter("object is required.")
    with store.lock:
        _check_preconditions(request, bucket, details.object)
    upload = Upload(
        upload_id=str(uuid.uuid4()),
        object=details.object,
        content_type=details.content_type or "application/octet-stream",
        metadata={k.lower(): v for k, v in (details.metadata or {}).items()},
        time_created=_now(),
        if_none_match=request.headers.get("if-none-match"),
    )
    with store.lock:
        bucket.uploads[upload.upload_id] = upload
    model = oci.object_storage.models.MultipartUpload(
        namespace=store.namespace,
        bucket=bucket.name,
        object=upload.object,
        upload_id=upload.upload_id,
        time_created=upload.time_created,
        storage_tier="Standard",
    )
    return model_response(SERVICE, model)


async def upload_part(request: web.Request) -> web.Response:
    """UploadPart (signed without body headers by the SDK)."""
    store: ObjectStore = request.app[STORE]
    bucket = store.bucket(request.match_info["ns"], request.match_info["bucket"])
    upload = _upload(request, bucket)
    try:
        num = int(request.query.get("uploadPartNum", ""))
    except ValueError:
        raise invalid_parameter("uploadPartNum must be an integer.") from None
    if not 1 <= num <= 10000:
        raise invalid_parameter("uploadPartNum must be between 1 and 10000.")
    path = store.new_blob()
    size, md5 = await _authenticated_upload(request, path)
    part = Part(num=num, path=path, size=size, md5=md5, etag=str(uuid.uuid4()))
    with store.lock:
        old = upload.parts.pop(num, None)
        if old is not None:
            old.path.unlink(missing_ok=True)
        upload.parts[num] = part
    return web.Response(headers={"ETag": part.etag, "opc-content-md5": md5})


async def commit_multipart_upload(request: web.Request) -> web.Response:
    """CommitMultipartUpload."""
    store: ObjectStore = request.app[STORE]
    bucket = store.bucket(request.match_info["ns"], request.match_info["bucket"])
    upload = _upload(request, bucket)
    details = await _read_json(request, "CommitMultipartUploadDetails")
    chosen = sorted(details.parts_to_commit or [], key=lambda p: p.part_num)
    if not chosen:
        raise invalid_parameter("partsToCommit must not be empty.")
    parts = []
    for wanted in chosen:
        part = upload.parts.get(wanted.part_num)
        if part is None or part.etag != wanted.etag:
            raise invalid_parameter(f"Part {wanted.part_num} was not uploaded with that ETag.")
        parts.append(part)
    path = store.new_blob()
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("wb") as out:
        for part in parts:
            digest.update(base64.b64decode(part.md5))
            with part.path.open("rb") as source:
                shutil.copyfileobj(source, out, _CHUNK)
    multipart_md5 = f"{_b64md5(digest.digest())}-{len(parts)}"
    obj = StoredObject(
        name=upload.object,
        version_id=str(uuid.uuid4()),
        path=path,
        size=sum(p.size for p in parts),
        md5="",
        etag=str(uuid.uuid4()),
        content_type=upload.content_type,
        metadata=upload.metadata,
        time_modified=_now(),
        multipart_md5=multipart_md5,
    )
    with store.lock:
        if (upload.if_none_match or request.headers.get("if-none-match")) == "*" and (
            bucket.latest(upload.object) is not None
        ):
            path.unlink(missing_ok=True)
            raise OCIError(
                412, "IfNoneMatchFailed", f"The object '{upload.object}' already exists."
            )
        _commit_version(bucket, obj)
        bucket.uploads.pop(upload.upload_id, None)
    for part in upload.parts.values():
        part.path.unlink(missing_ok=True)
    return web.Response(
        headers={
            "ETag": obj.etag,
            "opc-multipart-md5": multipart_md5,
            "last-modified": format_datetime(obj.time_modified, usegmt=True),
            "version-id": obj.version_id,
        }
    )


async def abort_multipart_upload(request: web.Request) -> web.Response:
    """AbortMultipartUpload."""
    _auth(request)
    store: ObjectStore = request.app[STORE]
    bucket = store.bucket(request.match_info["ns"], request.match_info["bucket"])
    upload = _upload(request, bucket)
    with store.lock:
        bucket.uploads.pop(upload.upload_id, None)
    for part in upload.parts.values():
        part.path.unlink(missing_ok=True)
    return web.Response(status=204)


async def list_multipart_upload_parts(request: web.Request) -> web.Response:
    """ListMultipartUploadParts."""
    import oci

    _auth(request)
    store: ObjectStore = request.app[STORE]
    upload = _upload(request, store.bucket(request.match_info["ns"], request.match_info["bucket"]))
    parts = [
        oci.object_storage.models.MultipartUploadPartSummary(
            etag=p.etag, md5=p.md5, size=p.size, part_number=p.num
        )
        for p in sorted(upload.parts.values(), key=lambda p: p.num)
    ]
    return model_response(SERVICE, parts)


async def list_multipart_uploads(request: web.Request) -> web.Response:
    """ListMultipartUploads: the bucket's uploads in progress (limit, page)."""
    import oci

    _auth(request)
    store: ObjectStore = request.app[STORE]
    bucket = store.bucket(request.match_info["ns"], request.match_info["bucket"])
    with store.lock:
        uploads = sorted(bucket.uploads.values(), key=lambda u: (u.object, u.time_created))
    items = [
        oci.object_storage.models.MultipartUpload(
            namespace=store.namespace,
            bucket=bucket.name,
            object=upload.object,
            upload_id=upload.upload_id,
            time_created=upload.time_created,
            storage_tier="Standard",
        )
        for upload in uploads
    ]
    chunk, headers = page_of(request, items, request.app[CONTEXT].config.page_size)
    return model_response(SERVICE, chunk, headers=headers)


async def delete_bucket(request: web.Request) -> web.Response:
    """DeleteBucket, refused while the bucket holds anything.

    "Deletes a bucket if the bucket is already empty ... you cannot delete a bucket that has a multipart upload in progress" (the SDK docstring); OCI answers such
    a delete 409 ``BucketNotEmpty`` (Object Storage's error table). Object versions and
    delete markers count: a versioned bucket is empty once every version is deleted.
    ``if-match`` is honoured (412).
    """
    _auth(request)
    store: ObjectStore = request.app[STORE]
    bucket = store.bucket(request.match_info["ns"], request.match_info["bucket"])
    with store.lock:
        if_match = request.headers.get("if-match")
        if if_match and if_match != bucket.etag:
            raise OCIError(412, "IfMatchFailed", "The If-Match header does not match the ETag.")
        if bucket.objects:
            raise OCIError(
                409,
                "BucketNotEmpty",
                f"Bucket named '{bucket.name}' is not empty. Delete all object versions first.",
            )
        if bucket.uploads:
            raise OCIError(
                409,
                "BucketNotEmpty",
                f"Bucket named '{bucket.name}' has multipart uploads in progress; abort them "
                "first.",
            )
        store.buckets.pop(bucket.name, None)
    return web.Response(status=204)


def add_routes(app: web.Application) -> None:
    """Register the Object Storage routes under ``/n``."""
    ctx: EmulatorContext = app[CONTEXT]
    app[STORE] = ObjectStore(ctx.config.namespace, ctx.data_dir / "objects")
    r = app.router
    r.add_get("/n", get_namespace)
    r.add_get("/n/", get_namespace)
    r.add_post("/n/{ns}/b", create_bucket)
    r.add_post("/n/{ns}/b/", create_bucket)
    r.add_get("/n/{ns}/b", list_buckets)
    r.add_get("/n/{ns}/b/", list_buckets)
    r.add_route("GET", "/n/{ns}/b/{bucket}", get_bucket)
    r.add_route("HEAD", "/n/{ns}/b/{bucket}", get_bucket)
    r.add_post("/n/{ns}/b/{bucket}", update_bucket)
    r.add_delete("/n/{ns}/b/{bucket}", delete_bucket)
    r.add_get("/n/{ns}/b/{bucket}/u", list_multipart_uploads)
    r.add_get("/n/{ns}/b/{bucket}/o", list_objects)
    r.add_get("/n/{ns}/b/{bucket}/o/", list_objects)
    r.add_put("/n/{ns}/b/{bucket}/o/{object:.+}", put_object)
    r.add_get("/n/{ns}/b/{bucket}/o/{object:.+}", get_object, allow_head=False)
    r.add_route("HEAD", "/n/{ns}/b/{bucket}/o/{object:.+}", get_object)
    r.add_delete("/n/{ns}/b/{bucket}/o/{object:.+}", delete_object)
    r.add_get("/n/{ns}/b/{bucket}/objectversions", list_object_versions)
    r.add_post("/n/{ns}/b/{bucket}/u", create_multipart_upload)
    r.add_put("/n/{ns}/b/{bucket}/u/{object:.+}", upload_part)
    r.add_post("/n/{ns}/b/{bucket}/u/{object:.+}", commit_multipart_upload)
    r.add_delete("/n/{ns}/b/{bucket}/u/{object:.+}", abort_multipart_upload)
    r.add_get("/n/{ns}/b/{bucket}/u/{object:.+}", list_multipart_upload_parts)


def link_or_copy(source: Path, target: Path) -> None:
    """Make ``target`` hold ``source``'s bytes: a hard link when possible, else a copy."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
