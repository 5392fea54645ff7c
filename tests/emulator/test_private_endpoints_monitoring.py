"""The emulator's private endpoints, subnets and Monitoring, through the unmodified oci SDK.

A deployment naming a missing subnet or private endpoint is 404; one naming an endpoint
for notebooks or one not yet ACTIVE is 400 (inferred). ``summarize_metrics_data`` sees the
predict calls of a registered deployment in its compartment, and refuses MQL outside the
emulator's subset instead of answering "no data".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import oci
import pytest

from oci_tei_emulator import Emulator
from oci_tei_emulator._monitoring import record_predict, summarize
from tests.fixtures.oci import TEST_PROJECT

COMPARTMENT = TEST_PROJECT[1]


def _clients(emu: Emulator, oci_config: Path) -> tuple[Any, Any, Any]:
    config = dict(oci.config.from_file(str(oci_config)))
    return (
        oci.data_science.DataScienceClient(config, service_endpoint=emu.url),
        oci.core.VirtualNetworkClient(config, service_endpoint=emu.url),
        oci.monitoring.MonitoringClient(config, service_endpoint=emu.url),
    )


def _subnet(network: Any) -> str:
    vcn = network.create_vcn(
        oci.core.models.CreateVcnDetails(compartment_id=COMPARTMENT, cidr_blocks=["10.0.0.0/16"])
    ).data
    subnet = network.create_subnet(
        oci.core.models.CreateSubnetDetails(
            compartment_id=COMPARTMENT, vcn_id=vcn.id, cidr_block="10.0.1.0/24"
        )
    ).data
    assert network.get_subnet(subnet.id).data.vcn_id == vcn.id
    return str(subnet.id)


def _deployment_details(**instance: Any) -> Any:
    models = oci.data_science.models
    return models.CreateModelDeploymentDetails(
        compartment_id=COMPARTMENT,
        project_id=TEST_PROJECT[0],
        model_deployment_configuration_details=models.SingleModelDeploymentConfigurationDetails(
            deployment_type="SINGLE_MODEL",
            model_configuration_details=models.ModelConfigurationDetails(
                model_id="ocid1.datasciencemodel.oc1.iad.aaaa",
                instance_configuration=models.InstanceConfiguration(
                    instance_shape_name="VM.Standard.E4.Flex",
                    model_deployment_instance_shape_config_details=(
                        models.ModelDeploymentInstanceShapeConfigDetails(ocpus=1, memory_in_gbs=16)
                    ),
                    **instance,
                ),
                scaling_policy=models.FixedSizeScalingPolicy(instance_count=1),
                bandwidth_mbps=10,
            ),
        ),
    )


def test_deployments_name_existing_usable_network(
    emulator: Callable[..., Emulator], oci_config: Path
) -> None:
    emu = emulator(activation_delay_s=30.0)  # the endpoints stay CREATING
    data_science, network, _ = _clients(emu, oci_config)
    subnet_id = _subnet(network)

    def refused(**instance: Any) -> Any:
        with pytest.raises(oci.exceptions.ServiceError) as caught:
            data_science.create_model_deployment(_deployment_details(**instance))
        return caught.value

    missing = refused(subnet_id=subnet_id.replace("amaaaa", "amaaab"))
    assert (missing.status, missing.code) == (404, "NotAuthorizedOrNotFound")
    assert "subnet" in missing.message

    def endpoint(kind: str) -> str:
        details = oci.data_science.models.CreateDataSciencePrivateEndpointDetails(
            compartment_id=COMPARTMENT, subnet_id=subnet_id, data_science_resource_type=kind
        )
        return str(data_science.create_data_science_private_endpoint(details).data.id)

    notebooks = refused(private_endpoint_id=endpoint("NOTEBOOK_SESSION"))
    assert notebooks.status == 400
    assert "NOTEBOOK_SESSION, not MODEL_DEPLOYMENT" in notebooks.message
    creating = refused(private_endpoint_id=endpoint("MODEL_DEPLOYMENT"))
    assert creating.status == 400
    assert "CREATING, not ACTIVE" in creating.message
    unknown = refused(private_endpoint_id="ocid1.datascienceprivateendpoint.oc1.iad.nothere")
    assert unknown.status == 404
    custom = refused(network_access_type="CUSTOM_NETWORKING")
    assert custom.status == 400
    assert "subnetId: required with CUSTOM_NETWORKING" in custom.message


def test_a_private_endpoint_needs_an_existing_subnet(
    emulator: Callable[..., Emulator], oci_config: Path
) -> None:
    data_science, _, _ = _clients(emulator(), oci_config)
    details = oci.data_science.models.CreateDataSciencePrivateEndpointDetails(
        compartment_id=COMPARTMENT,
        subnet_id="ocid1.subnet.oc1.iad.nothere",
        data_science_resource_type="MODEL_DEPLOYMENT",
    )
    with pytest.raises(oci.exceptions.ServiceError) as caught:
        data_science.create_data_science_private_endpoint(details)
    assert caught.value.status == 404


def test_monitoring_summarizes_the_predict_metrics(
    emulator: Callable[..., Emulator], oci_config: Path
) -> None:
    emu = emulator()
    _, _, monitoring = _clients(emu, oci_config)
    ocid = "ocid1.datasciencemodeldeployment.oc1.iad.aaaa"
    end = dt.datetime.now(dt.timezone.utc)
    # Datapoints posted as the gateway posts them: 429s and 503s on demand need no faults.
    app = emu._runner.app if emu._runner else None
    assert app is not None
    for status, latency in ((200, 10.0), (200, 30.0), (429, 1.0), (503, 2.0)):
        record_predict(app, ocid, COMPARTMENT, status, latency, now=end - dt.timedelta(minutes=2))

    def ask(query: str, compartment: str = COMPARTMENT) -> list[Any]:
        details = oci.monitoring.models.SummarizeMetricsDataDetails(
            namespace="oci_datascience_modeldeploy",
            query=query,
            start_time=end - dt.timedelta(hours=1),
            end_time=end,
        )
        return list(monitoring.summarize_metrics_data(compartment, details).data)

    where = f'{{resourceId = "{ocid}"}}'
    (count,) = ask(f"PredictRequestCount[1h]{where}.grouping().sum()")
    assert [p.value for p in count.aggregated_datapoints] == [4.0]
    by_status = ask(f"PredictResponse[1h]{where}.groupBy(statusCode).sum()")
    assert {s.dimensions["statusCode"]: s.aggregated_datapoints[0].value for s in by_status} == {
        "200": 2.0,
        "429": 1.0,
        "503": 1.0,
    }
    (success,) = ask(f'PredictLatency[1h]{{resourceId = "{ocid}", result = "Success"}}.mean()')
    assert success.aggregated_datapoints[0].value == 20.0
    assert ask(f"PredictRequestCount[1h]{where}.grouping().sum()", "ocid1.compartment.oc1..x") == []
    with pytest.raises(oci.exceptions.ServiceError) as caught:
        ask(f"PredictRequestCount[1h]{where}.grouping().sum() > 5 && foo")
    assert caught.value.status == 400


def test_summaries_bucket_by_the_query_interval() -> None:
    from oci_tei_emulator._monitoring import Datapoint, MetricStore, _parse

    store = MetricStore()
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    for minute, value in ((0, 1.0), (0, 3.0), (2, 5.0)):
        when = start + dt.timedelta(minutes=minute, seconds=10)
        store.post(Datapoint("PredictLatency", "c", {"resourceId": "x"}, when, value))
    ((_, points),) = summarize(
        store,
        "c",
        _parse('PredictLatency[1m]{resourceId = "x"}.grouping().percentile(0.5)'),
        start,
        start + dt.timedelta(minutes=5),
    )
    assert [(p[0].minute, p[1]) for p in points] == [(0, 2.0), (2, 5.0)]
