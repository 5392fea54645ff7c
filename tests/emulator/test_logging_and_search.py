"""Logging, Log Search and Resource Search through the unmodified oci SDK and oracle-ads.

Log groups and logs are made with the Logging API (as the seed's user does); a deployment
that names them writes each predict call to its access and predict logs, which oracle-ads'
``ModelDeployment.logs()`` and ``oci-tei logs --type predict`` read back with SearchLogs.
``DataScienceModel.delete()`` finds the model's deployments with SearchResources.
"""

# ruff: noqa: F811  (active and model_dir are fixtures imported from test_held_to_oci)
from __future__ import annotations

import datetime as dt
from pathlib import Path

import oci
import pytest
import requests

from oci_tei._cli import main
from tests.fixtures.oci import all_items

from .test_control_plane import COMPARTMENT, _bucket, _clients, _deployment_details, _wait
from .test_held_to_oci import (  # noqa: F401
    CMD,
    CPU_IMAGE,
    CPU_SHAPE,
    _model,
    active,
    model_dir,
)

NO_RETRY = oci.retry.NoneRetryStrategy()


def _logging(emu, oci_config: Path):
    config = oci.config.from_file(str(oci_config))
    return oci.logging.LoggingManagementClient(config, service_endpoint=emu.url)


def _made(logging, answer) -> str:
    """The OCID a Logging create made, read from its work request (as oracle-ads does)."""
    assert answer.status == 202
    assert answer.data is None
    wr = logging.get_work_request(answer.headers["opc-work-request-id"]).data
    assert wr.status == "SUCCEEDED"
    return str(wr.resources[0].identifier)


def _log_group_and_logs(logging) -> tuple[str, str, str]:
    models = oci.logging.models
    group = _made(
        logging,
        logging.create_log_group(
            models.CreateLogGroupDetails(compartment_id=COMPARTMENT, display_name="tei")
        ),
    )
    access, predict = (
        _made(
            logging,
            logging.create_log(
                group, models.CreateLogDetails(display_name=name, log_type="CUSTOM")
            ),
        )
        for name in ("access", "predict")
    )
    return group, access, predict


def test_log_groups_and_logs(emulator, oci_config: Path) -> None:
    emu = emulator()
    logging = _logging(emu, oci_config)
    group, access, predict = _log_group_and_logs(logging)
    assert group.startswith("ocid1.loggroup.oc1.iad.")
    listed = all_items(logging.list_log_groups, COMPARTMENT, display_name="tei")
    assert [g.id for g in listed] == [group]
    assert logging.get_log_group(group).data.display_name == "tei"
    logs = all_items(logging.list_logs, group)
    assert {log.id for log in logs} == {access, predict}
    assert logging.get_log(group, predict).data.display_name == "predict"
    with pytest.raises(oci.exceptions.ServiceError) as info:
        logging.create_log_group(
            oci.logging.models.CreateLogGroupDetails(
                compartment_id=COMPARTMENT, display_name="tei"
            ),
            retry_strategy=NO_RETRY,
        )
    assert info.value.status == 409
    with pytest.raises(oci.exceptions.ServiceError) as info:
        logging.delete_log_group(group, retry_strategy=NO_RETRY)
    assert info.value.status == 409
    logging.delete_log(group, access)
    logging.delete_log(group, predict)
    assert logging.delete_log_group(group).status == 202
    assert all_items(logging.list_log_groups, COMPARTMENT) == []


def test_strict_deployments_accept_the_logs_made_with_the_logging_api(
    emulator, oci_config: Path
) -> None:
    emu = emulator(strict=True, compartments={"test": COMPARTMENT})
    logging = _logging(emu, oci_config)
    # Strict: creating a log group needs a policy (Logging's LOG_GROUP_CREATE).
    with pytest.raises(oci.exceptions.ServiceError) as info:
        _log_group_and_logs(logging)
    assert (info.value.status, info.value.code) == (404, "NotAuthorizedOrNotFound")
    identity = oci.identity.IdentityClient(
        oci.config.from_file(str(oci_config)), service_endpoint=emu.url
    )
    identity.create_policy(
        oci.identity.models.CreatePolicyDetails(
            compartment_id=emu.config.tenancy_id,
            name="logs",
            description="logs",
            statements=["allow group oci-tei-users to manage log-groups in compartment test"],
        )
    )
    group, _access, predict = _log_group_and_logs(logging)
    assert all_items(logging.list_logs, group)
    assert emu.tenancy.log_exists(group, predict)
    assert not emu.tenancy.log_exists(group, "ocid1.log.oc1.iad.other")


