"""``--dry-run`` on the seed's spec equals the seed walkthrough's configuration field by field.

The seed's oracle-ads objects are built here exactly as the walkthrough builds them, with
the same values; the only differences allowed are the deliberate ones.
"""

from __future__ import annotations

from typing import Any

import pytest

from oci_tei.deploy.spec._ads_resources import MODEL_ID_PLACEHOLDER, build_deployment, build_model

from .conftest import SPEC_ENV

TEI_REPOSITORY = "iad.ocir.io/mytenancy/text-embeddings-inference"


def seed_deployment(model_id: str) -> Any:
    """The walkthrough's "Deploy embedding model" section, verbatim but for the values."""
    from ads.model.deployment import (
        ModelDeployment,
        ModelDeploymentContainerRuntime,
        ModelDeploymentInfrastructure,
        ModelDeploymentMode,
    )

    region = SPEC_ENV["OCI_REGION"]
    hf_model_name = "BAAI/bge-base-en-v1.5"
    project_id = SPEC_ENV["OCI_TEI_PROJECT_ID"]
    compartment_id = SPEC_ENV["OCI_TEI_COMPARTMENT_ID"]
    log_group_id = SPEC_ENV["OCI_TEI_LOG_GROUP_ID"]
    log_id = SPEC_ENV["OCI_TEI_LOG_ID"]
    instance_shape = "VM.GPU.A10.1"
    container_image = f"{TEI_REPOSITORY}:1.5.0"

    infrastructure = (
        ModelDeploymentInfrastructure()
        .with_project_id(project_id)
        .with_compartment_id(compartment_id)
        .with_shape_name(instance_shape)
        .with_bandwidth_mbps(10)
        .with_replica(1)
        .with_web_concurrency(10)
        .with_access_log(log_group_id=log_group_id, log_id=log_id)
        .with_predict_log(log_group_id=log_group_id, log_id=log_id)
    )
    env_var = {"MODEL_DEPLOY_PREDICT_ENDPOINT": "/v1/embeddings"}
    cmd_var = [
        "--model-id",
        "/opt/ds/model/deployed_model/BAAI/bge-base-en-v1.5/",
        "--port",
        "8080",
        "--hostname",
        "0.0.0.0",
    ]
    container_runtime = (
        ModelDeploymentContainerRuntime()
        .with_image(container_image)
        .with_server_port(8080)
        .with_health_check_port(8080)
        .with_env(env_var)
        .with_cmd(cmd_var)
        .with_deployment_mode(ModelDeploymentMode.HTTPS)
        .with_model_uri(model_id)
        .with_region(region)
    )
    return (
        ModelDeployment()
        .with_display_name(f"{hf_model_name} with TEI docker container")
        .with_description(
            f"Deployment of {hf_model_name} MD with text-embeddings-inference:1.5.0 container"
        )
        .with_infrastructure(infrastructure)
        .with_runtime(container_runtime)
    )


