"""Strict mode authorizes the operations whose scope is not one compartment of the route.

Through the unmodified oci SDK (and ``requests`` with the SDK's signer for predict, as
users call it): the predict gateway, SearchLogs (each scope), SearchResources (each
result) and the moves (both compartments); Logging's GetWorkRequest, for which OCI states
no permission, asks none. Each test: a caller without the grant is refused as OCI
refuses, and the documented grant lets it through
(see docs/emulator-fidelity.md and ``oci_tei.contract._permissions`` for the sources).
"""

# ruff: noqa: F811  (tenancy is a fixture imported from test_fidelity)
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import oci
import pytest
import requests

from tests.emulator.stub_container import StubContainer
from tests.emulator.test_fidelity import (  # noqa: F401
    ADMIN,
    COMPARTMENT,
    PROJECT,
    Tenancy,
    tenancy,
)
from tests.fixtures.oci import TENANCY

NO_RETRY = oci.retry.NoneRetryStrategy()


@pytest.fixture(scope="module")
def stub() -> Iterator[StubContainer]:
    container = StubContainer().start()
    yield container
    container.stop()


def _refused(call: Any) -> None:
    with pytest.raises(oci.exceptions.ServiceError) as refused:
        call()
    assert (refused.value.status, refused.value.code) == (404, "NotAuthorizedOrNotFound")


def _other_compartment(tenancy: Tenancy) -> str:
    """A second compartment below the tenancy, made by the administrator."""
    details = oci.identity.models.CreateCompartmentDetails(
        compartment_id=TENANCY, name="other", description="other"
    )
    return str(tenancy.identity.create_compartment(details).data.id)


# -- the predict gateway -------------------------------------------------------------------


def test_predict_needs_the_documented_grant_in_the_deployments_compartment(
    tenancy: Tenancy, stub: StubContainer, oci_config: Path
) -> None:
    signer = oci.signer.Signer.from_config(oci.config.from_file(str(oci_config)))
    emu = tenancy.emu
    ocid = emu.register_deployment(stub.url, "/v1/embeddings", compartment_id=COMPARTMENT)
    elsewhere = emu.register_deployment(
        stub.url, "/v1/embeddings", compartment_id=_other_compartment(tenancy)
    )

    def post(deployment: str, path: str = "predict") -> requests.Response:
        return requests.post(
            f"{emu.url}/{deployment}/{path}", json={"input": ["hi"]}, auth=signer, timeout=30
        )

    for answer in (post(ocid), post(ocid, "predictWithResponseStream")):
        assert (
            answer.status_code == 404
        )  # OCI: "Model deployment not found or authorization failed."
        assert answer.json()["code"] == "NotAuthorizedOrNotFound"
    # Model Deployment Policies documents manage (or the permission); a `use` grant alone is
    # not documented to include it, so the emulator refuses it.
    tenancy.allow("allow group oci-tei-users to use data-science-model-deployments in tenancy")
    assert post(ocid).status_code == 404
    tenancy.allow(
        "allow group oci-tei-users to {DATA_SCIENCE_MODEL_DEPLOYMENT_PREDICT} in compartment ml"
    )
    assert post(ocid).status_code == 200
    assert post(elsewhere).status_code == 404  # the grant is the deployment's compartment's
    tenancy.allow(
        "allow group oci-tei-users to manage data-science-model-deployments in compartment other"
    )
    assert post(elsewhere).status_code == 200


# -- Logging: GetWorkRequest and SearchLogs ------------------------------------------------


def test_log_search_is_authorized_in_each_scope_and_work_requests_ask_what_oci_states(
    tenancy: Tenancy, oci_config: Path
) -> None:
    user = dict(oci.config.from_file(str(oci_config)))
    url = tenancy.emu.url
    admin_logging = oci.logging.LoggingManagementClient(
        {**user, "user": ADMIN}, service_endpoint=url
    )
    logging = oci.logging.LoggingManagementClient(user, service_endpoint=url)
    search = oci.loggingsearch.LogSearchClient(user, service_endpoint=url)
    made = admin_logging.create_log_group(
        oci.logging.models.CreateLogGroupDetails(compartment_id=COMPARTMENT, display_name="tei")
    )
    work_request = made.headers["opc-work-request-id"]
    group = admin_logging.get_work_request(work_request).data.resources[0].identifier

    # OCI's Logging policy reference states no permission for GetWorkRequest: the emulator
    # asks none (contract UNSTATED_PERMISSIONS), only a valid signature.
    assert logging.get_work_request(work_request).data.status == "SUCCEEDED"

    other = _other_compartment(tenancy)
    now = dt.datetime.now(dt.timezone.utc)

    def search_logs(*scopes: str) -> Any:
        named = ", ".join(f'"{scope}"' for scope in scopes)
        details = oci.loggingsearch.models.SearchLogsDetails(
            time_start=now - dt.timedelta(hours=1),
            time_end=now + dt.timedelta(minutes=1),
            search_query=f"search {named} | sort by datetime desc",
        )
        return search.search_logs(details, retry_strategy=NO_RETRY).data

    _refused(lambda: search_logs(f"{COMPARTMENT}/{group}"))
    tenancy.allow("allow group oci-tei-users to read log-content in compartment ml")
    assert search_logs(f"{COMPARTMENT}/{group}").summary.result_count == 0
    # Every scope the query names is authorized: one without the grant refuses the search.
    _refused(lambda: search_logs(COMPARTMENT, other))
    _refused(lambda: search_logs("ocid1.compartment.oc1..aaaaaaaanothere"))
    tenancy.allow("allow group oci-tei-users to read log-content in compartment other")
    assert search_logs(COMPARTMENT, other).summary.result_count == 0


