"""Preflight against the strict emulator: each prerequisite missing, then present.

A missing one stops ``oci-tei deploy`` in preflight, naming it and its fix, with nothing
created (no bucket object, model or deployment); ``oci-tei doctor`` exits 1 on it and 0
when everything is there. With ``--skip-preflight`` the deployment fails where OCI fails
it instead, with the reason.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import oci
import pytest

from oci_tei_local import Backend
from tests.fixtures.oci import TENANCY

from .emulated import COMPARTMENT, DeployEnv
from .strict import (
    COMPARTMENT_NAME,
    IMAGE,
    LIMIT,
    POLICIES,
    READ_OBJECTS,
    READ_REPOS,
    READS,
    USER_DATA_SCIENCE,
    USER_OBJECTS,
    Strict,
    prepare,
    strict_settings,
)

MakeStrict = Callable[..., Strict]


@pytest.fixture
def make_strict(
    emulator: Callable[..., Any],
    oci_config: Path,
    tmp_path: Path,
    model_dir: Path,
    tei_backend: Backend,
    restore_ads_auth: None,
    monkeypatch: pytest.MonkeyPatch,
) -> MakeStrict:
    """A strict emulator with the demo's prerequisites (override any; ``policies=``)."""
    for name in list(os.environ):
        if name.startswith("OCI_TEI_DEMO_"):
            monkeypatch.delenv(name)

    def make(
        policies: tuple[str, ...] = POLICIES, reads: tuple[str, ...] = READS, **overrides: Any
    ) -> Strict:
        emu = emulator(shared_backends={model_dir: tei_backend}, **strict_settings(**overrides))
        return prepare(DeployEnv(emu, oci_config, tmp_path), policies, reads)

    return make


