"""``oci-tei status | logs | scale | delete`` against the OCI emulator.

They act on a spec's own deployment (found by its ownership tag) or on an OCID, and
refuse to change or delete anything oci-tei did not create.
"""

from __future__ import annotations

import pytest

from oci_tei.deploy.spec import load_spec

from .emulated import COMPARTMENT, PROJECT, DeployEnv


def test_status_logs_scale_then_delete(
    deploy_env: DeployEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    spec_file = deploy_env.spec_file("managed")
    outcome = deploy_env.executor().deploy(load_spec(spec_file), smoke_test=False)
    ocid = outcome.deployment_id

    assert deploy_env.cli("status", spec_file) == 0
    status = capsys.readouterr().out
    assert f"({ocid})" in status
    assert "  state: ACTIVE (Model Deployment is Active.)" in status
    assert f"  endpoint: {outcome.endpoint}" in status
    assert "  shape: VM.Standard.E4.Flex, replicas: 1, bandwidth: 10 Mbps" in status
    assert "  owner tag: managed" in status
    assert "  matches spec: yes" in status

    assert deploy_env.cli("logs", spec_file) == 0
    logs = capsys.readouterr().out
    assert logs.startswith("MODEL_DEPLOYMENT_CREATE SUCCEEDED (100%)")
    assert "Starting container" in logs
    assert deploy_env.cli("logs", spec_file, "--type", "predict") == 1
    assert "has no predict log: set logs.predict" in capsys.readouterr().err

    # OCI changes a live deployment one group at a time: replicas, then bandwidth, each
    # update waited for (showing only its own work request), then the new state.
    assert deploy_env.cli("scale", spec_file, "--replicas", "2", "--bandwidth-mbps", "20") == 0
    scaled = capsys.readouterr().out
    assert "[1/2 update] replicas 2" in scaled
    assert "[2/2 update] bandwidth 20 Mbps" in scaled
    assert scaled.count("MODEL_DEPLOYMENT_UPDATE: SUCCEEDED 100%") == 2
    assert "MODEL_DEPLOYMENT_CREATE" not in scaled
    assert "replicas: 2, bandwidth: 20 Mbps" in scaled
    assert deploy_env.embed(outcome.endpoint, ["after scaling"])[0]

    assert deploy_env.cli("status", ocid) == 0
    by_ocid = capsys.readouterr().out
    assert "replicas: 2, bandwidth: 20 Mbps" in by_ocid
    assert "matches spec" not in by_ocid  # no spec to compare with
    assert deploy_env.cli("logs", ocid) == 0
    assert "MODEL_DEPLOYMENT_UPDATE SUCCEEDED (100%)" in capsys.readouterr().out

    # Non-interactive delete needs --yes; then the deployment goes, the model stays.
    assert deploy_env.cli("delete", spec_file) == 2
    assert "pass --yes" in capsys.readouterr().err
    assert deploy_env.cli("delete", spec_file, "--yes") == 0
    assert f"{ocid}: deletion requested" in capsys.readouterr().out
    assert deploy_env.wait_state(ocid, ("DELETED",)) == "DELETED"
    assert deploy_env.cli("status", spec_file) == 1
    assert "no live deployment tagged oci-tei=managed" in capsys.readouterr().err
    assert [model.id for model in deploy_env.models()] == [outcome.model_id]


def test_foreign_deployment_is_never_changed(
    deploy_env: DeployEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    """A deployment made with ADS directly, without the ownership tag: read-only to us."""
    from ads.model.deployment import (
        ModelDeployment,
        ModelDeploymentContainerRuntime,
        ModelDeploymentInfrastructure,
    )

    spec = load_spec(deploy_env.spec_file("ours"))
    ours = deploy_env.executor().deploy(spec, smoke_test=False)
    foreign = (
        ModelDeployment()
        .with_display_name("someone else's")
        .with_freeform_tags(team="search")
        .with_infrastructure(
            ModelDeploymentInfrastructure()
            .with_project_id(PROJECT)
            .with_compartment_id(COMPARTMENT)
            .with_shape_name("VM.Standard.E4.Flex")
            .with_shape_config_details(ocpus=1, memory_in_gbs=8)
        )
        .with_runtime(
            ModelDeploymentContainerRuntime()
            .with_image("iad.ocir.io/emulatorns/text-embeddings-inference:cpu-1.9")
            .with_server_port(8080)
            .with_health_check_port(8080)
            .with_env({"MODEL_DEPLOY_PREDICT_ENDPOINT": "/v1/embeddings"})
            .with_cmd(
                [
                    "--model-id",
                    "/opt/ds/model/deployed_model/sentence-transformers/all-MiniLM-L6-v2/",
                    "--port",
                    "8080",
                    "--hostname",
                    "0.0.0.0",
                ]
            )
            .with_model_uri(ours.model_id)
        )
        .deploy(wait_for_completion=True, poll_interval=1)
    )
    foreign_id = foreign.model_deployment_id
    assert foreign.state.name == "ACTIVE"

    assert deploy_env.cli("status", foreign_id) == 0
    assert "owner tag: (none: not created by oci-tei)" in capsys.readouterr().out
    for command, *extra in (("delete", "--yes"), ("scale", "--replicas", "3")):
        assert deploy_env.cli(command, foreign_id, *extra) == 1
        assert "has no 'oci-tei' tag: oci-tei did not create it" in capsys.readouterr().err
    assert deploy_env.cli("delete", ours.deployment_id, "--yes") == 0  # ours, by OCID
    assert deploy_env.wait_state(ours.deployment_id, ("DELETED",)) == "DELETED"

    foreign_now = deploy_env.data_science.get_model_deployment(foreign_id).data
    assert foreign_now.lifecycle_state == "ACTIVE"
    scaling = foreign_now.model_deployment_configuration_details.model_configuration_details
    assert scaling.scaling_policy.instance_count == 1
