"""OCI's rules on what deploy composes from several spec fields, and the spec's warnings.

Offline: the container's command, environment, image and routes checked against
:mod:`oci_tei.contract`; warnings for a bandwidth that caps the shape's throughput and for
GPUs a single TEI process leaves idle.
"""

from __future__ import annotations

from oci_tei.contract._container import (
    check_command,
    check_environment,
    check_http_endpoints,
    check_image,
)
from oci_tei.deploy.spec._bandwidth import (
    max_vectors_per_second,
    recommend_bandwidth_mbps,
    shape_capacity,
)
from oci_tei.deploy.spec._document import DeploySpec
from oci_tei.deploy.spec._image_choice import choose_image
from oci_tei.deploy.spec._shape_names import parse_shape
from oci_tei.deploy.spec._tei_command import INFERENCE_ROUTES, container_env, tei_command

__all__ = ["ASSUMED_DIMENSION", "bandwidth_warnings", "composed_problems", "spec_warnings"]

# bge-base's dimension: the bandwidth advice's default when the spec does not say.
ASSUMED_DIMENSION = 768


def composed_problems(spec: DeploySpec) -> list[tuple[str, str]]:
    """OCI's rules on what deploy composes from several spec fields.

    The container's command (TEI's flags and ``tei.extra_args``), its whole environment,
    its image and its declared routes.
    """
    image = choose_image(spec)
    return [
        *check_command(tei_command(spec), [], "tei.extra_args"),
        *[
            ("container.env", text)
            for field, text in check_environment(container_env(spec), "container.env")
            if field == "container.env"
        ],
        *check_image(
            image.target, "container.image" if spec.container.image else "container.ocir_repository"
        ),
        *check_http_endpoints(
            [{"endpointUriSuffix": route, "httpMethods": ["POST"]} for route in INFERENCE_ROUTES],
            "customHttpEndpoints",
        ),
    ]


def spec_warnings(spec: DeploySpec) -> list[str]:
    """Everything about the spec that deserves a warning: image, bandwidth, shape."""
    return [*choose_image(spec).warnings, *bandwidth_warnings(spec), *_shape_warnings(spec)]


def bandwidth_warnings(spec: DeploySpec) -> list[str]:
    """A warning when ``bandwidth_mbps`` caps throughput below what the shape can embed."""
    infra = spec.infrastructure
    shape = parse_shape(infra.shape)
    per_replica = shape_capacity(shape, ocpus=infra.ocpus)
    if per_replica is None or spec.model.kind == "rerank":
        # The advice sizes vector answers; a reranker answers a few bytes per text.
        return []
    replicas = infra.autoscaling.max_replicas if infra.autoscaling else infra.replicas
    capacity = per_replica * replicas
    dimension = spec.model.dimension or ASSUMED_DIMENSION
    base64_cap = max_vectors_per_second(infra.bandwidth_mbps, dimension, "base64")
    if base64_cap >= capacity:
        return []
    float_cap = max_vectors_per_second(infra.bandwidth_mbps, dimension, "float")
    needed = recommend_bandwidth_mbps(capacity, dimension, "base64")
    assumed = "" if spec.model.dimension else f" (assuming {ASSUMED_DIMENSION}-d vectors)"
    return [
        f"bandwidth_mbps {infra.bandwidth_mbps} caps throughput at ~{base64_cap:.0f} base64 or "
        f"~{float_cap:.0f} float-JSON vectors/s{assumed}, below the ~{capacity:.0f}/s "
        f"{replicas} x {shape.name} can embed (base-size model, 256-token inputs); "
        f"set bandwidth_mbps to ~{needed} to use the hardware (oci-tei bandwidth --help)"
    ]


def _shape_warnings(spec: DeploySpec) -> list[str]:
    shape = parse_shape(spec.infrastructure.shape)
    if shape.gpu_count > 1:
        return [
            f"{shape.name} has {shape.gpu_count} GPUs but one TEI process uses one GPU: "
            f"{shape.gpu_count - 1} stay idle; prefer more replicas of a 1-GPU shape"
        ]
    return []