def test_predict_calls_reach_the_deployments_logs(
    active, oci_config: Path, capsys, restore_ads_auth
) -> None:
    emu, ds, deployment, _ = active
    logging = _logging(emu, oci_config)
    group, access, predict = _log_group_and_logs(logging)
    models = oci.data_science.models
    update = models.UpdateModelDeploymentDetails(
        category_log_details=models.UpdateCategoryLogDetails(
            access=models.LogDetails(log_group_id=group, log_id=access),
            predict=models.LogDetails(log_group_id=group, log_id=predict),
        )
    )
    _wait(ds, ds.update_model_deployment(deployment.id, update).headers["opc-work-request-id"])
    signer = oci.signer.Signer.from_config(oci.config.from_file(str(oci_config)))
    for text in ("one", "two"):
        answer = requests.post(
            emu.predict_url(deployment.id), json={"input": [text]}, auth=signer, timeout=60
        )
        assert answer.status_code == 200

    search = oci.loggingsearch.LogSearchClient(
        oci.config.from_file(str(oci_config)), service_endpoint=emu.url
    )
    now = dt.datetime.now(dt.timezone.utc)
    found = search.search_logs(
        oci.loggingsearch.models.SearchLogsDetails(
            time_start=now - dt.timedelta(hours=1),
            time_end=now + dt.timedelta(minutes=1),
            search_query=f'search "{COMPARTMENT}/{group}/{predict}" '
            f"| where source = '*{deployment.id}' | sort by datetime desc",
        )
    ).data
    assert found.summary.result_count == 2
    content = found.results[0].data["logContent"]
    assert content["source"] == deployment.id
    assert content["oracle"]["logid"] == predict
    assert "200" in content["data"]["message"]
    with pytest.raises(oci.exceptions.ServiceError) as info:
        search.search_logs(
            oci.loggingsearch.models.SearchLogsDetails(
                time_start=now - dt.timedelta(hours=1),
                time_end=now,
                search_query=f'search "{COMPARTMENT}" | stats count(*)',
            )
        )
    assert info.value.status == 400
    assert "not emulated" in info.value.message

    # oracle-ads reads them, and so does `oci-tei logs --type predict` (through ADS).
    import ads
    from ads.model.deployment import ModelDeployment

    ads.set_auth(
        "api_key", oci_config_location=str(oci_config), client_kwargs={"service_endpoint": emu.url}
    )
    records = ModelDeployment.from_id(deployment.id).predict_log.tail(source=deployment.id)
    assert len(records) == 2
    assert all("status 200" in record["message"] for record in records)
    connection = ["--auth", "api_key", "--config-file", str(oci_config)]
    connection += ["--service-endpoint", emu.url]
    capsys.readouterr()
    assert main(["logs", deployment.id, "--type", "predict", *connection]) == 0
    printed = capsys.readouterr().out
    assert printed.count("status 200") == 2


def test_resource_search_finds_a_models_deployments_as_ads_asks(
    emulator, oci_config: Path, restore_ads_auth
) -> None:
    emu = emulator()
    os_client, ds = _clients(emu, oci_config)
    _bucket(os_client, emu.namespace)
    model = _model(ds, emu, os_client)
    other = _model(ds, emu, os_client)
    created = ds.create_model_deployment(
        _deployment_details(model.id, CPU_IMAGE, CPU_SHAPE, CMD)
    ).data
    ds.create_model_deployment(_deployment_details(other.id, CPU_IMAGE, CPU_SHAPE, CMD))
    import ads
    from ads.model.service.oci_datascience_model import OCIDataScienceModel

    ads.set_auth(
        "api_key", oci_config_location=str(oci_config), client_kwargs={"service_endpoint": emu.url}
    )
    found = OCIDataScienceModel.from_id(model.id).model_deployment()
    assert [item.identifier for item in found] == [created.id]
    assert found[0].resource_type == "DataScienceModelDeployment"
    search = oci.resource_search.ResourceSearchClient(
        oci.config.from_file(str(oci_config)), service_endpoint=emu.url
    )
    free = search.search_resources(
        oci.resource_search.models.FreeTextSearchDetails(text=model.id)
    ).data.items
    assert [item.identifier for item in free] == [model.id]
    with pytest.raises(oci.exceptions.ServiceError) as info:
        search.search_resources(
            oci.resource_search.models.StructuredSearchDetails(
                query="query all resources where inSubtree = 'x' || a = 'b'"
            )
        )
    assert info.value.status == 400
