"""The emulator as OCI documents it, through the unmodified oci SDK.

TEI's own GPU rule, OCI's documented BYOC dynamic-group policy, strict authorization of
every operation and of create compartments, create validation (see
docs/emulator-fidelity.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import oci
import pytest

from tests.emulator.test_control_plane import (
    GOOD_CMD,
    _by_reference_artifact,
    _deployment_details,
)
from tests.fixtures.oci import TENANCY, all_items

COMPARTMENT = "ocid1.compartment.oc1..aaaaaaaaml"
PROJECT = "ocid1.datascienceproject.oc1.iad.aaaaaaaamlproject"
IMAGE = "iad.ocir.io/emulatorns/text-embeddings-inference:cpu-1.9"
ADMIN = "ocid1.user.oc1..aaaaaaaatestadmin"
#: The statement OCI documents for a BYOC deployment's image pull, to a dynamic group.
BYOC_PULL = (
    "allow dynamic-group md to read repos in tenancy where ANY "
    "{request.operation='ReadDockerRepositoryMetadata', "
    "request.operation='ReadDockerRepositoryManifest', request.operation='PullDockerLayer'}"
)
MD_RULE = (
    f"ALL {{resource.type='datasciencemodeldeployment', resource.compartment.id='{COMPARTMENT}'}}"
)
USER_GRANTS = (
    "allow group oci-tei-users to manage data-science-family in compartment ml",
    "allow group oci-tei-users to manage object-family in compartment ml",
    "allow dynamic-group md to read objects in compartment ml",
)


def _wait(ds: Any, work_request_id: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        wr = ds.get_work_request(work_request_id).data
        if wr.status in ("SUCCEEDED", "FAILED") or time.monotonic() > deadline:
            return wr
        time.sleep(0.05)


class Tenancy:
    """A strict emulator, its administrator's and its user's clients."""

    def __init__(self, emu: Any, oci_config: Path) -> None:
        self.emu = emu
        user = dict(oci.config.from_file(str(oci_config)))
        admin = {**user, "user": ADMIN}
        url = emu.url
        self.identity = oci.identity.IdentityClient(admin, service_endpoint=url)
        self.storage = oci.object_storage.ObjectStorageClient(user, service_endpoint=url)
        self.ds = oci.data_science.DataScienceClient(user, service_endpoint=url)
        self.admin_ds = oci.data_science.DataScienceClient(admin, service_endpoint=url)
        # The tenancy's first administrator is made outside the API, as OCI's sign-up does.
        administrators = next(g for g in emu.tenancy.groups.values() if g.name == "Administrators")
        self.identity.add_user_to_group(
            oci.identity.models.AddUserToGroupDetails(user_id=ADMIN, group_id=administrators.id)
        )
        self.identity.create_dynamic_group(
            oci.identity.models.CreateDynamicGroupDetails(
                compartment_id=TENANCY, name="md", description="md", matching_rule=MD_RULE
            )
        )

    def allow(self, *statements: str) -> None:
        self.identity.create_policy(
            oci.identity.models.CreatePolicyDetails(
                compartment_id=TENANCY,
                name=f"p{time.monotonic_ns()}",
                description="test",
                statements=list(statements),
            )
        )

    def deploy(self, image: str = IMAGE, shape: str = "VM.Standard.E4.Flex") -> Any:
        """Model files, a model by reference and a deployment; its finished work request."""
        ns = self.emu.namespace
        models = oci.object_storage.models
        self.storage.create_bucket(
            ns, models.CreateBucketDetails(name="models", compartment_id=COMPARTMENT)
        )
        self.storage.put_object(ns, "models", "minilm/config.json", b"{}")
        model = self.ds.create_model(
            oci.data_science.models.CreateModelDetails(
                compartment_id=COMPARTMENT, project_id=PROJECT, display_name="minilm"
            )
        ).data
        self.ds.create_model_artifact(model.id, _by_reference_artifact(ns, "models", "minilm"))
        details = _deployment_details(model.id, image, shape, GOOD_CMD)
        details.compartment_id = COMPARTMENT
        details.project_id = PROJECT
        config = details.model_deployment_configuration_details.model_configuration_details
        config.instance_configuration.model_deployment_instance_shape_config_details = (
            oci.data_science.models.ModelDeploymentInstanceShapeConfigDetails(
                ocpus=1, memory_in_gbs=16
            )
        )
        created = self.ds.create_model_deployment(details)
        return _wait(self.ds, created.headers["opc-work-request-id"])

    def failure(self, wr: Any) -> str:
        return " ".join(e.message for e in all_items(self.ds.list_work_request_errors, wr.id))


@pytest.fixture
def tenancy(emulator: Callable[..., Any], oci_config: Path) -> Tenancy:
    emu = emulator(
        strict=True,
        tenancy_id=TENANCY,
        compartments={"ml": COMPARTMENT},
        ocir_images=[IMAGE],
        projects=[(PROJECT, COMPARTMENT)],
    )
    return Tenancy(emu, oci_config)


# -- OCI's documented dynamic-group pull policy grants ------------------------------------


def test_the_documented_dynamic_group_pull_policy_grants_the_image_pull(tenancy: Tenancy) -> None:
    tenancy.allow(*USER_GRANTS, BYOC_PULL)
    wr = tenancy.deploy()
    failure = tenancy.failure(wr)
    # Past IAM and the pull: the container itself starts and refuses the empty config.
    assert "Failed to pull" not in failure
    assert "Failed to parse `config.json`" in failure
    logs = [entry.message for entry in all_items(tenancy.ds.list_work_request_logs, wr.id)]
    assert any(message.startswith("Starting container") for message in logs)


def test_without_a_pull_grant_the_deployment_fails_at_the_pull(tenancy: Tenancy) -> None:
    tenancy.allow(*USER_GRANTS)
    failure = tenancy.failure(tenancy.deploy())
    assert "Failed to pull the container image" in failure
    assert "not authorized to read repos (NotAuthorizedOrNotFound)" in failure


def test_a_statement_the_emulator_cannot_evaluate_is_said_so_never_a_denial(
    tenancy: Tenancy, caplog: pytest.LogCaptureFixture
) -> None:
    unreadable = "allow dynamic-group md to read repos in tenancy where target.resource.tag.a.b='c'"
    tenancy.allow(*USER_GRANTS, unreadable)
    failure = tenancy.failure(tenancy.deploy())
    assert f"cannot evaluate statement {unreadable!r}" in failure
    assert "NotAuthorizedOrNotFound" not in failure
    assert "not an IAM denial" in failure
    assert any("cannot evaluate statement" in r.getMessage() for r in caplog.records)
    # An API call that only such a statement could grant: 501, named, not a 404.
    tenancy.allow(
        "allow group oci-tei-users to inspect buckets in tenancy where request.region='iad'"
    )
    with pytest.raises(oci.exceptions.ServiceError) as refused:
        tenancy.storage.list_buckets(tenancy.emu.namespace, TENANCY)
    assert (refused.value.status, refused.value.code) == (501, "CannotEvaluatePolicy")
    assert "cannot evaluate statement" in refused.value.message


# -- strict: compartments exist, every operation is authorized -----------------------------


def test_strict_creates_need_an_existing_compartment(tenancy: Tenancy) -> None:
    tenancy.allow("allow group oci-tei-users to manage all-resources in tenancy")
    missing = "ocid1.compartment.oc1..aaaaaaaanothere"
    calls = [
        lambda: tenancy.storage.create_bucket(
            tenancy.emu.namespace,
            oci.object_storage.models.CreateBucketDetails(name="b", compartment_id=missing),
        ),
        lambda: tenancy.ds.create_project(
            oci.data_science.models.CreateProjectDetails(compartment_id=missing)
        ),
        lambda: tenancy.ds.create_model(
            oci.data_science.models.CreateModelDetails(compartment_id=missing, project_id=PROJECT)
        ),
    ]
    for call in calls:
        with pytest.raises(oci.exceptions.ServiceError) as refused:
            call()
        assert (refused.value.status, refused.value.code) == (404, "NotAuthorizedOrNotFound")


def test_strict_authorizes_every_operation_with_its_resource_type(tenancy: Tenancy) -> None:
    ns = tenancy.emu.namespace
    # Only models: a project cannot be read, buckets cannot be listed.
    tenancy.allow("allow group oci-tei-users to manage data-science-models in compartment ml")
    model = tenancy.ds.create_model(
        oci.data_science.models.CreateModelDetails(compartment_id=COMPARTMENT, project_id=PROJECT)
    ).data
    assert tenancy.ds.get_model(model.id).data.id == model.id
    for call in (
        lambda: tenancy.ds.get_project(PROJECT),
        lambda: tenancy.ds.list_model_deployments(COMPARTMENT),
        lambda: tenancy.storage.list_buckets(ns, COMPARTMENT),
    ):
        with pytest.raises(oci.exceptions.ServiceError) as refused:
            call()
        assert (refused.value.status, refused.value.code) == (404, "NotAuthorizedOrNotFound")
    # inspect lets a list through, not a read.
    tenancy.allow(
        "allow group oci-tei-users to inspect data-science-work-requests in compartment ml",
        "allow group oci-tei-users to inspect data-science-projects in compartment ml",
    )
    assert all_items(tenancy.ds.list_work_requests, COMPARTMENT) == []
    with pytest.raises(oci.exceptions.ServiceError):
        tenancy.ds.get_project(PROJECT)
    # The administrators' built-in policy grants everything.
    assert tenancy.admin_ds.get_project(PROJECT).data.id == PROJECT


def test_the_route_table_covers_every_route(tenancy: Tenancy) -> None:
    from oci_tei.contract._permissions import OPERATION_PERMISSIONS
    from oci_tei_emulator._authorize import (
        ADMINISTRATION,
        FILTERED,
        ROUTES,
        UNAUTHORIZED_PREFIXES,
        UNSTATED,
    )

    app = tenancy.emu._runner.app  # the served application
    served = {
        (route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None and route.method != "*"
    }
    missing = {
        route
        for route in served
        if route not in ROUTES
        and not (
            route[0] == "HEAD" and (("GET", route[1]) in ROUTES or ("GET", route[1]) in UNSTATED)
        )
        and route not in ADMINISTRATION
        and route not in FILTERED
        and route not in UNSTATED
        and not route[1].startswith(UNAUTHORIZED_PREFIXES)
        and route[1] not in ("/n", "/n/")  # GetNamespace: the caller's own namespace
    }
    assert not missing, sorted(missing)
    assert set(ROUTES.values()) <= set(OPERATION_PERMISSIONS)
    # What OCI states no permission for is said in contract, not asked.
    from oci_tei.contract._permissions import UNSTATED_PERMISSIONS

    assert set(UNSTATED.values()) == set(UNSTATED_PERMISSIONS)
    assert not set(UNSTATED_PERMISSIONS) & set(OPERATION_PERMISSIONS)


# -- TEI's GPU rule ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image", "shape", "starts"),
    [
        # The seed's image: TEI's Ampere-80 build runs on an A10 (8.6): (86, 80) matches.
        ("iad.ocir.io/t/tei:1.5.0", "VM.GPU.A10.1", True),
        ("iad.ocir.io/t/tei:86-1.5", "VM.GPU.A10.1", True),
        ("iad.ocir.io/t/tei:86-1.5", "BM.GPU4.8", False),  # an 8.6 build on an A100 (8.0)
        ("iad.ocir.io/t/tei:hopper-1.5", "VM.GPU.A10.1", False),
        ("iad.ocir.io/t/tei:89-1.5", "BM.GPU.L40S.4", True),
        ("iad.ocir.io/t/tei:1.5", "VM.Standard.E4.Flex", False),  # no GPU at all
    ],
)
def test_tei_compute_capability_rule(
    emulator: Callable[..., Any], oci_config: Path, image: str, shape: str, starts: bool
) -> None:
    from tests.emulator.test_control_plane import COMPARTMENT as OPEN
    from tests.emulator.test_control_plane import PROJECT as OPEN_PROJECT

    emu = emulator()
    config = oci.config.from_file(str(oci_config))
    storage = oci.object_storage.ObjectStorageClient(config, service_endpoint=emu.url)
    ds = oci.data_science.DataScienceClient(config, service_endpoint=emu.url)
    ns = emu.namespace
    storage.create_bucket(
        ns, oci.object_storage.models.CreateBucketDetails(name="models", compartment_id=OPEN)
    )
    storage.put_object(ns, "models", "minilm/config.json", b"{}")
    model = ds.create_model(
        oci.data_science.models.CreateModelDetails(compartment_id=OPEN, project_id=OPEN_PROJECT)
    ).data
    ds.create_model_artifact(model.id, _by_reference_artifact(ns, "models", "minilm"))
    details = _deployment_details(model.id, image, shape, GOOD_CMD)
    if shape.endswith(".Flex"):
        config_details = details.model_deployment_configuration_details
        config_details.model_configuration_details.instance_configuration.model_deployment_instance_shape_config_details = oci.data_science.models.ModelDeploymentInstanceShapeConfigDetails(
            ocpus=1, memory_in_gbs=16
        )
    wr = _wait(ds, ds.create_model_deployment(details).headers["opc-work-request-id"])
    errors = " ".join(e.message for e in all_items(ds.list_work_request_errors, wr.id))
    # Past TEI's check the container itself runs, and refuses the test's empty config.json.
    assert ("Failed to parse `config.json`" in errors) == starts, errors
    if not starts:
        assert "TEI refuses to start" in errors or "has no GPU" in errors


# -- create validation ---------------------------------------------------------------------


def _refused(call: Callable[[], Any], field: str) -> None:
    with pytest.raises(oci.exceptions.ServiceError) as refused:
        call()
    assert (refused.value.status, refused.value.code) == (400, "InvalidParameter")
    assert field in refused.value.message


def test_create_validation(emulator: Callable[..., Any], oci_config: Path) -> None:
    from tests.emulator.test_control_plane import COMPARTMENT as OPEN

    emu = emulator()
    config = oci.config.from_file(str(oci_config))
    storage = oci.object_storage.ObjectStorageClient(config, service_endpoint=emu.url)
    ds = oci.data_science.DataScienceClient(config, service_endpoint=emu.url)
    _refused(
        lambda: storage.create_bucket(
            emu.namespace,
            oci.object_storage.models.CreateBucketDetails(name="my models!", compartment_id=OPEN),
        ),
        "Invalid bucket name",
    )
    model = ds.create_model(
        oci.data_science.models.CreateModelDetails(
            compartment_id=OPEN, project_id="ocid1.datascienceproject.oc1.iad.aaaaaaaatest"
        )
    ).data

    def create(image: str, shape: str, ocpus: float | None = None, logs: Any = None) -> Any:
        details = _deployment_details(model.id, image, shape, GOOD_CMD)
        if ocpus is not None:
            details.model_deployment_configuration_details.model_configuration_details.instance_configuration.model_deployment_instance_shape_config_details = oci.data_science.models.ModelDeploymentInstanceShapeConfigDetails(
                ocpus=ocpus
            )
        details.category_log_details = logs
        return ds.create_model_deployment(details)

    _refused(lambda: create("iad.ocir.io/t/tei", "VM.GPU.A10.1"), "names no tag")
    # A Flex shape's OCPUs are checked even when memoryInGBs is left to OCI's default.
    _refused(lambda: create("iad.ocir.io/t/tei:cpu-1.5", "VM.Standard.E4.Flex", 100), "ocpus")
    log = oci.data_science.models.LogDetails(log_group_id="ocid1.loggroup.oc1.iad.aaaagroup")
    _refused(
        lambda: create(
            "iad.ocir.io/t/tei:cpu-1.5",
            "VM.Standard.E4.Flex",
            2,
            oci.data_science.models.CategoryLogDetails(access=log),
        ),
        "categoryLogDetails.access.logId",
    )


# -- lists honour their documented parameters ----------------------------------------------


def test_lists_honour_limit_sort_and_filters(
    emulator: Callable[..., Any], oci_config: Path, restore_ads_auth: None
) -> None:
    from tests.emulator.test_control_plane import COMPARTMENT as OPEN
    from tests.emulator.test_control_plane import PROJECT as OPEN_PROJECT

    emu = emulator()
    config = oci.config.from_file(str(oci_config))
    ds = oci.data_science.DataScienceClient(config, service_endpoint=emu.url)
    made = [
        ds.create_model(
            oci.data_science.models.CreateModelDetails(
                compartment_id=OPEN, project_id=OPEN_PROJECT, display_name=name
            )
        ).data
        for name in ("b", "c", "a")
    ]
    # limit: "1 is the minimum, 100 is the maximum".
    with pytest.raises(oci.exceptions.ServiceError) as refused:
        ds.list_models(OPEN, limit=101)
    assert (refused.value.status, refused.value.code) == (400, "InvalidParameter")
    assert len(ds.list_models(OPEN, limit=100).data) == 3
    # No sortBy: timeCreated, newest first; displayName ascending by default.
    assert [m.id for m in all_items(ds.list_models, OPEN)] == [m.id for m in reversed(made)]
    names = [m.display_name for m in all_items(ds.list_models, OPEN, sort_by="displayName")]
    assert names == ["a", "b", "c"]
    desc = all_items(ds.list_models, OPEN, sort_by="displayName", sort_order="DESC")
    assert [m.display_name for m in desc] == ["c", "b", "a"]
    # Filters: id, createdBy, displayName (all at once where several are given).
    assert [m.id for m in all_items(ds.list_models, OPEN, id=made[1].id)] == [made[1].id]
    assert all_items(ds.list_models, OPEN, created_by="ocid1.user.oc1..nobody") == []
    assert [m.id for m in all_items(ds.list_models, OPEN, display_name="a", id=made[2].id)] == [
        made[2].id
    ]
    with pytest.raises(oci.exceptions.ServiceError):
        ds.list_work_requests(OPEN, limit=500)
    # What oracle-ads sends (project_id and lifecycle_state together) is served.
    import ads
    from ads.model.deployment import ModelDeployment

    ads.set_auth(
        "api_key", oci_config_location=str(oci_config), client_kwargs={"service_endpoint": emu.url}
    )
    assert ModelDeployment.list(status="ACTIVE", compartment_id=OPEN, project_id=OPEN_PROJECT) == []
