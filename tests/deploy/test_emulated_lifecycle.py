"""``oci-tei stop | start`` and the Python API (``oci_tei.deploy.Deployment``) on the emulator.

Stop deactivates, start activates (each waited for through its work request), the
endpoint stays the same, a predict call while stopped gets the gateway's answer, and
neither command touches a deployment oci-tei did not create.
"""

from __future__ import annotations

from typing import Any

import oci
import pytest
import yaml

from oci_tei import NotFoundError
from oci_tei.deploy import (
    DeployError,
    Deployment,
    DeploySpec,
    OwnershipError,
    Plan,
    UsageError,
)
from oci_tei.deploy.spec import OWNER_TAG, load_spec

from .emulated import DeployEnv


def _api_options(deploy_env: DeployEnv, lines: list[str]) -> dict[str, Any]:
    return {
        "auth": "api_key",
        "config_file": str(deploy_env.oci_config),
        "service_endpoint": deploy_env.emulator.url,
        "echo": lines.append,
        "poll_interval_s": 2,
    }


def test_stop_and_start_keep_the_endpoint(
    deploy_env: DeployEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    spec_file = deploy_env.spec_file("stopstart")
    outcome = deploy_env.executor().deploy(load_spec(spec_file), smoke_test=False)
    ocid, endpoint = outcome.deployment_id, outcome.endpoint

    assert deploy_env.cli("stop", spec_file) == 0
    stopped = capsys.readouterr().out
    assert "MODEL_DEPLOYMENT_DEACTIVATE: SUCCEEDED 100%" in stopped
    assert "  state: INACTIVE" in stopped
    assert "billing: instances shut down; OCI stops metering and billing them" in stopped
    assert "model-dep-deactivate.htm" in stopped
    assert deploy_env.data_science.get_model_deployment(ocid).data.lifecycle_state == "INACTIVE"

    # What a predict call gets while stopped: the gateway's answer, as a typed error.
    with pytest.raises(NotFoundError) as stopped_call:
        deploy_env.embed(endpoint, ["while stopped"])
    assert stopped_call.value.status == 404

    assert deploy_env.cli("status", ocid) == 0
    assert "  state: INACTIVE" in capsys.readouterr().out
    assert deploy_env.cli("stop", spec_file) == 0  # already stopped: nothing to do
    assert f"{ocid}: already INACTIVE" in capsys.readouterr().out

    assert deploy_env.cli("start", spec_file) == 0
    started = capsys.readouterr().out
    assert "MODEL_DEPLOYMENT_ACTIVATE: SUCCEEDED 100%" in started
    assert "  OK: one vector of dimension 384" in started  # the smoke test after start
    assert "  state: ACTIVE" in started
    assert f"  endpoint: {endpoint}" in started  # unchanged
    assert deploy_env.embed(endpoint, ["after start"])[0]


def test_stop_and_start_refuse_a_deployment_oci_tei_did_not_create(
    deploy_env: DeployEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    spec_file = deploy_env.spec_file("untagged")
    outcome = deploy_env.executor().deploy(load_spec(spec_file), smoke_test=False)
    ocid = outcome.deployment_id
    # The owner tag removed, as on a deployment made by hand.
    deploy_env.data_science.update_model_deployment(
        ocid, oci.data_science.models.UpdateModelDeploymentDetails(freeform_tags={"team": "x"})
    )
    deploy_env.wait_state(ocid, ("ACTIVE",))

    for command in ("stop", "start"):
        assert deploy_env.cli(command, ocid) == 1
        assert "oci-tei did not create it and will not change" in capsys.readouterr().err
    attached = Deployment.attach(
        ocid,
        auth="api_key",
        config_file=str(deploy_env.oci_config),
        service_endpoint=deploy_env.emulator.url,
    )
    with pytest.raises(OwnershipError):
        attached.stop()
    assert deploy_env.data_science.get_model_deployment(ocid).data.lifecycle_state == "ACTIVE"


def test_python_api_round_trip(deploy_env: DeployEnv) -> None:
    """Doctor, deploy, status, logs, clients, scale, stop, start, attach (OCID, dict), delete."""
    spec_file = deploy_env.spec_file("notebook")
    lines: list[str] = []
    options = _api_options(deploy_env, lines)
    deployment = Deployment(spec_file, **options)

    plan = deployment.plan()
    assert isinstance(plan, Plan)
    assert "1. [image]" in str(plan)
    assert "2. [download]" in str(plan)
    assert deployment.deployment_id is None
    report = deployment.doctor()  # the preflight alone, as `oci-tei doctor`
    assert report.ok, report.render()
    assert {finding.check for finding in report.findings} >= {"identity", "shape"}

    outcome = deployment.deploy()
    assert outcome.state == "ACTIVE"
    assert outcome.dimension == 384
    assert deployment.deployment_id == outcome.deployment_id
    assert "[2/7 download] preparing model files" in lines
    assert "[7/7 smoke test] signed /v1/embeddings call" in lines

    status = deployment.status()
    assert (status.state, status.endpoint, status.matches_spec) == (
        "ACTIVE",
        outcome.endpoint,
        True,
    )
    assert deployment.endpoint == outcome.endpoint
    assert deployment.work_request_log()[0] == "MODEL_DEPLOYMENT_CREATE SUCCEEDED (100%)"

    texts = ["The car sped down the highway.", "Bread rises in a warm kitchen."]
    vectors = deployment.embeddings().embed_documents(texts)
    assert [len(vector) for vector in vectors] == [384, 384]
    assert len(deployment.embedding().get_text_embedding("one text")) == 384
    with pytest.raises(UsageError, match="serves a embedding model"):
        deployment.reranker()

    with pytest.raises(UsageError):
        deployment.scale()
    scaled = deployment.scale(replicas=2)
    assert "replicas: 2" in str(scaled)

    # Attached by OCID: no spec, so no plan; everything on the live deployment works.
    by_ocid = Deployment.attach(outcome.deployment_id, **options)
    assert by_ocid.spec is None
    with pytest.raises(UsageError, match="attached by OCID"):
        by_ocid.plan()
    assert by_ocid.status().matches_spec is None
    assert by_ocid.kind() == "embedding"

    stopped = by_ocid.stop()
    assert stopped.state == "INACTIVE"
    assert "billing:" in str(stopped)
    started = deployment.start()
    assert (started.state, started.endpoint) == ("ACTIVE", outcome.endpoint)

    # Attached by spec, from the parsed YAML (a dict) and from a DeploySpec.
    data = yaml.safe_load(spec_file.read_text())
    from_dict = Deployment.attach(data, **options)
    assert from_dict.deployment_id == outcome.deployment_id
    spec = load_spec(spec_file)
    assert isinstance(spec, DeploySpec)
    assert Deployment.attach(spec, **options).deployment_id == outcome.deployment_id

    from_dict.delete(wait=True)
    assert deploy_env.deployments() == []
    with pytest.raises(DeployError, match=f"no live deployment tagged {OWNER_TAG}=notebook"):
        Deployment.attach(spec, **options)
