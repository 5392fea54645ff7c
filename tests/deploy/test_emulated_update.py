"""``oci-tei deploy`` on a changed spec: the difference shown, and ``--update`` applying it
the way OCI allows, against the strict emulator (one live group per update; other fields
only while INACTIVE)."""

from __future__ import annotations

import pytest

from oci_tei.deploy.spec import load_spec

from .emulated import DeployEnv


def _config(deploy_env: DeployEnv, ocid: str):
    return deploy_env.data_science.get_model_deployment(ocid).data


def test_live_fields_update_in_place_one_group_at_a_time(
    deploy_env: DeployEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    first = deploy_env.executor().deploy(load_spec(deploy_env.spec_file("drift")), smoke_test=False)
    changed = deploy_env.spec_file(
        "drift", infrastructure__replicas=2, infrastructure__bandwidth_mbps=20
    )

    # Without --update: the difference and the plan, nothing changed, exit 1.
    assert deploy_env.cli("deploy", changed, "--no-smoke-test", "--skip-preflight") == 1
    captured = capsys.readouterr()
    assert "instanceCount: 1 -> 2" in captured.out
    assert "bandwidthMbps: 10 -> 20" in captured.out
    assert "live, without downtime, one update per group (instances then load balancer)" in (
        captured.out
    )
    assert "re-run with --update" in captured.err
    model = _config(deploy_env, first.deployment_id).model_deployment_configuration_details
    assert model.model_configuration_details.scaling_policy.instance_count == 1

    assert deploy_env.cli("deploy", changed, "--no-smoke-test", "--skip-preflight", "--update") == 0
    out = capsys.readouterr().out
    assert "[update 1/2] instances" in out
    assert "[update 2/2] load balancer" in out
    record = _config(deploy_env, first.deployment_id)
    assert record.lifecycle_state == "ACTIVE"
    live = record.model_deployment_configuration_details.model_configuration_details
    assert (live.scaling_policy.instance_count, live.bandwidth_mbps) == (2, 20)
    assert deploy_env.embed(first.endpoint, ["updated in place"])[0]
    # The spec now matches: a re-run resumes, with no update.
    assert deploy_env.cli("deploy", changed, "--no-smoke-test", "--skip-preflight") == 0
    assert "resuming" in capsys.readouterr().out


def test_container_changes_go_through_inactive_with_downtime_said(
    deploy_env: DeployEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    first = deploy_env.executor().deploy(load_spec(deploy_env.spec_file("cmd")), smoke_test=False)
    changed = deploy_env.spec_file("cmd", tei__max_client_batch_size=16)
    assert deploy_env.cli("deploy", changed, "--no-smoke-test", "--skip-preflight", "--update") == 0
    out = capsys.readouterr().out
    assert "environmentConfigurationDetails.cmd" in out
    assert "the endpoint is DOWN meanwhile" in out
    assert "deactivating" in out
    record = _config(deploy_env, first.deployment_id)
    assert record.lifecycle_state == "ACTIVE"
    cmd = record.model_deployment_configuration_details.environment_configuration_details.cmd
    assert cmd[cmd.index("--max-client-batch-size") + 1] == "16"
    assert deploy_env.embed(first.endpoint, ["reactivated"])[0]