# -- Resource Search ----------------------------------------------------------------------


def test_resource_search_lists_only_what_the_caller_may_inspect(
    tenancy: Tenancy, oci_config: Path
) -> None:
    model = tenancy.admin_ds.create_model(
        oci.data_science.models.CreateModelDetails(compartment_id=COMPARTMENT, project_id=PROJECT)
    ).data
    search = oci.resource_search.ResourceSearchClient(
        oci.config.from_file(str(oci_config)), service_endpoint=tenancy.emu.url
    )

    def found(query: str = "query all resources") -> set[str]:
        details = oci.resource_search.models.StructuredSearchDetails(query=query)
        return {item.identifier for item in search.search_resources(details).data.items}

    assert found() == set()  # Search itself needs no permission: an empty answer, not a 404
    tenancy.allow("allow group oci-tei-users to inspect data-science-models in compartment ml")
    assert found() == {model.id}
    tenancy.allow("allow group oci-tei-users to read data-science-projects in tenancy")
    assert found() == {model.id, PROJECT}
    free = oci.resource_search.models.FreeTextSearchDetails(text=PROJECT)
    assert [i.identifier for i in search.search_resources(free).data.items] == [PROJECT]


# -- moves: both compartments ---------------------------------------------------------------


def test_a_move_needs_the_permission_in_the_target_compartment_too(tenancy: Tenancy) -> None:
    models = oci.data_science.models
    other = _other_compartment(tenancy)
    tenancy.allow("allow group oci-tei-users to manage data-science-models in compartment ml")
    model = tenancy.ds.create_model(
        models.CreateModelDetails(compartment_id=COMPARTMENT, project_id=PROJECT)
    ).data

    def move(target: str) -> Any:
        return tenancy.ds.change_model_compartment(
            model.id, models.ChangeModelCompartmentDetails(compartment_id=target)
        )

    _refused(lambda: move(other))
    _refused(lambda: move("ocid1.compartment.oc1..aaaaaaaanothere"))
    assert tenancy.ds.get_model(model.id).data.compartment_id == COMPARTMENT
    tenancy.allow("allow group oci-tei-users to manage data-science-models in compartment other")
    assert move(other).status == 200
    assert tenancy.ds.get_model(model.id).data.compartment_id == other


def test_a_deployment_move_needs_the_permission_in_the_target_compartment_too(
    tenancy: Tenancy,
) -> None:
    from tests.emulator.test_control_plane import GOOD_CMD, _deployment_details
    from tests.emulator.test_fidelity import IMAGE

    models = oci.data_science.models
    other = _other_compartment(tenancy)
    tenancy.allow(
        "allow group oci-tei-users to manage data-science-family in compartment ml",
        "allow group oci-tei-users to manage data-science-models in compartment other",
    )
    model = tenancy.ds.create_model(
        models.CreateModelDetails(compartment_id=COMPARTMENT, project_id=PROJECT)
    ).data
    details = _deployment_details(model.id, IMAGE, "VM.Standard.E4.Flex", GOOD_CMD)
    details.compartment_id, details.project_id = COMPARTMENT, PROJECT
    deployment = tenancy.ds.create_model_deployment(details).data

    def move() -> Any:
        return tenancy.ds.change_model_deployment_compartment(
            deployment.id, models.ChangeModelDeploymentCompartmentDetails(compartment_id=other)
        )

    _refused(move)  # manage data-science-models in the target is not the deployments' grant
    tenancy.allow(
        "allow group oci-tei-users to manage data-science-model-deployments in compartment other"
    )
    assert move().status == 200
    assert tenancy.ds.get_model_deployment(deployment.id).data.compartment_id == other


# -- the evaluator's permission lists ------------------------------------------------------


def test_the_evaluator_reads_permission_lists_case_insensitively() -> None:
    from oci_tei_emulator._policy import CompartmentTree, Principal, Requirement, evaluate

    tree = CompartmentTree(TENANCY, {COMPARTMENT: TENANCY}, {COMPARTMENT: "ml"})
    user = Principal("user", "ocid1.user.oc1..u", frozenset({"g"}))
    need = Requirement(
        "manage",
        "data-science-model-deployments",
        COMPARTMENT,
        permission="DATA_SCIENCE_MODEL_DEPLOYMENT_PREDICT",
    )

    def grants(statement: str) -> bool:
        return evaluate(need, user, [(TENANCY, [statement])], tree, {}).allowed

    assert grants(
        "allow group g to {DATA_SCIENCE_MODEL_DEPLOYMENT_READ, "
        "data_science_model_deployment_predict} in compartment ml"
    )
    assert not grants("allow group g to {DATA_SCIENCE_MODEL_DEPLOYMENT_READ} in compartment ml")
    assert not grants(
        "allow group g to {DATA_SCIENCE_MODEL_DEPLOYMENT_PREDICT} in compartment other"
    )
