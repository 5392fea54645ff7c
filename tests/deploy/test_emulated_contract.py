"""A live deployment under OCI's rules, against the strict emulator through the oci SDK:
updates per lifecycle state and live-update group, NEEDS_ATTENTION with the old version
serving, the predict gateway's 405/411, declared routes and per-deployment bandwidth, and
deploy's create surviving a lost answer."""

from __future__ import annotations

import http.client
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import oci
import pytest

from oci_tei.deploy.spec import load_spec
from tests.fixtures.oci import all_items

from .emulated import COMPARTMENT, DeployEnv

models = oci.data_science.models
NO_RETRY = oci.retry.NoneRetryStrategy()  # the SDK retries 409 by default: not in tests


def _update(**model_fields: Any) -> Any:
    return models.UpdateModelDeploymentDetails(
        model_deployment_configuration_details=models.UpdateSingleModelDeploymentConfigurationDetails(
            model_configuration_details=models.UpdateModelConfigurationDetails(**model_fields)
        )
    )


def _env_update(env: dict[str, str]) -> Any:
    return models.UpdateModelDeploymentDetails(
        model_deployment_configuration_details=models.UpdateSingleModelDeploymentConfigurationDetails(
            environment_configuration_details=models.UpdateOcirModelDeploymentEnvironmentConfigurationDetails(
                environment_variables=env
            )
        )
    )


DeployedFactory = Callable[..., tuple[DeployEnv, Any]]


@pytest.fixture
def deployed(
    emulator, oci_config: Path, tmp_path: Path, model_dir: Path, tei_backend, restore_ads_auth
) -> DeployedFactory:
    """Deploy the demo spec on an emulator with ``settings``; the env and the outcome."""

    def deploy(name: str, **settings: Any) -> tuple[DeployEnv, Any]:
        emu = emulator(shared_backends={model_dir: tei_backend}, **settings)
        env = DeployEnv(emu, oci_config, tmp_path)
        return env, env.executor().deploy(load_spec(env.spec_file(name)), smoke_test=False)

    return deploy


@pytest.fixture
def live(deployed: DeployedFactory) -> tuple[DeployEnv, Any]:
    """An ACTIVE deployment whose updates take a moment (UPDATING can be seen)."""
    return deployed("live", activation_delay_s=0.5)


def test_updates_follow_the_lifecycle_and_the_live_groups(live) -> None:
    env, outcome = live
    ds, ocid, model_id = env.data_science, outcome.deployment_id, outcome.model_id
    # ACTIVE: two groups at once are refused; a field outside them needs INACTIVE.
    with pytest.raises(oci.exceptions.ServiceError) as info:
        ds.update_model_deployment(
            ocid,
            _update(
                model_id=model_id,
                bandwidth_mbps=40,
                scaling_policy=models.FixedSizeScalingPolicy(instance_count=2),
            ),
        )
    assert (info.value.status, info.value.code) == (400, "InvalidParameter")
    assert "one group at a time" in info.value.message
    with pytest.raises(oci.exceptions.ServiceError) as info:
        ds.update_model_deployment(
            ocid, _env_update({"RUST_LOG": "debug"}), retry_strategy=NO_RETRY
        )
    assert (info.value.status, info.value.code) == (409, "IncorrectState")
    assert "only be updated while the model deployment is INACTIVE" in info.value.message
    # One group alone is accepted; meanwhile (UPDATING) nothing else is.
    ds.update_model_deployment(ocid, _update(model_id=model_id, bandwidth_mbps=40))
    assert ds.get_model_deployment(ocid).data.lifecycle_state == "UPDATING"
    with pytest.raises(oci.exceptions.ServiceError) as info:
        ds.update_model_deployment(
            ocid, _update(model_id=model_id, bandwidth_mbps=50), retry_strategy=NO_RETRY
        )
    assert (info.value.status, info.value.code) == (409, "IncorrectState")
    assert env.wait_state(ocid, ("ACTIVE",)) == "ACTIVE"
    # INACTIVE takes anything; it applies at the next activation.
    ds.deactivate_model_deployment(ocid)
    assert env.wait_state(ocid, ("INACTIVE",)) == "INACTIVE"
    ds.update_model_deployment(
        ocid, _env_update({"RUST_LOG": "debug", "MODEL_DEPLOY_PREDICT_ENDPOINT": "/v1/embeddings"})
    )
    assert ds.get_model_deployment(ocid).data.lifecycle_state == "INACTIVE"
    ds.activate_model_deployment(ocid)
    assert env.wait_state(ocid, ("ACTIVE", "FAILED")) == "ACTIVE"
    record = ds.get_model_deployment(ocid).data
    environment = record.model_deployment_configuration_details.environment_configuration_details
    assert environment.environment_variables["RUST_LOG"] == "debug"
    assert env.embed(outcome.endpoint, ["reactivated"])[0]


