"""Settings of one emulator instance: network, limits, faults, principals and containers."""

from __future__ import annotations

__all__ = [
    "OCI_CLOCK_SKEW_S",
    "OCI_DEFAULT_BANDWIDTH_MBPS",
    "OCI_MAX_PAYLOAD_BYTES",
    "OCI_PREDICT_TIMEOUT_S",
    "OCI_TENANCY_RPS",
    "EmulatorConfig",
    "FaultConfig",
    "TokenExpiryWindow",
]

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

#: OCI Model Deployment limits (docs: "Invoking a Model Deployment", model-dep-invoke.htm).
OCI_MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
OCI_PREDICT_TIMEOUT_S = 60.0
OCI_TENANCY_RPS = 150.0
OCI_DEFAULT_BANDWIDTH_MBPS = 10.0
#: The demo's project (deploy/demo-minilm-emulator.yaml), which exists from the start.
DEMO_PROJECT = (
    "ocid1.datascienceproject.oc1.iad.aaaaaaaaociteidemo",
    "ocid1.compartment.oc1..aaaaaaaaociteidemo",
)
#: Default page size of every List call: small, so a client that reads one page is caught.
DEFAULT_PAGE_SIZE = 10
#: Signed requests may be this far from the server clock (OCI request signatures, draft-cavage).
OCI_CLOCK_SKEW_S = 300.0


@dataclass(frozen=True)
class FaultConfig:
    """Per-request fault probabilities on the predict gateway; drawn from the emulator's seed.

    Each predict request draws one number; the probabilities are stacked in field order,
    so their sum must not exceed 1.

    Attributes:
        p_429: answer 429 TooManyRequests with a ``Retry-After`` header.
        p_500: answer 500 InternalServerError.
        p_502: answer 502 BadGateway.
        p_503: answer 503 ServiceUnavailable.
        p_504: answer 504 GatewayTimeout.
        p_reset: abort the TCP connection without an answer.
        p_stall: wait ``stall_s`` seconds (beyond a client's timeout), then answer 500.
        stall_s: how long a stalled request waits.
        retry_after_s: the ``Retry-After`` value sent with injected 429s.
    """

    p_429: float = 0.0
    p_500: float = 0.0
    p_502: float = 0.0
    p_503: float = 0.0
    p_504: float = 0.0
    p_reset: float = 0.0
    p_stall: float = 0.0
    stall_s: float = 90.0
    retry_after_s: int = 1

    def __post_init__(self) -> None:
        probabilities = self.probabilities()
        if any(p < 0 or p > 1 for p in probabilities.values()):
            raise ValueError(f"fault probabilities must lie in [0, 1]: {probabilities}")
        if sum(probabilities.values()) > 1 + 1e-9:
            raise ValueError(f"fault probabilities sum to more than 1: {probabilities}")
        if self.stall_s < 0 or self.retry_after_s < 0:
            raise ValueError("stall_s and retry_after_s must not be negative")

    def probabilities(self) -> dict[str, float]:
        """The fault kinds and their probabilities, in the order they are stacked."""
        return {
            "429": self.p_429,
            "500": self.p_500,
            "502": self.p_502,
            "503": self.p_503,
            "504": self.p_504,
            "reset": self.p_reset,
            "stall": self.p_stall,
        }


@dataclass(frozen=True)
class TokenExpiryWindow:
    """While ``start_s <= t < end_s`` (seconds after start), older session tokens are expired.

    Tokens issued before the window opened are reported expired inside it; tokens issued
    since (a refresh) work, which is what lets a client's refresh path be tested.
    """

    start_s: float
    end_s: float = float("inf")

    def __post_init__(self) -> None:
        if self.start_s < 0 or self.end_s <= self.start_s:
            raise ValueError(f"bad token expiry window [{self.start_s}, {self.end_s})")


