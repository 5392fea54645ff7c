"""Production settings: private networking, custom-metric autoscaling, metrics in status.

Offline: the spec refuses a wrong query, thresholds out of order, a cool-down under OCI's
minimum and malformed networking, naming the field; the policy sent to OCI has the
documented ``CUSTOM_EXPRESSION`` structure. Against the strict emulator (real oci SDK,
oracle-ads, signed HTTP): a private deployment deploys, smoke-tests on its private FQDN and
serves both adapters there while its public URL is refused; the emulator refuses what
the spec refuses; ``oci-tei status`` shows the metrics of the calls made.

The private FQDN (``*.localhost``, RFC 6761) resolves to 127.0.0.1 through
:func:`localhost_resolver`, the tests' stand-in for the VCN's DNS: calls still go over real
sockets, with the FQDN in the URL, the ``Host`` header and the signature.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import oci
import pytest

from oci_tei import NotFoundError
from oci_tei._client import EmbeddingClient
from oci_tei.deploy import SpecError
from oci_tei.deploy.spec import DeploySpec
from oci_tei.deploy.spec._ads_resources import deployment_details
from oci_tei_emulator._wire import to_wire
from oci_tei_local import Backend

from .conftest import SpecFactory
from .emulated import COMPARTMENT, DeployEnv
from .strict import COMPARTMENT_NAME, LIMIT, POLICIES, Strict, prepare, strict_settings

REQUEST_COUNT = {"metric": "predict_request_count", "min_replicas": 1, "max_replicas": 3}
PLACEHOLDER = '{resourceId = "MODEL_DEPLOYMENT_OCID"}'
NETWORK_POLICY = (
    f"allow group oci-tei-users to use virtual-network-family in compartment {COMPARTMENT_NAME}"
)
#: What the tests' administrator does besides: VCN, subnet, private endpoint; and reading
#: the deployment's metrics (Monitoring: read metrics).
SETUP_POLICIES = tuple(
    f"allow group oci-tei-users to {grant} in compartment {COMPARTMENT_NAME}"
    for grant in (
        "manage vcns",
        "manage subnets",
        "manage data-science-private-endpoint",
        "read metrics",
    )
)


def _problems(make: SpecFactory, **overrides: Any) -> dict[str, str]:
    with pytest.raises(SpecError) as caught:
        make(**overrides)
    found: dict[str, str] = {}
    for field, message in caught.value.problems:
        found[field] = f"{found[field]}; {message}" if field in found else message
    return found


# -- offline: the spec -------------------------------------------------------------------------


def test_request_count_autoscaling_sends_the_documented_structure(
    make_spec: SpecFactory, ads_offline_auth: Path
) -> None:
    spec = make_spec(**{"infrastructure.autoscaling": dict(REQUEST_COUNT)})
    details = deployment_details(spec, "ocid1.datasciencemodel.oc1.iad.aaaa")
    wire = to_wire("data_science", details)
    policy = wire["modelDeploymentConfigurationDetails"]["modelConfigurationDetails"][
        "scalingPolicy"
    ]
    assert policy["policyType"] == "AUTOSCALING"
    (threshold,) = policy["autoScalingPolicies"]
    assert threshold["autoScalingPolicyType"] == "THRESHOLD"
    assert (threshold["minimumInstanceCount"], threshold["maximumInstanceCount"]) == (1, 3)
    assert threshold["initialInstanceCount"] == 1
    (rule,) = threshold["rules"]
    assert rule["metricExpressionRuleType"] == "CUSTOM_EXPRESSION"
    scale_out, scale_in = rule["scaleOutConfiguration"], rule["scaleInConfiguration"]
    assert scale_out["scalingConfigurationType"] == scale_in["scalingConfigurationType"] == "QUERY"
    assert scale_out["query"] == f"PredictRequestCount[1m]{PLACEHOLDER}.grouping().sum() > 600"
    # OCI: no calls, no metric; the scale-in query says so with absent().
    assert scale_in["query"] == (
        f"PredictRequestCount[1m]{PLACEHOLDER}.grouping().absent() == 1 || "
        f"PredictRequestCount[1m]{PLACEHOLDER}.grouping().sum() < 60"
    )


def test_a_wrong_query_is_refused_offline_naming_the_field(make_spec: SpecFactory) -> None:
    scaling = {
        "metric": "custom",
        "max_replicas": 2,
        "scale_out_query": f"GpuTemperature[1m]{PLACEHOLDER}.grouping().mean() > 80",
        "scale_in_query": 'PredictLatency[90m]{resourceId = "x"}.grouping().mean() < 10',
    }
    problems = _problems(make_spec, **{"infrastructure.autoscaling": scaling})
    out = problems["infrastructure.autoscaling.scale_out_query"]
    assert "GpuTemperature is not a metric of oci_datascience_modeldeploy" in out
    assert "interval [90m]" in problems["infrastructure.autoscaling.scale_in_query"]


def test_thresholds_out_of_order_and_a_short_cool_down_are_refused(make_spec: SpecFactory) -> None:
    order = _problems(
        make_spec,
        **{"infrastructure.autoscaling": {**REQUEST_COUNT, "scale_in_threshold": 700}},
    )
    assert "must be below" in order["infrastructure.autoscaling.scale_in_threshold"]
    custom = {
        "metric": "custom",
        "max_replicas": 2,
        "scale_out_query": f"PredictRequestCount[1m]{PLACEHOLDER}.grouping().sum() > 10",
        "scale_in_query": f"PredictRequestCount[1m]{PLACEHOLDER}.grouping().sum() < 50",
    }
    queries = _problems(make_spec, **{"infrastructure.autoscaling": custom})
    assert "must be below" in queries["infrastructure.autoscaling.scale_in_query"]
    cool = _problems(
        make_spec,
        **{"infrastructure.autoscaling": {**REQUEST_COUNT, "cool_down_seconds": 120}},
    )
    assert "minimum is 300" in cool["infrastructure.autoscaling.cool_down_seconds"]
    pending = _problems(
        make_spec,
        **{"infrastructure.autoscaling": {**REQUEST_COUNT, "pending_duration": "PT1M"}},
    )
    assert "PT3M" in pending["infrastructure.autoscaling.pending_duration"]


def test_networking_fields_are_checked_offline(make_spec: SpecFactory) -> None:
    problems = _problems(
        make_spec,
        **{
            "infrastructure.private_endpoint_id": "ocid1.subnet.oc1.iad.aaaa",
            "infrastructure.network_access_type": "CUSTOM_NETWORKING",
        },
    )
    assert "not a Data Science private endpoint" in problems["infrastructure.private_endpoint_id"]
    assert "CUSTOM_NETWORKING needs" in problems["infrastructure.subnet_id"]
    spec = make_spec(**{"infrastructure.subnet_id": "ocid1.subnet.oc1.iad.aaaa"})
    assert spec.infrastructure.access_type == "CUSTOM_NETWORKING"


# -- the strict emulator -----------------------------------------------------------------------


@pytest.fixture
def localhost_resolver(monkeypatch: pytest.MonkeyPatch) -> None:
    """``*.localhost`` names resolve to 127.0.0.1 (RFC 6761), as the VCN's DNS would."""
    real = socket.getaddrinfo

    def resolve(host: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, str) and host.lower().rstrip(".").endswith(".localhost"):
            host = "127.0.0.1"
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)