def test_a_failed_live_update_needs_attention_and_the_old_version_serves(live) -> None:
    env, outcome = live
    ds, ocid = env.data_science, outcome.deployment_id
    broken = ds.create_model(
        models.CreateModelDetails(compartment_id=COMPARTMENT, project_id=_project(env, ocid))
    ).data  # no artifact: its container cannot start
    ds.update_model_deployment(ocid, _update(model_id=broken.id))
    assert env.wait_state(ocid, ("NEEDS_ATTENTION", "ACTIVE")) == "NEEDS_ATTENTION"
    record = ds.get_model_deployment(ocid).data
    assert "previous version still serves" in record.lifecycle_details
    model = record.model_deployment_configuration_details.model_configuration_details
    assert model.model_id == outcome.model_id
    assert env.embed(outcome.endpoint, ["still served"])[0]
    # NEEDS_ATTENTION takes live updates again.
    ds.update_model_deployment(ocid, _update(model_id=outcome.model_id, bandwidth_mbps=20))
    assert env.wait_state(ocid, ("ACTIVE",)) == "ACTIVE"


def _project(env: DeployEnv, ocid: str) -> str:
    return str(env.data_science.get_model_deployment(ocid).data.project_id)


def _raw(url: str, method: str, headers: dict[str, str], body: bytes | None = None) -> int:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.putrequest(method, parts.path, skip_accept_encoding=True)
    for name, value in headers.items():
        connection.putheader(name, value)
    connection.endheaders()
    if body is not None:
        connection.send(body)
    status = connection.getresponse().status
    connection.close()
    return status


def test_the_gateway_refuses_other_methods_missing_lengths_and_undeclared_routes(live) -> None:
    env, outcome = live
    assert _raw(outcome.endpoint, "GET", {}) == 405
    assert _raw(outcome.endpoint, "POST", {"Transfer-Encoding": "chunked"}, b"0\r\n\r\n") == 411
    signer = oci.signer.Signer.from_config(oci.config.from_file(str(env.oci_config)))
    import requests

    def post(route: str) -> requests.Response:
        return requests.post(
            outcome.endpoint,
            json={"inputs": ["x"]} if route != "/v1/embeddings" else {"input": ["x"]},
            headers={"route": route},
            auth=signer,
            timeout=30,
        )

    assert post("/embed").status_code == 200  # declared in customHttpEndpoints by deploy
    assert post("/tokenize").status_code == 200
    refused = post("/metrics")
    assert refused.status_code == 404
    assert "customHttpEndpoints" in refused.json()["message"]
    record = env.data_science.get_model_deployment(outcome.deployment_id).data
    declared = record.model_deployment_configuration_details.environment_configuration_details
    assert [e.endpoint_uri_suffix for e in declared.custom_http_endpoints] == [
        "/v1/embeddings",
        "/embed",
        "/rerank",
        "/tokenize",
    ]


def test_each_deployment_is_throttled_at_its_own_bandwidth(deployed: DeployedFactory) -> None:
    env, outcome = deployed("throttled", bandwidth_mbps=10)
    assert env.emulator.bandwidth_mbps(outcome.deployment_id) == 10
    assert env.cli("scale", outcome.deployment_id, "--bandwidth-mbps", "40") == 0
    assert env.emulator.bandwidth_mbps(outcome.deployment_id) == 40


def test_deploy_survives_a_lost_create_answer_with_one_deployment(
    deployed: DeployedFactory,
) -> None:
    env, outcome = deployed("lost", drop_create_answers=1)
    assert outcome.state == "ACTIVE"
    deployments = all_items(env.data_science.list_model_deployments, COMPARTMENT)
    assert [item.id for item in deployments] == [outcome.deployment_id]
