"""The deploy spec: what to deploy, validated offline, and everything computed from it.

The modules, in the order a deploy uses them:

* ``_interpolate`` — ``${VAR}`` / ``${VAR:-default}`` in the YAML.
* ``_document`` — the spec model (pydantic), :func:`load_spec`, validation with
  field-named errors (:class:`~oci_tei.deploy.SpecError`); OCI's own rules come from
  :mod:`oci_tei.contract`.
* ``_shape_names`` — what a shape's name says (GPU model and count, CPU or ARM).
* ``_image_tags`` and ``_image_choice`` — shape -> TEI image tag, the OCIR target,
  ``docker`` commands.
* ``_tei_command`` — the container's TEI command line, environment, routes.
* ``_naming`` — display name and description.
* ``_client_options`` — the client batch and payload settings that fit the spec's TEI.
* ``_bandwidth`` — load-balancer bandwidth advice and shape capacity.
* ``_composed`` — OCI's rules on what several fields compose, and the spec's warnings.
* ``_ads_resources`` — the oracle-ads objects, as the seed builds them. It imports
  oracle-ads (seconds), so it is NOT re-exported here: import it where it is used.

Adding a spec field: declare it on the pydantic model in ``_document`` (validation and the
spec hash follow), compute what a step needs from it in the module it belongs to, and let
the step's ``describe`` show it in the plan (:mod:`oci_tei.deploy.steps`).
"""

from __future__ import annotations

from oci_tei.deploy.spec._bandwidth import (
    DEFAULT_BANDWIDTH_MBPS,
    Encoding,
    TrafficModel,
    bytes_per_vector,
    max_vectors_per_second,
    recommend_bandwidth_mbps,
    shape_capacity,
)
from oci_tei.deploy.spec._client_options import (
    OCI_MAX_BODY_BYTES,
    TEI_DEFAULT_BATCH,
    TEI_DEFAULT_PAYLOAD,
    TEI_DEFAULT_PERMITS,
    client_options,
)
from oci_tei.deploy.spec._composed import (
    ASSUMED_DIMENSION,
    bandwidth_warnings,
    composed_problems,
    spec_warnings,
)
from oci_tei.deploy.spec._document import (
    ARTIFACT_TAG,
    MANAGED_ENV,
    OWNER_TAG,
    SPEC_HASH_TAG,
    ArtifactLocation,
    Autoscaling,
    Container,
    DeploySpec,
    Infrastructure,
    Logs,
    LogTarget,
    ModelSource,
    TEIOptions,
    load_spec,
    parse_spec,
)
from oci_tei.deploy.spec._image_choice import (
    ImageChoice,
    choose_image,
    docker_commands,
    region_mismatch,
)
from oci_tei.deploy.spec._image_tags import (
    TEI_REGISTRY,
    expected_architecture,
    tag_architecture,
    tei_image_tag,
    tei_start_refusal,
    unsupported_reason,
)
from oci_tei.deploy.spec._interpolate import interpolate
from oci_tei.deploy.spec._naming import deployment_description, deployment_display_name
from oci_tei.deploy.spec._shape_names import Shape, parse_shape
from oci_tei.deploy.spec._tei_command import (
    INFERENCE_ROUTES,
    MODEL_MOUNT,
    PREDICT_ROUTE,
    PREDICT_ROUTES,
    SERVER_PORT,
    container_env,
    model_path_in_container,
    predict_route,
    tei_command,
)

__all__ = [
    "ARTIFACT_TAG",
    "ASSUMED_DIMENSION",
    "DEFAULT_BANDWIDTH_MBPS",
    "INFERENCE_ROUTES",
    "MANAGED_ENV",
    "MODEL_MOUNT",
    "OCI_MAX_BODY_BYTES",
    "OWNER_TAG",
    "PREDICT_ROUTE",
    "PREDICT_ROUTES",
    "SERVER_PORT",
    "SPEC_HASH_TAG",
    "TEI_DEFAULT_BATCH",
    "TEI_DEFAULT_PAYLOAD",
    "TEI_DEFAULT_PERMITS",
    "TEI_REGISTRY",
    "ArtifactLocation",
    "Autoscaling",
    "Container",
    "DeploySpec",
    "Encoding",
    "ImageChoice",
    "Infrastructure",
    "LogTarget",
    "Logs",
    "ModelSource",
    "Shape",
    "TEIOptions",
    "TrafficModel",
    "bandwidth_warnings",
    "bytes_per_vector",
    "choose_image",
    "client_options",
    "composed_problems",
    "container_env",
    "deployment_description",
    "deployment_display_name",
    "docker_commands",
    "expected_architecture",
    "interpolate",
    "load_spec",
    "max_vectors_per_second",
    "model_path_in_container",
    "parse_shape",
    "parse_spec",
    "predict_route",
    "recommend_bandwidth_mbps",
    "region_mismatch",
    "shape_capacity",
    "spec_warnings",
    "tag_architecture",
    "tei_command",
    "tei_image_tag",
    "tei_start_refusal",
    "unsupported_reason",
]