@pytest.fixture
def strict_env(
    emulator: Callable[..., Any],
    oci_config: Path,
    tmp_path: Path,
    model_dir: Path,
    tei_backend: Backend,
    restore_ads_auth: None,
    localhost_resolver: None,
) -> Strict:
    emu = emulator(shared_backends={model_dir: tei_backend}, **strict_settings(limits={LIMIT: 8}))
    return prepare(
        DeployEnv(emu, oci_config, tmp_path), (*POLICIES, NETWORK_POLICY, *SETUP_POLICIES)
    )


def _private_network(strict: Strict) -> tuple[str, str]:
    """A VCN, subnet and MODEL_DEPLOYMENT private endpoint, made with the plain SDK."""
    config = dict(oci.config.from_file(str(strict.env.oci_config)))
    network = oci.core.VirtualNetworkClient(config, service_endpoint=strict.env.emulator.url)
    vcn = network.create_vcn(
        oci.core.models.CreateVcnDetails(compartment_id=COMPARTMENT, cidr_blocks=["10.0.0.0/16"])
    ).data
    subnet = network.create_subnet(
        oci.core.models.CreateSubnetDetails(
            compartment_id=COMPARTMENT, vcn_id=vcn.id, cidr_block="10.0.1.0/24"
        )
    ).data
    data_science = strict.env.data_science
    endpoint = data_science.create_data_science_private_endpoint(
        oci.data_science.models.CreateDataSciencePrivateEndpointDetails(
            compartment_id=COMPARTMENT,
            subnet_id=subnet.id,
            sub_domain="embeddings",
            data_science_resource_type="MODEL_DEPLOYMENT",
        )
    ).data
    found = oci.wait_until(
        data_science,
        data_science.get_data_science_private_endpoint(endpoint.id),
        "lifecycle_state",
        "ACTIVE",
        max_wait_seconds=10,
        max_interval_seconds=1,
    ).data
    assert found.fqdn.startswith("embeddings.")
    listed = oci.pagination.list_call_get_all_results(
        data_science.list_data_science_private_endpoints,
        COMPARTMENT,
        data_science_resource_type="MODEL_DEPLOYMENT",
    ).data
    assert [item.id for item in listed] == [endpoint.id]
    return endpoint.id, subnet.id