def _refused(strict: Strict, spec: Path, capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    assert strict.env.cli("deploy", str(spec)) == 1
    out, err = capsys.readouterr()
    assert "error: preflight: " in err
    assert "nothing was uploaded or created" in err
    strict.nothing_created()
    return out, err


def test_everything_present_passes_and_deploys(
    make_strict: MakeStrict, capsys: pytest.CaptureFixture[str]
) -> None:
    strict = make_strict()
    spec = strict.spec_file("present")
    assert strict.env.cli("doctor", str(spec)) == 0
    out = capsys.readouterr().out
    for check in ("identity", "compartment", "project", "shape", "limits", "image", "bucket"):
        assert f"ok    {check}: " in out
    assert "  FAIL  " not in out
    assert "  warn  " not in out
    assert f"granted by: {READ_REPOS}" in out
    assert "preflight: 0 failed, 0 warning(s)" in out

    assert strict.env.cli("deploy", str(spec), "--no-smoke-test") == 0
    out = capsys.readouterr().out
    assert out.index("[preflight]") < out.index("[1/7 image]") < out.index("[2/7 download]")
    (deployment,) = strict.env.deployments()
    assert deployment.lifecycle_state == "ACTIVE"
    # The deployment holds its 2 OCPUs of the limit now.
    limits = oci.limits.LimitsClient(
        dict(oci.config.from_file(str(strict.env.oci_config))),
        service_endpoint=strict.env.emulator.url,
    )
    availability = limits.get_resource_availability("data-science", LIMIT, COMPARTMENT).data
    assert (availability.used, availability.available) == (2, 2)
    # Scaling to 3 replicas (6 OCPUs) exceeds it: OCI refuses the update.
    assert strict.env.cli("scale", str(spec), "--replicas", "3", "--no-wait") == 1
    assert "OCI 400 LimitExceeded" in capsys.readouterr().err
    assert strict.env.cli("scale", str(spec), "--replicas", "2", "--no-wait") == 0


@pytest.mark.parametrize(
    ("settings", "overrides", "check", "expected"),
    [
        (
            {},
            {"compartment_id": "ocid1.compartment.oc1..aaaaaaaamissing"},
            "compartment",
            "compartment ocid1.compartment.oc1..aaaaaaaamissing cannot be read",
        ),
        (
            {"region": "eu-frankfurt-1"},
            {},
            "identity",
            "is not subscribed to us-ashburn-1 (subscribed: eu-frankfurt-1)",
        ),
        ({}, {"project_id": "ocid1.datascienceproject.oc1.iad.aaaamissing"}, "project", "404"),
        (
            {"shapes": ("VM.Standard.E4.Flex", "VM.GPU.A10.1")},  # this region offers fewer
            {"infrastructure.shape": "VM.Standard.E5.Flex"},
            "shape",
            "is not offered",
        ),
        ({"limits": {LIMIT: 1}}, {}, "limits", f"{LIMIT}: 1 OCPUs available, 2 needed"),
        (
            {},
            {"container.ocir_repository": "fra.ocir.io/emulatorns/text-embeddings-inference"},
            "image",
            "OCIR region fra (eu-frankfurt-1) but the deployment is in us-ashburn-1",
        ),
        ({}, {"artifact.create_bucket": False}, "bucket", "bucket oci-tei-demo does not exist"),
        (
            {},
            {
                "logs.access": {
                    "log_group_id": "ocid1.loggroup.oc1.iad.aaaamissing",
                    "log_id": "ocid1.log.oc1.iad.aaaamissing",
                }
            },
            "logs",
            "log group ocid1.loggroup.oc1.iad.aaaamissing or log",
        ),
    ],
)
def test_a_missing_prerequisite_stops_deploy_in_preflight(
    make_strict: MakeStrict,
    capsys: pytest.CaptureFixture[str],
    settings: dict[str, Any],
    overrides: dict[str, Any],
    check: str,
    expected: str,
) -> None:
    strict = make_strict(**settings)
    spec = strict.spec_file("missing", **overrides)
    _, err = _refused(strict, spec, capsys)
    assert f"  - {check}: " in err
    assert expected in err
    assert "fix: " in err
    assert strict.env.cli("doctor", str(spec)) == 1
    assert f"FAIL  {check}: " in capsys.readouterr().out


def test_a_missing_image_is_copied_so_preflight_asks_for_manage_repos(
    make_strict: MakeStrict, capsys: pytest.CaptureFixture[str]
) -> None:
    strict = make_strict(ocir_images=[])
    spec = strict.spec_file("missing-image")
    out, err = _refused(strict, spec, capsys)
    assert f"{IMAGE} is not in OCIR yet" in out  # a warning: the image step copies it
    assert "  - iam: " in err
    assert "manage repos in compartment oci-tei-demo" in err
    # --no-image-copy: the missing image itself stops the deploy, as doctor reports it.
    assert strict.env.cli("deploy", str(spec), "--no-image-copy") == 1
    err = capsys.readouterr().err
    assert "  - image: " in err
    assert f"{IMAGE} is not in OCIR" in err
    assert "`oci-tei image <spec>` copies" in err
    strict.nothing_created()
    assert strict.env.cli("doctor", str(spec)) == 1
    assert "FAIL  image: " in capsys.readouterr().out


def test_the_image_is_found_past_the_first_page(
    make_strict: MakeStrict, capsys: pytest.CaptureFixture[str]
) -> None:
    # The emulator pages every List one item at a time (tests/fixtures/oci.py): the wanted
    # tag comes third, so reading ListContainerImages' first page alone would miss it.
    repository = IMAGE.rsplit(":", 1)[0]
    others = [f"{repository}:cpu-1.7", f"{repository}:86-1.9"]
    strict = make_strict(ocir_images=[*others, IMAGE])
    spec = strict.spec_file("paged")
    assert strict.env.cli("doctor", str(spec)) == 0
    assert f"ok    image: {IMAGE} is in OCIR" in capsys.readouterr().out

    # Without it, the finding names the tags the repository has (read from every page).
    strict = make_strict(ocir_images=others)
    assert strict.env.cli("doctor", str(strict.spec_file("paged-missing"))) == 1
    assert f"{IMAGE} is not in OCIR (its tags: 86-1.9, cpu-1.7)" in capsys.readouterr().out


def test_unversioned_bucket_and_limit_fixes(
    make_strict: MakeStrict, capsys: pytest.CaptureFixture[str]
) -> None:
    strict = make_strict(limits={LIMIT: 1})
    storage = strict.env.object_storage
    storage.create_bucket(
        "emulatorns",
        oci.object_storage.models.CreateBucketDetails(
            name="oci-tei-demo", compartment_id=COMPARTMENT
        ),
    )
    _, err = _refused(strict, strict.spec_file("unversioned"), capsys)
    assert "bucket: bucket oci-tei-demo is not versioned (versioning: Disabled)" in err
    assert "--bucket-name oci-tei-demo --versioning Enabled" in err
    assert f"request a service limit increase of data-science / {LIMIT} to at least 2" in err


@pytest.mark.parametrize(
    ("missing", "statement"),
    [
        (
            READ_OBJECTS,
            "allow any-user to read objects in compartment oci-tei-demo where ALL "
            "{request.principal.type='datasciencemodeldeployment', "
            "target.bucket.name='oci-tei-demo'}",
        ),
        (
            READ_REPOS,
            "allow any-user to read repos in tenancy where ALL "
            "{request.principal.type='datasciencemodeldeployment'}",
        ),
        (
            USER_DATA_SCIENCE,
            "allow group oci-tei-users to manage data-science-model-deployments in "
            "compartment oci-tei-demo",
        ),
        (USER_OBJECTS, "allow group oci-tei-users to manage objects in compartment oci-tei-demo"),
    ],
)
def test_a_missing_policy_stops_deploy_with_the_statement_to_add(
    make_strict: MakeStrict, capsys: pytest.CaptureFixture[str], missing: str, statement: str
) -> None:
    strict = make_strict(policies=tuple(p for p in POLICIES if p != missing))
    _, err = _refused(strict, strict.spec_file("policy"), capsys)
    assert "  - iam: " in err
    assert f"fix: add the policy statement: {statement}" in err


def test_skip_preflight_with_a_missing_policy_fails_where_oci_fails(
    make_strict: MakeStrict, capsys: pytest.CaptureFixture[str]
) -> None:
    strict = make_strict(policies=tuple(p for p in POLICIES if p != READ_REPOS))
    spec = strict.spec_file("skip")
    assert strict.env.cli("deploy", str(spec), "--skip-preflight") == 1
    out, err = capsys.readouterr()
    assert "[preflight]" not in out
    reason = (
        f"Failed to pull the container image {IMAGE}: the model deployment's resource "
        "principal is not authorized to read repos (NotAuthorizedOrNotFound)"
    )
    assert "MODEL_DEPLOYMENT_CREATE: FAILED" in out
    assert f"error ModelDeploymentFailed: {reason}" in out  # the work-request error
    assert reason in err.splitlines()[-1]  # deploy ends with it
    (deployment,) = strict.env.deployments()
    assert deployment.lifecycle_state == "FAILED"
    record = strict.env.data_science.get_model_deployment(deployment.id).data
    assert record.lifecycle_details.startswith(reason)
    assert READ_REPOS in record.lifecycle_details


def test_skip_preflight_with_no_image_stops_at_the_image_step(
    make_strict: MakeStrict, capsys: pytest.CaptureFixture[str]
) -> None:
    # Without preflight, the image step still finds the image missing: it tries to make
    # the repository (the caller may not: OCI's own 404 names the statement), or, with
    # --no-image-copy, says so, before any model is uploaded.
    strict = make_strict(ocir_images=[])
    spec = str(strict.spec_file("noimage"))
    assert strict.env.cli("deploy", spec, "--skip-preflight") == 1
    err = capsys.readouterr().err
    assert "repository" in err
    assert "NotAuthorizedOrNotFound" in err
    assert "manage repos" in err
    assert strict.env.cli("deploy", spec, "--skip-preflight", "--no-image-copy") == 1
    err = capsys.readouterr().err
    assert f"{IMAGE} is not in OCIR" in err
    strict.nothing_created()


def test_skip_preflight_over_the_limit_is_refused_at_creation(
    make_strict: MakeStrict, capsys: pytest.CaptureFixture[str]
) -> None:
    strict = make_strict(limits={LIMIT: 1})
    assert strict.env.cli("deploy", str(strict.spec_file("limit")), "--skip-preflight") == 1
    err = capsys.readouterr().err
    assert "OCI 400 LimitExceeded: The service limit ds-e4-core-count of data-science is 1" in err
    assert strict.env.deployments() == []


def test_skip_preflight_without_the_callers_permission_is_not_found(
    make_strict: MakeStrict, capsys: pytest.CaptureFixture[str]
) -> None:
    policies = (USER_OBJECTS, READ_OBJECTS, READ_REPOS,
                "allow group oci-tei-users to manage data-science-models in compartment oci-tei-demo")  # fmt: skip
    strict = make_strict(policies=policies)
    assert strict.env.cli("deploy", str(strict.spec_file("caller")), "--skip-preflight") == 1
    assert "OCI 404 NotAuthorizedOrNotFound" in capsys.readouterr().err
    assert strict.env.deployments() == []


def test_doctor_exit_status_2_for_a_bad_spec(
    make_strict: MakeStrict, capsys: pytest.CaptureFixture[str]
) -> None:
    strict = make_strict()
    spec = strict.spec_file("bad", **{"infrastructure.replicas": 0})
    assert strict.env.cli("doctor", str(spec)) == 2
    assert "infrastructure.replicas" in capsys.readouterr().err


def test_unreadable_policies_are_a_warning(
    make_strict: MakeStrict, capsys: pytest.CaptureFixture[str]
) -> None:
    # A statement form the matcher does not evaluate: "cannot tell", never a failure.
    strict = make_strict(
        policies=(
            USER_OBJECTS,
            USER_DATA_SCIENCE,
            READ_OBJECTS,
            "allow any-user to {REPOSITORY_READ} in tenancy",
        )
    )
    assert strict.env.cli("doctor", str(strict.spec_file("unread"))) == 0
    out = capsys.readouterr().out
    assert "warn  iam: deployment's resource principal: read repos in tenancy" in out
    assert "permission lists {...} are not evaluated" in out


def test_an_unreadable_policy_list_is_a_warning(
    make_strict: MakeStrict, capsys: pytest.CaptureFixture[str]
) -> None:
    # The bucket lives in a compartment whose policies preflight cannot list (404): the
    # caller may inspect policies in the tenancy and the demo compartment only (ANY block).
    hidden = "ocid1.compartment.oc1..aaaaaaaahidden"
    reads = (
        *(statement for statement in READS if "policies" not in statement),
        "allow group oci-tei-users to inspect policies in tenancy where ANY "
        f"{{target.compartment.id='{TENANCY}', target.compartment.id='{COMPARTMENT}'}}",
        "allow group oci-tei-users to read object-family in compartment hidden",
    )
    strict = make_strict(
        reads=reads, compartments={COMPARTMENT_NAME: COMPARTMENT, "hidden": hidden}
    )
    strict.env.object_storage.create_bucket(  # the administrator makes it
        "emulatorns",
        oci.object_storage.models.CreateBucketDetails(
            name="oci-tei-demo", compartment_id=hidden, versioning="Enabled"
        ),
    )
    assert strict.env.cli("doctor", str(strict.spec_file("hidden"))) == 0
    out = capsys.readouterr().out
    assert "warn  iam: deployment's resource principal: read objects in compartment hidden" in out
    assert "policies not readable in compartment hidden (404 NotAuthorizedOrNotFound)" in out
    assert "ok    iam: you: manage data-science-model-deployments" in out


LOG_GROUP = "ocid1.loggroup.oc1.iad.aaaaaaaagroup"
LOG = "ocid1.log.oc1.iad.aaaaaaaalog"
LOGS = {"logs.access": {"log_group_id": LOG_GROUP, "log_id": LOG}}
LOG_CONTENT = (
    "allow any-user to use log-content in tenancy where ALL "
    "{request.principal.type='datasciencemodeldeployment'}"
)


def test_logs_present_and_the_log_content_statement(
    make_strict: MakeStrict, capsys: pytest.CaptureFixture[str]
) -> None:
    strict = make_strict(policies=(*POLICIES, LOG_CONTENT), logs=[f"{LOG_GROUP}/{LOG}"])
    spec = strict.spec_file("logs", **LOGS)
    assert strict.env.cli("doctor", str(spec)) == 0
    out = capsys.readouterr().out
    assert f"ok    logs: log {LOG} in log group" in out
    assert (
        f"use log-content in tenancy (write the access and predict logs); granted by: {LOG_CONTENT}"
        in out
    )

    # Without the statement the deployment could not write its logs.
    bare = make_strict(policies=POLICIES, logs=[f"{LOG_GROUP}/{LOG}"])
    _, err = _refused(bare, bare.spec_file("nologs", **LOGS), capsys)
    assert f"fix: add the policy statement: {LOG_CONTENT}" in err
