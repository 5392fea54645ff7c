"""Shape -> TEI image tag, refusals with reasons, explicit images, docker commands."""

from __future__ import annotations

import pytest

from oci_tei.contract._ocir import parse_ocir_repository
from oci_tei.deploy import UnsupportedShapeError
from oci_tei.deploy.spec import (
    TEI_REGISTRY,
    choose_image,
    docker_commands,
    parse_shape,
    tag_architecture,
    tei_image_tag,
)

from .conftest import SpecFactory

TAGS = [
    ("VM.GPU.A10.1", "86-1.5"),
    ("VM.GPU.A10.2", "86-1.5"),
    ("BM.GPU.A10.4", "86-1.5"),
    ("BM.GPU.A40.4", "86-1.5"),
    ("BM.GPU4.8", "1.5"),
    ("BM.GPU.B4.8", "1.5"),
    ("BM.GPU.A100-v2.8", "1.5"),
    ("VM.GPU.A100.80G.1", "1.5"),
    ("BM.GPU.A30.4", "1.5"),
    ("VM.GPU.L4.1", "89-1.5"),
    ("BM.GPU.L40S.4", "89-1.5"),
    ("BM.GPU.L40S-NC.4", "89-1.5"),
    ("BM.GPU.H100.8", "hopper-1.5"),
    ("BM.GPU.H200.8", "hopper-1.5"),
    ("VM.Standard.E4.Flex", "cpu-1.5"),
    ("VM.Standard.E5.Flex", "cpu-1.5"),
    ("VM.Standard3.Flex", "cpu-1.5"),
    ("VM.Optimized3.Flex", "cpu-1.5"),
    ("VM.Standard2.4", "cpu-1.5"),
    ("BM.Standard.E5.192", "cpu-1.5"),
]


@pytest.mark.parametrize(("shape", "tag"), TAGS)
def test_image_tag_per_shape(shape: str, tag: str) -> None:
    assert tei_image_tag(parse_shape(shape), "1.5") == tag


@pytest.mark.parametrize(
    ("shape", "reason"),
    [
        ("VM.GPU2.1", "P100 is Pascal, compute capability 6.0"),
        ("BM.GPU2.2", "P100 is Pascal"),
        ("VM.GPU3.1", "V100 is Volta, compute capability 7.0"),
        ("BM.GPU3.8", "V100 is Volta"),
        ("VM.Standard.A1.Flex", "x86-64 only"),
        ("VM.Standard.A2.Flex", "cpu-arm64-latest and cpu-arm64-sha-<commit>"),
        ("BM.GPU.MI300X.8", "no known TEI image for the MI300X"),
    ],
)
def test_refused_shapes_say_why(shape: str, reason: str) -> None:
    with pytest.raises(UnsupportedShapeError) as caught:
        tei_image_tag(parse_shape(shape), "1.5")
    assert reason in str(caught.value)


def test_shape_parsing() -> None:
    a10 = parse_shape("VM.GPU.A10.2")
    assert (a10.kind, a10.gpu, a10.gpu_count) == ("gpu", "A10", 2)
    arm = parse_shape("VM.Standard.A1.Flex")
    assert (arm.kind, arm.arch, arm.flex) == ("cpu", "aarch64", True)
    fixed = parse_shape("VM.Standard2.8")
    assert (fixed.flex, fixed.ocpus) == (False, 8)
    with pytest.raises(ValueError, match="unrecognized shape"):
        parse_shape("n1-standard-4")


def test_tag_architecture() -> None:
    assert tag_architecture("86-1.5") == "ampere86"
    assert tag_architecture("1.5.0") == "ampere80"
    assert tag_architecture("hopper-1.9") == "hopper"
    assert tag_architecture("cpu-arm64-latest") == "cpu-arm64"
    assert tag_architecture("my-build") is None


def test_derived_image_goes_from_ghcr_to_ocir(seed_spec) -> None:
    choice = choose_image(seed_spec)
    assert choice.source == f"{TEI_REGISTRY}:86-1.5"
    assert choice.target == "iad.ocir.io/mytenancy/text-embeddings-inference:86-1.5"
    assert choice.needs_push
    assert choice.warnings == ()