def test_private_deployment_serves_only_on_its_private_fqdn(
    strict_env: Strict, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from langchain_oci_tei import OCITEIEmbeddings
    from llama_index_oci_tei import OCITEIEmbedding

    endpoint_id, subnet_id = _private_network(strict_env)
    spec = strict_env.spec_file(
        "private",
        **{
            "infrastructure.private_endpoint_id": endpoint_id,
            "infrastructure.subnet_id": subnet_id,
            "infrastructure.autoscaling": dict(REQUEST_COUNT),
        },
    )
    outcome = tmp_path / "outcome.json"
    assert strict_env.env.cli("deploy", spec, "--output-json", str(outcome)) == 0
    out = capsys.readouterr().out
    assert "ok    network: private endpoint embeddings." in out
    assert f"granted by: {NETWORK_POLICY}" in out
    assert "[7/7 smoke test]" in out
    url = json.loads(outcome.read_text())["endpoint"]
    assert ".pe.datascience.localhost:" in url
    assert f"Predict endpoint: {url}" in out

    record = strict_env.env.deployments()[0]
    full = strict_env.env.data_science.get_model_deployment(record.id).data
    model = full.model_deployment_configuration_details.model_configuration_details
    assert model.instance_configuration.private_endpoint_id == endpoint_id
    assert model.instance_configuration.subnet_id == subnet_id
    assert model.instance_configuration.network_access_type == "CUSTOM_NETWORKING"
    rule = model.scaling_policy.auto_scaling_policies[0].rules[0]
    assert rule.metric_expression_rule_type == "CUSTOM_EXPRESSION"

    options = {"auth": "api_key", "config_file": str(strict_env.env.oci_config)}
    texts = ["private networking", "custom metrics"]
    assert len(OCITEIEmbeddings(endpoint=url, **options).embed_documents(texts)) == 2
    assert len(OCITEIEmbedding(endpoint=url, **options).get_text_embedding(texts[0])) == 384

    public = strict_env.env.emulator.predict_url(record.id)
    with (
        EmbeddingClient(endpoint=public, **options) as client,
        pytest.raises(NotFoundError) as refused,
    ):
        client.embed(["the public URL"])
    assert "404" in str(refused.value)


def test_the_emulator_refuses_what_the_spec_refuses(
    strict_env: Strict, make_spec: SpecFactory, ads_offline_auth: Path
) -> None:
    spec: DeploySpec = make_spec(**{"infrastructure.autoscaling": dict(REQUEST_COUNT)})
    details = deployment_details(spec, "ocid1.datasciencemodel.oc1.iad.aaaa")
    details.compartment_id = COMPARTMENT
    details.project_id = strict_env.project_id
    policy = details.model_deployment_configuration_details.model_configuration_details
    rule = policy.scaling_policy.auto_scaling_policies[0].rules[0]
    cases = {
        "scaleOutConfiguration.query": ("query", f"Foo[1m]{PLACEHOLDER}.grouping().sum() > 1"),
        "must be below": ("query", f"PredictRequestCount[1m]{PLACEHOLDER}.grouping().sum() > 5"),
        "coolDownInSeconds": ("cool_down", 60),
        "pendingDuration": ("pending", "PT30S"),
    }
    for expected, (what, value) in cases.items():
        saved = (
            rule.scale_out_configuration.query,
            policy.scaling_policy.cool_down_in_seconds,
            rule.scale_out_configuration.pending_duration,
        )
        if what == "query":
            rule.scale_out_configuration.query = value
        elif what == "cool_down":
            policy.scaling_policy.cool_down_in_seconds = value
        else:
            rule.scale_out_configuration.pending_duration = value
        with pytest.raises(oci.exceptions.ServiceError) as refused:
            strict_env.env.data_science.create_model_deployment(details)
        assert refused.value.status == 400, expected
        assert expected in refused.value.message
        (
            rule.scale_out_configuration.query,
            policy.scaling_policy.cool_down_in_seconds,
            rule.scale_out_configuration.pending_duration,
        ) = saved


def test_status_shows_the_metrics_of_the_calls_made(
    strict_env: Strict, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = strict_env.spec_file("metrics")
    outcome = tmp_path / "outcome.json"
    assert strict_env.env.cli("deploy", spec, "--output-json", str(outcome)) == 0
    url = json.loads(outcome.read_text())["endpoint"]
    options = {"auth": "api_key", "config_file": str(strict_env.env.oci_config)}
    with EmbeddingClient(endpoint=url, batch_size=2, **options) as client:
        assert len(client.embed([f"text {i}" for i in range(10)])) == 10
    capsys.readouterr()
    assert strict_env.env.cli("status", spec) == 0
    out = capsys.readouterr().out
    # The smoke test's call and five batches of two.
    assert "requests: 6 " in out
    assert "latency: p50 " in out
    assert "errors: 0 4xx, 0 5xx (by status: 200: 6)" in out
    assert "instances: 1 (fixed)" in out


def test_the_private_example_spec_dry_runs(spec_env: dict[str, str]) -> None:
    from oci_tei.deploy.spec import load_spec
    from oci_tei.deploy.spec._ads_resources import build_deployment

    env = {
        **spec_env,
        "OCI_TEI_PRIVATE_ENDPOINT_ID": "ocid1.datascienceprivateendpoint.oc1.iad.aaaa",
        "OCI_TEI_SUBNET_ID": "ocid1.subnet.oc1.iad.aaaa",
    }
    spec = load_spec(
        Path(__file__).parents[2] / "deploy" / "bge-base-en-v1.5-a10-private.yaml", env
    )
    assert spec.infrastructure.access_type == "CUSTOM_NETWORKING"
    scaling = spec.infrastructure.autoscaling
    assert scaling is not None
    assert scaling.queries()[1].endswith("grouping().sum() > 600")
    build_deployment(spec)  # oracle-ads takes the networking fields offline


def test_logs_come_from_log_search_as_records(
    deploy_env: DeployEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from oci_tei._auth import AuthSpec
    from oci_tei.deploy import Deployment
    from oci_tei.deploy._connection import Connection
    from oci_tei.deploy._session import DeploySession
    from oci_tei.deploy.manage import DeploymentMetrics, LogRecord, container_logs

    config = dict(oci.config.from_file(str(deploy_env.oci_config)))
    logging = oci.logging.LoggingManagementClient(config, service_endpoint=deploy_env.emulator.url)
    logging.create_log_group(
        oci.logging.models.CreateLogGroupDetails(compartment_id=COMPARTMENT, display_name="tei")
    )
    group = logging.list_log_groups(COMPARTMENT, display_name="tei").data[0]
    logging.create_log(
        group.id, oci.logging.models.CreateLogDetails(display_name="predict", log_type="CUSTOM")
    )
    log = logging.list_logs(group.id).data[0]
    target = {"log_group_id": group.id, "log_id": log.id}
    spec = deploy_env.spec_file("logged", **{"logs.predict": target, "logs.access": target})
    outcome = tmp_path / "outcome.json"
    assert deploy_env.cli("deploy", spec, "--output-json", str(outcome)) == 0
    url = json.loads(outcome.read_text())["endpoint"]
    deploy_env.embed(url, ["one", "two"])
    capsys.readouterr()
    assert deploy_env.cli("logs", spec, "--type", "predict") == 0
    assert "status 200" in capsys.readouterr().out

    session = DeploySession(
        Connection(AuthSpec("api_key", None, str(deploy_env.oci_config)), deploy_env.emulator.url)
    )
    record = deploy_env.data_science.get_model_deployment(deploy_env.deployments()[0].id).data
    records = container_logs(session, record, "predict")
    assert records
    assert all(isinstance(r, LogRecord) and r.source == record.id for r in records)

    # The Python API returns the same records, and the metrics of the calls made above.
    live = Deployment.attach(
        record.id,
        auth="api_key",
        config_file=str(deploy_env.oci_config),
        service_endpoint=deploy_env.emulator.url,
    )
    assert [r.id for r in live.container_logs("predict")] == [r.id for r in records]
    metrics = live.metrics()
    assert isinstance(metrics, DeploymentMetrics)
    assert metrics.requests >= 2


def test_preflight_names_a_missing_endpoint_subnet_and_network_policy(
    emulator: Callable[..., Any],
    oci_config: Path,
    tmp_path: Path,
    restore_ads_auth: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    emu = emulator(**strict_settings())
    # No "use virtual-network-family": the network policy the deployment needs.
    strict = prepare(DeployEnv(emu, oci_config, tmp_path), (*POLICIES, *SETUP_POLICIES))
    endpoint_id, subnet_id = _private_network(strict)
    spec = strict.spec_file(
        "unreachable",
        **{
            "infrastructure.private_endpoint_id": endpoint_id,
            "infrastructure.subnet_id": subnet_id.replace("amaaaa", "amaaab"),
        },
    )
    assert strict.env.cli("doctor", str(spec)) == 1
    out = capsys.readouterr().out
    assert "ok    network: private endpoint embeddings." in out
    assert "FAIL  network: subnet ocid1.subnet." in out
    assert "FAIL  iam: you: use virtual-network-family in compartment oci-tei-demo" in out
    assert f"add the policy statement: {NETWORK_POLICY}" in out


def test_the_new_fields_unset_leave_the_spec_hash_as_it_was(make_spec: SpecFactory) -> None:
    import hashlib

    spec = make_spec(**{"infrastructure.autoscaling": {"max_replicas": 2}})
    data = spec.model_dump(mode="json")
    for name in ("private_endpoint_id", "subnet_id", "network_access_type"):
        del data["infrastructure"][name]
    for name in ("scale_out_query", "scale_in_query", "pending_duration"):
        del data["infrastructure"]["autoscaling"][name]
    before = hashlib.sha256(
        json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()[:16]
    assert spec.spec_hash() == before
    private = make_spec(**{"infrastructure.subnet_id": "ocid1.subnet.oc1.iad.aaaa"})
    assert private.spec_hash() != make_spec().spec_hash()


def test_strict_tenancy_authorizes_networking_and_metrics(
    emulator: Callable[..., Any], oci_config: Path, tmp_path: Path
) -> None:
    emu = emulator(**strict_settings())
    strict = prepare(DeployEnv(emu, oci_config, tmp_path), POLICIES)
    config = dict(oci.config.from_file(str(oci_config)))
    network = oci.core.VirtualNetworkClient(config, service_endpoint=emu.url)
    monitoring = oci.monitoring.MonitoringClient(config, service_endpoint=emu.url)
    details = oci.monitoring.models.SummarizeMetricsDataDetails(
        namespace="oci_datascience_modeldeploy",
        query='PredictRequestCount[1m]{resourceId = "x"}.grouping().sum()',
    )
    for call in (
        lambda: network.create_vcn(
            oci.core.models.CreateVcnDetails(
                compartment_id=COMPARTMENT, cidr_blocks=["10.0.0.0/16"]
            )
        ),
        lambda: monitoring.summarize_metrics_data(COMPARTMENT, details),
    ):
        with pytest.raises(oci.exceptions.ServiceError) as refused:
            call()
        assert (refused.value.status, refused.value.code) == (404, "NotAuthorizedOrNotFound")
    strict.add_policy(SETUP_POLICIES, name="setup")
    assert network.create_vcn(
        oci.core.models.CreateVcnDetails(compartment_id=COMPARTMENT, cidr_blocks=["10.0.0.0/16"])
    ).data.id.startswith("ocid1.vcn.")
    assert monitoring.summarize_metrics_data(COMPARTMENT, details).data == []
