"""Object Storage and Data Science through the unchanged oci SDK clients."""

from __future__ import annotations

import io
import json
import time
import zipfile
from pathlib import Path

import oci
import pytest

from oci_tei_emulator._containers import ContainerError, check_image_on_shape
from tests.fixtures.oci import all_items, sdk_client

COMPARTMENT = "ocid1.compartment.oc1..aaaaaaaatest"
PROJECT = "ocid1.datascienceproject.oc1.iad.aaaaaaaatest"


def _clients(emu, oci_config: Path):
    config = oci.config.from_file(str(oci_config))
    return (
        sdk_client(oci.object_storage.ObjectStorageClient, config, service_endpoint=emu.url),
        sdk_client(oci.data_science.DataScienceClient, config, service_endpoint=emu.url),
    )


def _bucket(os_client, ns: str, name: str = "models") -> None:
    os_client.create_bucket(
        ns,
        oci.object_storage.models.CreateBucketDetails(
            name=name, compartment_id=COMPARTMENT, versioning="Enabled"
        ),
    )


def test_update_bucket_versioning(emulator, oci_config: Path) -> None:
    emu = emulator()
    client, _ = _clients(emu, oci_config)
    ns = emu.namespace
    models = oci.object_storage.models
    client.create_bucket(ns, models.CreateBucketDetails(name="plain", compartment_id=COMPARTMENT))
    assert client.get_bucket(ns, "plain").data.versioning == "Disabled"
    assert [b.name for b in all_items(client.list_buckets, ns, COMPARTMENT)] == ["plain"]
    client.put_object(ns, "plain", "a", b"1")
    client.put_object(ns, "plain", "a", b"2")
    assert len(all_items(client.list_object_versions, ns, "plain")) == 1

    updated = client.update_bucket(
        ns, "plain", models.UpdateBucketDetails(versioning="Enabled", freeform_tags={"t": "1"})
    )
    assert updated.data.versioning == "Enabled"
    assert updated.data.freeform_tags == {"t": "1"}
    assert client.get_bucket(ns, "plain").data.versioning == "Enabled"
    client.put_object(ns, "plain", "a", b"3")
    assert len(all_items(client.list_object_versions, ns, "plain")) == 2

    client.update_bucket(ns, "plain", models.UpdateBucketDetails(versioning="Suspended"))
    client.put_object(ns, "plain", "a", b"4")
    # Unversioned writes replace the one unversioned version ("2", then "4"); "3" stays.
    client.put_object(ns, "plain", "a", b"5")
    versions = all_items(client.list_object_versions, ns, "plain")
    contents = sorted(
        client.get_object(ns, "plain", "a", version_id=v.version_id).data.content for v in versions
    )
    assert contents == [b"3", b"5"]

    with pytest.raises(oci.exceptions.ServiceError) as info:
        client.update_bucket(
            ns, "plain", models.UpdateBucketDetails(compartment_id=COMPARTMENT), if_match="stale"
        )
    assert info.value.status == 412
    with pytest.raises(oci.exceptions.ServiceError) as info:
        client.update_bucket(ns, "missing", models.UpdateBucketDetails(versioning="Enabled"))
    assert info.value.status == 404
    assert info.value.code == "BucketNotFound"


def test_objects_versions_and_multipart(emulator, oci_config: Path, tmp_path: Path) -> None:
    emu = emulator()
    client, _ = _clients(emu, oci_config)
    ns = client.get_namespace().data
    _bucket(client, ns)
    assert client.get_bucket(ns, "models").data.versioning == "Enabled"
    put = client.put_object(
        ns, "models", "m/config.json", b'{"a": 1}', content_type="application/json"
    )
    assert put.headers["opc-content-md5"]
    assert put.headers["version-id"]
    client.put_object(ns, "models", "m/config.json", b'{"a": 2}')
    head = client.head_object(ns, "models", "m/config.json")
    assert int(head.headers["content-length"]) == 8
    assert client.get_object(ns, "models", "m/config.json").data.content == b'{"a": 2}'
    versions = all_items(client.list_object_versions, ns, "models", prefix="m/")
    assert len(versions) == 2
    assert all(v.version_id for v in versions)
    old = client.get_object(ns, "models", "m/config.json", version_id=versions[1].version_id)
    assert old.data.content == b'{"a": 1}'
    big = tmp_path / "weights.bin"
    big.write_bytes(bytes(range(256)) * 50_000)  # 12.8 MB: several parts
    manager = oci.object_storage.UploadManager(client, allow_parallel_uploads=True)
    manager.upload_file(ns, "models", "m/weights.bin", str(big), part_size=5 * 1024 * 1024)
    listed = oci.pagination.list_call_get_all_results(
        client.list_objects, ns, "models", prefix="m/", fields="name,size,md5"
    ).data.objects
    assert {o.name: o.size for o in listed} == {
        "m/config.json": 8,
        "m/weights.bin": big.stat().st_size,
    }
    assert client.get_object(ns, "models", "m/weights.bin").data.content == big.read_bytes()
    with pytest.raises(oci.exceptions.ServiceError) as info:
        client.get_object(ns, "models", "missing")
    assert info.value.status == 404
    assert info.value.code == "ObjectNotFound"


