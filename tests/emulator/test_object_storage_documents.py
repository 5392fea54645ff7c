"""Object Storage held to the SDK's docstrings (issue 17), through the unmodified oci SDK."""

from __future__ import annotations

from pathlib import Path

import oci
import pytest

from tests.fixtures.oci import all_items

from .test_control_plane import COMPARTMENT, _bucket, _clients

NO_RETRY = oci.retry.NoneRetryStrategy()


@pytest.fixture
def store(emulator, oci_config: Path):
    emu = emulator()
    client, _ = _clients(emu, oci_config)
    _bucket(client, emu.namespace)
    return client, emu.namespace


def test_deleting_one_version_removes_that_version_only(store) -> None:
    client, ns = store
    client.put_object(ns, "models", "a", b"1")
    client.put_object(ns, "models", "a", b"2")
    old, current = sorted(
        all_items(client.list_object_versions, ns, "models"), key=lambda v: v.time_created
    )
    deleted = client.delete_object(ns, "models", "a", version_id=old.version_id)
    assert deleted.headers["version-id"] == old.version_id
    assert deleted.headers["is-delete-marker"] == "false"
    versions = all_items(client.list_object_versions, ns, "models")
    assert [v.version_id for v in versions] == [current.version_id]
    assert not any(v.is_delete_marker for v in versions)
    assert client.get_object(ns, "models", "a").data.content == b"2"
    # Deleting the current version by id leaves no object (no marker either).
    client.delete_object(ns, "models", "a", version_id=current.version_id)
    assert all_items(client.list_object_versions, ns, "models") == []
    with pytest.raises(oci.exceptions.ServiceError) as info:
        client.delete_object(ns, "models", "a", version_id=current.version_id)
    assert info.value.status == 404


def test_a_delete_marker_deleted_by_id_brings_the_object_back(store) -> None:
    client, ns = store
    client.put_object(ns, "models", "a", b"1")
    marker = client.delete_object(ns, "models", "a").headers["version-id"]
    with pytest.raises(oci.exceptions.ServiceError):
        client.get_object(ns, "models", "a")
    client.delete_object(ns, "models", "a", version_id=marker)
    assert client.get_object(ns, "models", "a").data.content == b"1"


def test_get_object_if_none_match_its_etag_is_304(store) -> None:
    client, ns = store
    etag = client.put_object(ns, "models", "a", b"1").headers["etag"]
    # The SDK reports the 304 ("without a response body") as a ServiceError of status 304.
    for call in (client.get_object, client.head_object):
        with pytest.raises(oci.exceptions.ServiceError) as info:
            call(ns, "models", "a", if_none_match=etag, retry_strategy=NO_RETRY)
        assert info.value.status == 304
    assert client.get_object(ns, "models", "a", if_none_match="other").status == 200


def test_multipart_upload_honours_if_none_match(store, tmp_path: Path) -> None:
    client, ns = store
    models = oci.object_storage.models
    client.put_object(ns, "models", "exists", b"1")
    with pytest.raises(oci.exceptions.ServiceError) as info:
        client.create_multipart_upload(
            ns,
            "models",
            models.CreateMultipartUploadDetails(object="exists"),
            if_none_match="*",
            retry_strategy=NO_RETRY,
        )
    assert (info.value.status, info.value.code) == (412, "IfNoneMatchFailed")
    # The UploadManager sends it for a large file: a new name uploads, an existing one fails.
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * (11 * 1024 * 1024))
    manager = oci.object_storage.UploadManager(client, allow_parallel_uploads=False)
    manager.upload_file(ns, "models", "big", str(big), part_size=5 * 1024 * 1024, if_none_match="*")
    assert client.head_object(ns, "models", "big").status == 200
    with pytest.raises(oci.exceptions.ServiceError) as info:
        manager.upload_file(
            ns, "models", "big", str(big), part_size=5 * 1024 * 1024, if_none_match="*"
        )
    assert info.value.status == 412


def test_list_object_versions_honours_start(store) -> None:
    client, ns = store
    for name in ("a", "b", "c"):
        client.put_object(ns, "models", name, b"1")
    names = [v.name for v in all_items(client.list_object_versions, ns, "models", start="b")]
    assert names == ["b", "c"]
    names = [v.name for v in all_items(client.list_object_versions, ns, "models", end="b")]
    assert names == ["a"]


def test_list_multipart_uploads_and_delete_bucket(store) -> None:
    client, ns = store
    models = oci.object_storage.models
    upload = client.create_multipart_upload(
        ns, "models", models.CreateMultipartUploadDetails(object="part")
    ).data
    listed = all_items(client.list_multipart_uploads, ns, "models")
    assert [(u.object, u.upload_id) for u in listed] == [("part", upload.upload_id)]
    with pytest.raises(oci.exceptions.ServiceError) as info:
        client.delete_bucket(ns, "models")
    assert (info.value.status, info.value.code) == (409, "BucketNotEmpty")
    client.abort_multipart_upload(ns, "models", "part", upload.upload_id)
    assert all_items(client.list_multipart_uploads, ns, "models") == []
    put = client.put_object(ns, "models", "a", b"1")
    client.delete_object(ns, "models", "a")  # a versioned bucket keeps the version
    with pytest.raises(oci.exceptions.ServiceError) as info:
        client.delete_bucket(ns, "models")
    assert (info.value.status, info.value.code) == (409, "BucketNotEmpty")
    for version in all_items(client.list_object_versions, ns, "models"):
        client.delete_object(ns, "models", "a", version_id=version.version_id)
    assert put.headers["version-id"]
    assert client.delete_bucket(ns, "models").status == 204
    assert all_items(client.list_buckets, ns, COMPARTMENT) == []
    with pytest.raises(oci.exceptions.ServiceError) as info:
        client.get_bucket(ns, "models")
    assert info.value.status == 404