def flatten(value: Any, path: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        items: dict[str, Any] = {}
        for key, item in value.items():
            items.update(flatten(item, f"{path}.{key}" if path else key))
        return items
    if isinstance(value, list):
        items = {}
        for index, item in enumerate(value):
            items.update(flatten(item, f"{path}[{index}]"))
        return items
    return {path: value}


def differences(ours: dict[str, Any], seed: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    flat_ours, flat_seed = flatten(ours), flatten(seed)
    return {
        key: (flat_ours.get(key), flat_seed.get(key))
        for key in flat_ours.keys() | flat_seed.keys()
        if flat_ours.get(key) != flat_seed.get(key)
    }


def test_dry_run_deployment_equals_the_seed_but_for_the_deliberate_fixes(seed_spec) -> None:
    ours = build_deployment(seed_spec, MODEL_ID_PLACEHOLDER).to_dict()
    seed = seed_deployment(MODEL_ID_PLACEHOLDER).to_dict()
    diff = differences(ours, seed)
    assert diff == {
        # The A10 image fix: TEI's Ampere-86 build instead of the seed's A100 (Ampere-80) build,
        # and the description that names it.
        "spec.runtime.spec.image": (f"{TEI_REPOSITORY}:86-1.5", f"{TEI_REPOSITORY}:1.5.0"),
        "spec.description": (
            "Deployment of BAAI/bge-base-en-v1.5 MD with text-embeddings-inference:86-1.5 container",
            "Deployment of BAAI/bge-base-en-v1.5 MD with text-embeddings-inference:1.5.0 container",
        ),
        # Structured logs for OCI Logging.
        "spec.runtime.spec.cmd[6]": ("--json-output", None),
        # Ownership tags.
        "spec.freeformTags.oci-tei": ("bge-base-en-v1.5-a10", None),
        "spec.freeformTags.oci-tei-spec-hash": (seed_spec.spec_hash(), None),
    }


def test_the_fields_the_issue_lists_are_equal(seed_spec) -> None:
    ours = build_deployment(seed_spec).to_dict()["spec"]
    seed = seed_deployment(MODEL_ID_PLACEHOLDER).to_dict()["spec"]
    infra, seed_infra = ours["infrastructure"]["spec"], seed["infrastructure"]["spec"]
    runtime, seed_runtime = ours["runtime"]["spec"], seed["runtime"]["spec"]
    assert infra["shapeName"] == seed_infra["shapeName"] == "VM.GPU.A10.1"
    assert infra["replica"] == seed_infra["replica"] == 1
    assert infra["bandwidthMbps"] == seed_infra["bandwidthMbps"] == 10
    assert infra["webConcurrency"] == seed_infra["webConcurrency"] == 10
    assert infra["accessLog"] == seed_infra["accessLog"]
    assert infra["predictLog"] == seed_infra["predictLog"]
    assert (
        runtime["env"] == seed_runtime["env"] == {"MODEL_DEPLOY_PREDICT_ENDPOINT": "/v1/embeddings"}
    )
    assert runtime["cmd"] == [*seed_runtime["cmd"], "--json-output"]
    assert runtime["serverPort"] == runtime["healthCheckPort"] == seed_runtime["serverPort"] == 8080
    assert runtime["deploymentMode"] == seed_runtime["deploymentMode"] == "HTTPS_ONLY"
    assert runtime["modelUri"] == seed_runtime["modelUri"]
    assert runtime["region"] == seed_runtime["region"]


def test_yaml_is_the_same_document(seed_spec) -> None:
    import yaml

    deployment = build_deployment(seed_spec)
    assert yaml.safe_load(deployment.to_yaml()) == deployment.to_dict()


@pytest.mark.usefixtures("ads_offline_auth")
def test_model_by_reference_equals_the_seed_but_for_our_tags(seed_spec) -> None:
    """The seed's DataScienceModel (built with a throwaway key: ADS builds a client, never calls)."""
    from ads.model.datascience_model import DataScienceModel

    hf_model_name = "BAAI/bge-base-en-v1.5"
    artifact_path = (
        f"oci://{SPEC_ENV['OCI_TEI_BUCKET']}@{SPEC_ENV['OCI_TEI_NAMESPACE']}/{hf_model_name}"
    )
    seed_model = (
        DataScienceModel()
        .with_compartment_id(SPEC_ENV["OCI_TEI_COMPARTMENT_ID"])
        .with_project_id(SPEC_ENV["OCI_TEI_PROJECT_ID"])
        .with_display_name(hf_model_name)
        .with_artifact(artifact_path)
    )
    diff = differences(build_model(seed_spec).to_dict(), seed_model.to_dict())
    assert diff == {
        f"spec.freeformTags.{key}": (value, None) for key, value in seed_spec.model_tags().items()
    }


def test_notebook_session_defaults_are_not_fetched(
    seed_spec, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In an OCI notebook (NB_SESSION_OCID set) the seed's builder asks OCI for defaults; ours does not."""
    import ads.model.deployment.model_deployment_infrastructure as infrastructure_module

    monkeypatch.setattr(
        infrastructure_module, "NB_SESSION_OCID", "ocid1.datasciencenotebooksession.oc1..x"
    )
    # A recorder stands in for the OCI lookup: the question is only whether it is asked.
    looked_up = []
    monkeypatch.setattr(
        infrastructure_module.DSCNotebookSession,
        "from_ocid",
        classmethod(lambda cls, ocid: looked_up.append(ocid)),
    )
    build_deployment(seed_spec)
    assert looked_up == []
    seed_deployment(MODEL_ID_PLACEHOLDER)
    assert looked_up == ["ocid1.datasciencenotebooksession.oc1..x"]