@dataclass(frozen=True)
class EmulatorConfig:
    """Everything one :class:`~oci_tei_emulator.Emulator` needs; defaults mirror OCI.

    Attributes:
        host: address to bind; loopback only unless you know why.
        port: TCP port; 0 picks a free one (read ``Emulator.url``).
        trusted_public_keys: API-key public keys (PEM text, or paths to PEM files, public or
            private) whose signatures are accepted.
        trust_default_profile: when ``trusted_public_keys`` is empty, trust the key of the
            ``DEFAULT`` profile in ``oci_config_file`` (as ``oci-tei emulate`` does).
        oci_config_file: the OCI config file read for the default profile.
        region: the region reported to principals (IMDS) and in OCIDs.
        tenancy_id: the tenancy of instance and resource principals the emulator issues.
        namespace: the Object Storage namespace.
        rtt_ms: emulated round-trip time added to each predict call.
        bandwidth_mbps: None or 0 turns predict throttling off; otherwise each deployment
            is throttled at its own ``bandwidthMbps`` (request and response bytes), and
            targets registered with ``register_deployment`` at this value.
        bandwidth_backlog_s: a predict call arriving when the bandwidth queue holds more
            than this many seconds of bytes gets 429 (LB bandwidth limit exceeded).
        requests_per_second: tenancy request-rate limit on predict calls; 0 disables it.
        max_payload_bytes: predict bodies above this get 413.
        predict_timeout_s: a container slower than this yields 500.
        clock_skew_s: allowed distance between a request's ``date`` and the clock.
        faults: predict fault injection.
        seed: seeds the fault draws (``random.Random(seed)``).
        token_expiry_windows: scripted windows in which session tokens are expired.
        data_dir: where objects and deployed models live; a fresh temp dir when None.
        container_runner: ``"subprocess"`` runs ``python -m oci_tei_local`` per deployment;
            ``"inprocess"`` runs the server in this process (shares loaded models).
        activation_delay_s: time a deployment spends in CREATING before its container starts.
        container_start_timeout_s: a container not healthy after this makes the deployment FAILED.
        strict: authorize and check as OCI does (:mod:`.tenancy`): IAM policies, compartments,
            projects, OCIR images, service limits, log groups. Off: an open tenancy where
            everything exists and everyone may do everything (the emulator as before).
        ocir_images: images pushed to OCIR, ``<region>.ocir.io/<namespace>/<repo>:<tag>``.
        limits: Data Science service limits, name -> value (``ds-gpu-a10-count``).
        user_groups: the groups every user the emulator trusts belongs to.
        compartments: compartments below the tenancy, name -> OCID.
        logs: OCI Logging logs, ``<log group OCID>/<log OCID>``.
        page_size: items per page of every List call without ``limit`` (tests use 1).
        projects: ``(project OCID, compartment OCID)`` of Data Science projects that exist
            from the start (others are made with CreateProject); creates naming any other
            project get 404.
        ocir_registry: run a real registry (Debian's ``docker-registry``) as this region's
            OCIR: its token realm is the emulator's ``/20180419/docker/token`` and the
            Artifacts API answers from what it holds (``Emulator.ocir_endpoints``).
        ocir_auth_tokens: OCI auth tokens by user name, accepted as basic auth
            ``<namespace>/<user>`` by the OCIR token service (``docker login``'s way).
        shapes: the shapes this region offers model deployments (ListModelDeploymentShapes;
            creates on another get 400); None: every shape of :mod:`oci_tei.contract._shapes`.
        drop_create_answers: the first N CreateModelDeployment calls are carried out but
            their answers are lost (the connection is cut), to test ``opc-retry-token``.
    """

    host: str = "127.0.0.1"
    port: int = 0
    trusted_public_keys: Sequence[str | Path] = ()
    trust_default_profile: bool = True
    oci_config_file: str = "~/.oci/config"
    region: str = "us-ashburn-1"
    tenancy_id: str = "ocid1.tenancy.oc1..aaaaaaaaemulatortenancy"
    namespace: str = "emulatorns"
    rtt_ms: float = 0.0
    bandwidth_mbps: float | None = OCI_DEFAULT_BANDWIDTH_MBPS
    bandwidth_backlog_s: float = 5.0
    requests_per_second: float = OCI_TENANCY_RPS
    max_payload_bytes: int = OCI_MAX_PAYLOAD_BYTES
    predict_timeout_s: float = OCI_PREDICT_TIMEOUT_S
    clock_skew_s: float = OCI_CLOCK_SKEW_S
    faults: FaultConfig = field(default_factory=FaultConfig)
    seed: int = 0
    token_expiry_windows: Sequence[TokenExpiryWindow] = ()
    data_dir: Path | None = None
    container_runner: Literal["subprocess", "inprocess"] = "subprocess"
    activation_delay_s: float = 1.0
    container_start_timeout_s: float = 300.0
    strict: bool = False
    ocir_images: Sequence[str] = ()
    limits: Mapping[str, int] = field(default_factory=dict)
    user_groups: Sequence[str] = ("oci-tei-users",)
    compartments: Mapping[str, str] = field(default_factory=dict)
    logs: Sequence[str] = ()
    page_size: int = DEFAULT_PAGE_SIZE
    projects: Sequence[tuple[str, str]] = (DEMO_PROJECT,)
    drop_create_answers: int = 0
    shapes: Sequence[str] | None = None
    ocir_registry: bool = False
    ocir_auth_tokens: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0 <= self.port < 65536:
            raise ValueError(f"port out of range: {self.port}")
        for name in ("rtt_ms", "bandwidth_backlog_s", "requests_per_second", "activation_delay_s"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.bandwidth_mbps is not None and self.bandwidth_mbps < 0:
            raise ValueError("bandwidth_mbps must not be negative")
        if self.max_payload_bytes <= 0 or self.predict_timeout_s <= 0:
            raise ValueError("max_payload_bytes and predict_timeout_s must be positive")
        if any(value < 0 for value in self.limits.values()):
            raise ValueError(f"limits must not be negative: {dict(self.limits)}")
        if not 1 <= self.page_size <= 1000:
            raise ValueError(f"page_size must lie in 1..1000: {self.page_size}")
        if self.drop_create_answers < 0:
            raise ValueError("drop_create_answers must not be negative")
        if self.container_runner not in ("subprocess", "inprocess"):
            raise ValueError(f"unknown container_runner {self.container_runner!r}")