def test_explicit_image_overrides_and_warns_only_where_tei_refuses_to_start(
    make_spec: SpecFactory,
) -> None:
    # The seed's own image: the Ampere-80 build, on an A10 (8.6). TEI's compute_cap_matching
    # accepts (86, 80): it runs; the 86- build is only the one tuned for the A10.
    spec = make_spec(**{"container.tei_version": None, "container.image": f"{TEI_REGISTRY}:1.5.0"})
    choice = choose_image(spec)
    assert choice.source == f"{TEI_REGISTRY}:1.5.0"
    assert choice.target == "iad.ocir.io/mytenancy/text-embeddings-inference:1.5.0"
    assert choice.warnings == ()
    # The Hopper build (9.0) on an A10: TEI refuses to start.
    spec = make_spec(
        **{"container.tei_version": None, "container.image": f"{TEI_REGISTRY}:hopper-1.5"}
    )
    (warning,) = choose_image(spec).warnings
    assert "hopper build but VM.GPU.A10.1 needs the ampere86 build" in warning
    assert "TEI will refuse to start" in warning


def test_explicit_image_matching_the_shape_has_no_warning(make_spec: SpecFactory) -> None:
    spec = make_spec(**{"container.tei_version": None, "container.image": f"{TEI_REGISTRY}:86-1.6"})
    assert choose_image(spec).warnings == ()


def test_explicit_ocir_image_runs_as_is(make_spec: SpecFactory) -> None:
    image = "iad.ocir.io/mytenancy/custom-tei:86-1.5-patched"
    spec = make_spec(
        **{
            "container.tei_version": None,
            "container.image": image,
            "container.ocir_repository": None,
        }
    )
    choice = choose_image(spec)
    assert (choice.source, choice.target, choice.needs_push) == (image, image, False)
    commands = docker_commands(choice)
    assert not any(command.startswith("docker push") for command in commands)
    assert "docker login -u 'mytenancy/<username>' iad.ocir.io" in commands


def test_image_in_another_region_warns(make_spec: SpecFactory) -> None:
    spec = make_spec(
        **{"container.ocir_repository": "ocir.eu-frankfurt-1.oci.oraclecloud.com/mytenancy/tei"}
    )
    assert "OCIR region eu-frankfurt-1" in choose_image(spec).warnings[0]


@pytest.mark.parametrize("host", ["fra.ocir.io"])
def test_image_under_another_regions_key_warns(make_spec: SpecFactory, host: str) -> None:
    # The seed's default is a region key (iad): keys are translated, not skipped.
    spec = make_spec(**{"container.ocir_repository": f"{host.lower()}/mytenancy/tei"})
    (warning,) = choose_image(spec).warnings
    assert "OCIR region fra (eu-frankfurt-1)" in warning
    assert "deployment is in us-ashburn-1" in warning


@pytest.mark.parametrize(
    "repository",
    ["iad.ocir.io/mytenancy/tei", "ocir.us-ashburn-1.oci.oraclecloud.com/mytenancy/tei"],
)
def test_image_in_the_deployments_region_by_key_or_name(
    make_spec: SpecFactory, repository: str
) -> None:
    assert choose_image(make_spec(**{"container.ocir_repository": repository})).warnings == ()


def test_unknown_region_key_warns(make_spec: SpecFactory) -> None:
    spec = make_spec(**{"container.ocir_repository": "zzz.ocir.io/mytenancy/tei"})
    assert "region key 'zzz' is not a region the oci SDK knows" in choose_image(spec).warnings[0]


def test_docker_commands(seed_spec) -> None:
    commands = docker_commands(choose_image(seed_spec), username="jane@example.com")
    target = "iad.ocir.io/mytenancy/text-embeddings-inference:86-1.5"
    assert [c for c in commands if not c.startswith("#")] == [
        "docker login -u 'mytenancy/jane@example.com' iad.ocir.io",
        f"docker pull --platform linux/amd64 {TEI_REGISTRY}:86-1.5",
        f"docker tag {TEI_REGISTRY}:86-1.5 {target}",
        f"docker push {target}",
    ]


def test_ocir_repository_forms() -> None:
    short = parse_ocir_repository("iad.ocir.io/ns/text-embeddings-inference")
    assert (short.host, short.namespace, short.name) == (
        "iad.ocir.io",
        "ns",
        "text-embeddings-inference",
    )
    long = parse_ocir_repository("ocir.us-ashburn-1.oci.oraclecloud.com/ns/team/tei")
    assert (long.region, long.name) == ("us-ashburn-1", "team/tei")
