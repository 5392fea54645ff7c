"""OCI's documented rules (oci_tei.contract), refused offline by spec validation.

Each rule: a spec with exactly one violation is refused before any call, naming the
field; the seed spec (valid) passes. The emulator's side of each rule is in
tests/emulator/test_contract_emulator.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from oci_tei.deploy import SpecError
from oci_tei.deploy.steps import build_plan

from .conftest import SpecFactory

CPU = {"infrastructure.shape": "VM.Standard.E4.Flex", "container.tei_version": "1.5"}

FIELD_RULES: list[tuple[str, dict[str, Any], str, str]] = [
    ("port 24224 is reserved", {"container.port": 24224}, "container.port", "reserved"),
    ("port below 1024", {"container.port": 1000}, "container.port", "between 1024 and 65535"),
    ("port 8447 is reserved", {"container.port": 8447}, "container.port", "reserved"),
    (
        "env key starts with a digit",
        {"container.env": {"1ABC": "x"}},
        "container.env.1ABC",
        "start with a letter",
    ),
    (
        "env key with a hyphen",
        {"container.env": {"A-B": "x"}},
        "container.env.A-B",
        "start with a letter",
    ),
    (
        "env key ends with _",
        {"container.env": {"TEST_": "x"}},
        "container.env.TEST_",
        "must not end",
    ),
    ("env key of 1 character", {"container.env": {"A": "x"}}, "container.env.A", "at least 2"),
    (
        "reserved env key",
        {"container.env": {"TENANCY_OCID": "x"}},
        "container.env.TENANCY_OCID",
        "set by Model Deployment",
    ),
    (
        "env key oci-tei sets",
        {"container.env": {"AUTO_TRUNCATE": "x"}},
        "container.env.AUTO_TRUNCATE",
        "set by oci-tei",
    ),
    (
        "shape not offered",
        {
            "infrastructure.shape": "VM.Standard.E9.Flex",
            "infrastructure.ocpus": 2,
            "infrastructure.memory_in_gbs": 16,
        },
        "infrastructure.shape",
        "not a shape offered",
    ),
    (
        "flex under 6 GB per OCPU",
        {**CPU, "infrastructure.ocpus": 1, "infrastructure.memory_in_gbs": 4},
        "infrastructure.memory_in_gbs",
        "6 to 64 GB per OCPU",
    ),
    (
        "flex over 64 GB per OCPU",
        {**CPU, "infrastructure.ocpus": 1, "infrastructure.memory_in_gbs": 80},
        "infrastructure.memory_in_gbs",
        "6 to 64 GB per OCPU",
    ),
    (
        "flex over the shape's OCPUs",
        {**CPU, "infrastructure.ocpus": 65, "infrastructure.memory_in_gbs": 512},
        "infrastructure.ocpus",
        "1 to 64 OCPUs",
    ),
    (
        "flex over the shape's memory",
        {**CPU, "infrastructure.ocpus": 20, "infrastructure.memory_in_gbs": 1100},
        "infrastructure.memory_in_gbs",
        "at most 1024 GB",
    ),
    (
        "E5.Flex over 94 OCPUs",
        {
            **CPU,
            "infrastructure.shape": "VM.Standard.E5.Flex",
            "infrastructure.ocpus": 95,
            "infrastructure.memory_in_gbs": 600,
        },
        "infrastructure.ocpus",
        "1 to 94 OCPUs",
    ),
    (
        "cool-down under 300 s",
        {"infrastructure.autoscaling": {"max_replicas": 3, "cool_down_seconds": 60}},
        "infrastructure.autoscaling.cool_down_seconds",
        "minimum is 300",
    ),
    (
        "autoscaling max below min",
        {
            "infrastructure.autoscaling": {"min_replicas": 3, "max_replicas": 2},
            "infrastructure.replicas": 3,
        },
        "infrastructure.autoscaling.max_replicas",
        "below the minimum",
    ),
    (
        "initial count outside min..max",
        {"infrastructure.autoscaling": {"min_replicas": 2, "max_replicas": 3}},
        "infrastructure.replicas",
        "between the minimum and the maximum",
    ),
    (
        "unknown autoscaling metric (enum)",
        {"infrastructure.autoscaling": {"max_replicas": 3, "metric": "gpu"}},
        "infrastructure.autoscaling.metric",
        "cpu_utilization",
    ),
    ("zero instances", {"infrastructure.replicas": 0}, "infrastructure.replicas", "greater than 0"),
    (
        "zero bandwidth",
        {"infrastructure.bandwidth_mbps": 0},
        "infrastructure.bandwidth_mbps",
        "greater than 0",
    ),
    (
        "image outside OCIR",
        {"container.ocir_repository": "docker.io/me/tei"},
        "container.ocir_repository",
        "not an OCIR repository",
    ),
]


@pytest.mark.parametrize(
    ("rule", "overrides", "field", "message"), FIELD_RULES, ids=[r[0] for r in FIELD_RULES]
)
def test_spec_refuses_each_rule_naming_the_field(
    make_spec: SpecFactory, rule: str, overrides: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(SpecError) as caught:
        make_spec(**overrides)
    problems = dict(caught.value.problems)
    assert field in problems, caught.value.problems
    assert message in problems[field]


COMPOSED_RULES: list[tuple[str, dict[str, Any], str, str]] = [
    ("env over 2048 bytes", {"container.env": {"BIG": "x" * 2048}}, "container.env", "under 2048"),
    (
        "CMD+ENTRYPOINT over 2048 bytes",
        {"tei.extra_args": ["--revision", "x" * 2048]},
        "tei.extra_args",
        "under 2048",
    ),
]


@pytest.mark.parametrize(
    ("rule", "overrides", "field", "message"), COMPOSED_RULES, ids=[r[0] for r in COMPOSED_RULES]
)
def test_what_deploy_composes_is_refused_with_the_plan(
    make_spec: SpecFactory, rule: str, overrides: dict[str, Any], field: str, message: str
) -> None:
    """The whole environment and command line exist once composed: the plan checks them
    (``--dry-run`` and deploy build it before any call)."""
    with pytest.raises(SpecError) as caught:
        build_plan(make_spec(**overrides))
    assert message in dict(caught.value.problems)[field]


VALID: list[dict[str, Any]] = [
    {},
    {"container.port": 1024, "container.env": {"RUST_LOG": "info", "A1": ""}},
    {"container.port": 65535},
    {**CPU, "infrastructure.ocpus": 1, "infrastructure.memory_in_gbs": 6},
    {**CPU, "infrastructure.ocpus": 1, "infrastructure.memory_in_gbs": 64},
    {**CPU, "infrastructure.ocpus": 64, "infrastructure.memory_in_gbs": 1024},
    {
        **CPU,
        "infrastructure.shape": "VM.Standard.E5.Flex",
        "infrastructure.ocpus": 94,
        "infrastructure.memory_in_gbs": 1049,
    },
    {"infrastructure.autoscaling": {"max_replicas": 3, "cool_down_seconds": 300}},
    {"container.env": {"PAD": "x" * 1900}},
]


@pytest.mark.parametrize("overrides", VALID)
def test_the_valid_values_pass(make_spec: SpecFactory, overrides: dict[str, Any]) -> None:
    assert build_plan(make_spec(**overrides)).steps
