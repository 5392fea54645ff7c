"""What ``oci-tei deploy`` will do for a spec, step by step, with each step's inputs.

The plan is pure data computed from the spec alone, so ``--dry-run`` prints it without
credentials or network, and the executor runs the same steps in the same order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from oci_tei.contract._container import (
    check_command,
    check_environment,
    check_http_endpoints,
    check_image,
)
from oci_tei.deploy.bandwidth import (
    max_vectors_per_second,
    recommend_bandwidth_mbps,
    shape_capacity,
)
from oci_tei.deploy.container import (
    INFERENCE_ROUTES,
    container_env,
    model_path_in_container,
    predict_route,
    tei_command,
)
from oci_tei.deploy.download import TEI_FILE_PATTERNS
from oci_tei.deploy.errors import SpecError
from oci_tei.deploy.images import ImageChoice, choose_image
from oci_tei.deploy.naming import deployment_display_name
from oci_tei.deploy.shapes import parse_shape
from oci_tei.deploy.spec import DeploySpec

__all__ = [
    "ASSUMED_DIMENSION",
    "DEFAULT_WAIT_TIMEOUT_S",
    "STEP_KEYS",
    "Plan",
    "Step",
    "bandwidth_warnings",
    "build_plan",
    "composed_problems",
]

STEP_KEYS = ("download", "upload", "model", "deployment", "wait", "smoke_test")
# GPU deployments usually turn ACTIVE in 10 to 25 minutes.
DEFAULT_WAIT_TIMEOUT_S = 45 * 60
# bge-base's dimension: the bandwidth advice's default when the spec does not say.
ASSUMED_DIMENSION = 768


@dataclass(frozen=True)
class Step:
    """One step of the plan.

    Attributes:
        key: One of ``STEP_KEYS``.
        title: What the step does, in words.
        inputs: The concrete values it uses, in display order.
    """

    key: str
    title: str
    inputs: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    """The ordered steps for a spec, the image they deploy and what deserves a warning."""

    spec: DeploySpec
    image: ImageChoice
    steps: tuple[Step, ...]
    warnings: tuple[str, ...]

    def step(self, key: str) -> Step:
        """The step named ``key``."""
        return next(step for step in self.steps if step.key == key)

    def render(self) -> str:
        """The plan as text for the terminal."""
        lines = [f"Plan for {self.spec.name} (spec hash {self.spec.spec_hash()}):"]
        for number, step in enumerate(self.steps, start=1):
            lines.append(f"  {number}. [{step.key}] {step.title}")
            for name, value in step.inputs.items():
                lines.append(f"       {name}: {_show(value)}")
        if self.warnings:
            lines.append("Warnings:")
            lines += [f"  - {warning}" for warning in self.warnings]
        return "\n".join(lines)


def _show(value: object) -> str:
    if isinstance(value, list | tuple):
        return " ".join(str(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{key}={item}" for key, item in value.items()) or "-"
    return str(value)


def build_plan(spec: DeploySpec, *, wait_timeout_s: int = DEFAULT_WAIT_TIMEOUT_S) -> Plan:
    """Compute the plan for a validated spec (no I/O).

    Raises:
        SpecError: What the spec composes breaks an OCI rule (:func:`composed_problems`).
    """
    problems = composed_problems(spec)
    if problems:
        raise SpecError(problems)
    image = choose_image(spec)
    steps = (
        _download_step(spec),
        _upload_step(spec),
        _model_step(spec),
        _deployment_step(spec, image),
        Step(
            "wait",
            "Wait until the deployment is ACTIVE, showing work-request progress and errors",
            {"timeout": f"{wait_timeout_s // 60} min", "fails on": "FAILED (with its reason)"},
        ),
        _smoke_step(spec),
    )
    warnings = [*image.warnings, *bandwidth_warnings(spec), *_shape_warnings(spec)]
    return Plan(spec=spec, image=image, steps=steps, warnings=tuple(warnings))


def _smoke_step(spec: DeploySpec) -> Step:
    if spec.model.kind == "rerank":
        return Step(
            "smoke_test",
            "Rerank two texts against a query through the signed predict endpoint",
            {
                "request": 'POST <deployment url>/predict {"query": "...", "texts": ["...", "..."]}',
                "container route": predict_route(spec),
                "expects": "one score per text",
            },
        )
    return Step(
        "smoke_test",
        "Embed one sentence through the signed predict endpoint",
        {
            "request": 'POST <deployment url>/predict {"input": ["..."]}',
            "container route": predict_route(spec),
            "expects": f"one vector of dimension {spec.model.dimension or 'the model'}",
        },
    )


def _download_step(spec: DeploySpec) -> Step:
    model = spec.model
    if model.id:
        return Step(
            "download",
            "Download the files TEI needs from the Hugging Face Hub (cached)",
            {
                "model": model.id,
                "revision": model.revision or "main",
                "files": list(TEI_FILE_PATTERNS),
                "token": "HF_TOKEN from the environment, if set (gated models)",
            },
        )
    where = f"package {model.package} (its MODEL_DIR)" if model.package else model.path
    return Step("download", "Use the local model directory", {"directory": where})


def _upload_step(spec: DeploySpec) -> Step:
    artifact = spec.artifact
    return Step(
        "upload",
        "Upload to Object Storage (UploadManager, multipart, MD5-verified)",
        {
            "bucket": artifact.bucket,
            "namespace": artifact.namespace,
            "prefix": f"{artifact.prefix}/",
            "files": "those TEI needs (the download step's list)",
            "bucket must be": "versioned"
            + (" (created versioned if missing)" if artifact.create_bucket else ""),
            "existing objects": "identical ones skipped; different content refused, never overwritten",
        },
    )


def _model_step(spec: DeploySpec) -> Step:
    return Step(
        "model",
        "Create the model by reference (oracle-ads DataScienceModel), or reuse ours",
        {
            "compartment_id": spec.compartment_id,
            "project_id": spec.project_id,
            "display_name": spec.model.label,
            "artifact": spec.artifact.uri,
            "model_by_reference": True,
            "freeform_tags": spec.model_tags(),
        },
    )


def _deployment_step(spec: DeploySpec, image: ImageChoice) -> Step:
    infra = spec.infrastructure
    inputs: dict[str, object] = {
        "display_name": deployment_display_name(spec),
        "shape": infra.shape,
    }
    if infra.ocpus is not None:
        inputs["shape config"] = f"{infra.ocpus:g} OCPUs, {infra.memory_in_gbs:g} GB"
    inputs["image"] = image.target
    if image.needs_push:
        inputs["image source"] = f"{image.source} (push it first: oci-tei image SPEC)"
    if infra.autoscaling is not None:
        scaling = infra.autoscaling
        unit = {"predict_request_count": "/min", "predict_latency": " ms"}.get(scaling.metric, "%")
        rule = (
            "the queries in the spec"
            if scaling.metric == "custom"
            else f"{scaling.scale_in_threshold}{unit}..{scaling.scale_out_threshold}{unit}"
        )
        inputs["replicas"] = (
            f"{infra.replicas} initially, autoscaling {scaling.min_replicas}..{scaling.max_replicas} "
            f"on {scaling.metric} ({rule})"
        )
    else:
        inputs["replicas"] = infra.replicas
    inputs["bandwidth_mbps"] = infra.bandwidth_mbps
    if infra.private_endpoint_id is not None:
        inputs["private endpoint"] = (
            f"{infra.private_endpoint_id} (predict on its private FQDN only)"
        )
    if infra.subnet_id is not None:
        inputs["subnet"] = f"{infra.subnet_id} ({infra.access_type})"
    if infra.web_concurrency is not None:
        inputs["web_concurrency"] = infra.web_concurrency
    for kind in ("access", "predict"):
        log = getattr(spec.logs, kind)
        if log is not None:
            inputs[f"{kind} log"] = f"{log.log_id} (group {log.log_group_id})"
    inputs["model path"] = model_path_in_container(spec)
    inputs["cmd"] = tei_command(spec)
    inputs["env"] = container_env(spec)
    inputs["ports"] = f"server {spec.container.port}, health {spec.container.port}"
    inputs["custom http endpoints"] = ", ".join(f"POST {route}" for route in INFERENCE_ROUTES)
    inputs["mode"] = "HTTPS_ONLY"
    inputs["freeform_tags"] = {**spec.freeform_tags, **spec.ownership_tags()}
    return Step(
        "deployment",
        "Create the model deployment (oracle-ads ModelDeployment), or resume ours",
        inputs,
    )


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