def _by_reference_artifact(ns: str, bucket: str, prefix: str) -> bytes:
    description = {
        "version": "1.0",
        "type": "modelOSSReferenceDescription",
        "models": [{"namespace": ns, "bucketName": bucket, "prefix": prefix, "objects": []}],
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("model_description.json", json.dumps(description))
    return buffer.getvalue()


def _deployment_details(
    model_id: str, image: str, shape: str, cmd: list[str], health_port: int = 8080
):
    models = oci.data_science.models
    return models.CreateModelDeploymentDetails(
        display_name="tei",
        project_id=PROJECT,
        compartment_id=COMPARTMENT,
        model_deployment_configuration_details=models.SingleModelDeploymentConfigurationDetails(
            model_configuration_details=models.ModelConfigurationDetails(
                model_id=model_id,
                instance_configuration=models.InstanceConfiguration(instance_shape_name=shape),
                bandwidth_mbps=10,
            ),
            environment_configuration_details=models.OcirModelDeploymentEnvironmentConfigurationDetails(
                image=image,
                cmd=cmd,
                server_port=8080,
                health_check_port=health_port,
                environment_variables={"MODEL_DEPLOY_PREDICT_ENDPOINT": "/v1/embeddings"},
            ),
        ),
    )


def _wait(ds, work_request_id: str, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while True:
        wr = ds.get_work_request(work_request_id).data
        if wr.status in ("SUCCEEDED", "FAILED") or time.monotonic() > deadline:
            return wr
        time.sleep(0.05)


@pytest.fixture
def model_in_catalog(emulator, oci_config: Path):
    emu = emulator()
    os_client, ds = _clients(emu, oci_config)
    ns = os_client.get_namespace().data
    _bucket(os_client, ns)
    os_client.put_object(ns, "models", "minilm/config.json", b"{}")
    model = ds.create_model(
        oci.data_science.models.CreateModelDetails(
            compartment_id=COMPARTMENT, project_id=PROJECT, display_name="minilm"
        )
    ).data
    ds.create_model_artifact(model.id, _by_reference_artifact(ns, "models", "minilm"))
    return emu, ds, model


def test_model_catalog(model_in_catalog) -> None:
    _emu, ds, model = model_in_catalog
    assert model.lifecycle_state == "ACTIVE"
    assert ds.get_model(model.id).data.is_model_by_reference is True
    assert [m.id for m in all_items(ds.list_models, compartment_id=COMPARTMENT)] == [model.id]
    updated = ds.update_model(
        model.id, oci.data_science.models.UpdateModelDetails(display_name="x")
    )
    assert updated.data.display_name == "x"
    assert ds.head_model_artifact(model.id).status == 200
    shapes = all_items(ds.list_model_deployment_shapes, compartment_id=COMPARTMENT)
    assert "VM.GPU.A10.1" in {s.name for s in shapes}


GOOD_CMD = [
    "--model-id",
    "/opt/ds/model/deployed_model/minilm/",
    "--port",
    "8080",
    "--hostname",
    "0.0.0.0",
]


CPU = ("iad.ocir.io/t/tei:cpu-1.5", "VM.Standard.E4.Flex")


@pytest.mark.parametrize(
    ("image", "shape", "cmd", "health_port", "reason"),
    [
        ("iad.ocir.io/t/tei:hopper-1.5", "VM.GPU.A10.1", GOOD_CMD, 8080, "TEI refuses to start"),
        ("iad.ocir.io/t/tei:86-1.5", "VM.GPU3.1", GOOD_CMD, 8080, "V100"),
        ("iad.ocir.io/t/tei:1.5", "VM.Standard.E4.Flex", GOOD_CMD, 8080, "has no GPU"),
        (*CPU, [*GOOD_CMD[:3], "9090", *GOOD_CMD[4:]], 8080, "server port is 8080"),
        (*CPU, GOOD_CMD, 9000, "health check port is 9000"),
        (*CPU, GOOD_CMD[:4], 8080, "0.0.0.0"),
        (*CPU, [*GOOD_CMD, "--hostname", "my-host"], 8080, "must be an IP address"),
        (
            *CPU,
            ["--model-id", "/opt/ds/model/deployed_model/nothing", *GOOD_CMD[2:]],
            8080,
            "holds no model",
        ),
        # Only the server can tell ("{}" is no model config): the server's own message.
        (*CPU, GOOD_CMD, 8080, "Failed to parse `config.json`"),
    ],
)
def test_invalid_containers_fail_with_reason(
    model_in_catalog, image, shape, cmd, health_port, reason
) -> None:
    emu, ds, model = model_in_catalog
    created = ds.create_model_deployment(
        _deployment_details(model.id, image, shape, cmd, health_port)
    )
    assert created.data.lifecycle_state == "CREATING"
    assert created.data.model_deployment_url == f"{emu.url}/{created.data.id}"
    wr = _wait(ds, created.headers["opc-work-request-id"])
    assert wr.status == "FAILED"
    errors = all_items(ds.list_work_request_errors, wr.id)
    logs = all_items(ds.list_work_request_logs, wr.id)
    assert errors
    assert any(reason in e.message for e in errors), [e.message for e in errors]
    assert any(reason in entry.message for entry in logs)
    assert str(emu.data_dir) not in errors[0].message  # no host paths leak into reasons
    assert ds.get_model_deployment(created.data.id).data.lifecycle_state == "FAILED"
    ds.delete_model_deployment(created.data.id)


def test_work_requests_filter_by_resource(model_in_catalog) -> None:
    _emu, ds, model = model_in_catalog
    details = _deployment_details(
        model.id, "iad.ocir.io/t/tei:1.5", "VM.Standard.E4.Flex", GOOD_CMD
    )
    first = ds.create_model_deployment(details)
    second = ds.create_model_deployment(details)
    for created in (first, second):
        _wait(ds, created.headers["opc-work-request-id"])
    mine = all_items(ds.list_work_requests, COMPARTMENT, resource_id=first.data.id)
    assert [wr.id for wr in mine] == [first.headers["opc-work-request-id"]]
    assert (
        len(all_items(ds.list_work_requests, COMPARTMENT, operation_type="MODEL_DEPLOYMENT_CREATE"))
        == 2
    )
    assert all_items(ds.list_work_requests, COMPARTMENT, status="SUCCEEDED") == []
    ds.delete_model_deployment(first.data.id)
    deleted = _wait(
        ds, all_items(ds.list_work_requests, COMPARTMENT, resource_id=first.data.id)[0].id
    )
    assert deleted.operation_type == "MODEL_DEPLOYMENT_DELETE"
    assert ds.get_model_deployment(first.data.id).data.lifecycle_state == "DELETED"
    with pytest.raises(oci.exceptions.ServiceError) as info:
        ds.delete_model_deployment(first.data.id)
    assert info.value.status == 404


def test_image_architecture_rules() -> None:
    check_image_on_shape("r/tei:86-1.5", "VM.GPU.A10.2")
    check_image_on_shape("r/tei:89-1.5", "BM.GPU.L40S.4")
    check_image_on_shape("r/tei:hopper-1.5", "BM.GPU.H100.8")
    check_image_on_shape("r/tei:1.5", "BM.GPU.A100-v2.8")
    check_image_on_shape("r/tei:cpu-1.5", "VM.GPU.A10.1")
    for image, shape in (("r/tei:86-1.5", "BM.GPU.H100.8"), ("r/tei:1.5", "VM.GPU2.1")):
        with pytest.raises(ContainerError):
            check_image_on_shape(image, shape)


def test_bad_request_bodies_get_oci_errors(emulator, oci_config: Path) -> None:
    emu = emulator()
    _, ds = _clients(emu, oci_config)
    with pytest.raises(oci.exceptions.ServiceError) as info:
        ds.create_model_deployment(oci.data_science.models.CreateModelDeploymentDetails())
    assert info.value.status == 400
    with pytest.raises(oci.exceptions.ServiceError) as info:
        ds.get_model_deployment("ocid1.datasciencemodeldeployment.oc1..missing")
    assert info.value.status == 404
    assert info.value.code == "NotAuthorizedOrNotFound"
