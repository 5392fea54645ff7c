"""Every knob of the local server, with TEI's defaults, in one frozen dataclass."""

from __future__ import annotations

__all__ = [
    "COMPAT_VERSIONS",
    "DEFAULT_HOSTNAME",
    "DEFAULT_MODEL_NAME",
    "DEFAULT_PORT",
    "DTYPES",
    "POOLINGS",
    "Compat",
    "ServerSettings",
]

import dataclasses
import ipaddress
import os
from dataclasses import dataclass, field
from typing import Final, Literal

from oci_tei_local._secret import Secret

Compat = Literal["1.5", "1.9"]
"""A TEI version whose wire behaviour the server reproduces."""

COMPAT_VERSIONS: Final[tuple[Compat, ...]] = ("1.5", "1.9")
#: The exact TEI release each compat mode mirrors; ``/info`` reports it as ``version``.
TEI_VERSIONS: Final[dict[Compat, str]] = {"1.5": "1.5.0", "1.9": "1.9.3"}

POOLINGS: Final[tuple[str, ...]] = ("cls", "mean", "splade", "last-token")
DTYPES: Final[tuple[str, ...]] = ("float16", "float32")
DEFAULT_HOSTNAME: Final = "127.0.0.1"
DEFAULT_PORT: Final = 8080
#: ``--model-id`` to report when none is given: the model the bundled weights are.
DEFAULT_MODEL_NAME: Final = "sentence-transformers/all-MiniLM-L6-v2"


@dataclass(frozen=True)
class ServerSettings:
    """Configuration of one local TEI-compatible server; names follow TEI's flags.

    Flags that only matter to TEI's GPU/Hub/gRPC machinery (``dense_path``, ``uds_path``,
    ``huggingface_hub_cache``, ``otlp_*``, ``prometheus_port``, ``disable_spans``) are
    accepted so that any deploy command parses, and are logged but otherwise unused.

    Attributes:
        model_id: A local model directory laid out as TEI loads it; ``None`` serves the
            bundled all-MiniLM-L6-v2.
        revision: Reported as ``model_sha`` in ``/info`` (no Hub access here).
        tokenization_workers: Threads that tokenize; ``None`` = cores - 1 (1.9) or cores (1.5).
        dtype: ``float32`` (default on CPU) or ``float16``.
        served_model_name: Name the OpenAI route reports; defaults to ``model_id``.
        pooling: ``cls``, ``mean``, ``splade`` or ``last-token``; ``None`` reads
            ``1_Pooling/config.json``.
        max_concurrent_requests: Permits; each input of a request takes one.
        max_batch_tokens: Token budget of one model batch (counted padded).
        max_batch_requests: Optional cap on the inputs of one model batch.
        max_client_batch_size: Most inputs one request may carry.
        auto_truncate: Truncate over-long inputs by default; ``None`` follows the compat
            version (true in 1.9, false in 1.5).
        default_prompt_name: Key of ``prompts`` in ``config_sentence_transformers.json``
            prepended to every input that names no prompt.
        default_prompt: Literal prompt text prepended likewise.
        dense_path: Accepted, unused (Dense modules are read from ``modules.json``).
        hf_token: Accepted, unused (no Hub access); never shown.
        hostname: IP address to bind; loopback by default.
        port: TCP port; 0 picks a free one.
        uds_path: Accepted, unused.
        huggingface_hub_cache: Accepted, unused.
        payload_limit: Largest request body in bytes (413 above it).
        api_key: Bearer token required on protected routes (401 otherwise); never shown.
        json_output: Log JSON lines instead of text.
        disable_spans: Accepted, unused.
        otlp_endpoint: Accepted and logged; no traces are exported.
        otlp_service_name: Accepted, unused.
        prometheus_port: Accepted, unused (``/metrics`` is served on the main port).
        cors_allow_origin: Allowed CORS origins; ``None`` allows any, as TEI does.
        task: TEI's ``TASK`` environment variable: ``sentence-similarity`` makes ``POST /``
            compute similarities instead of embeddings.
        compat: TEI version whose status codes and wire details to reproduce.
    """

    model_id: str | None = None
    revision: str | None = None
    tokenization_workers: int | None = None
    dtype: str | None = None
    served_model_name: str | None = None
    pooling: str | None = None
    max_concurrent_requests: int = 512
    max_batch_tokens: int = 16384
    max_batch_requests: int | None = None
    max_client_batch_size: int = 32
    auto_truncate: bool | None = None
    default_prompt_name: str | None = None
    default_prompt: str | None = None
    dense_path: str | None = None
    hf_token: Secret | None = field(default=None, repr=False)
    hostname: str = DEFAULT_HOSTNAME
    port: int = DEFAULT_PORT
    uds_path: str = "/tmp/text-embeddings-inference-server"
    huggingface_hub_cache: str | None = None
    payload_limit: int = 2_000_000
    api_key: Secret | None = field(default=None, repr=False)
    json_output: bool = False
    disable_spans: bool = False
    otlp_endpoint: str | None = None
    otlp_service_name: str = "text-embeddings-inference.server"
    prometheus_port: int = 9000
    cors_allow_origin: tuple[str, ...] | None = None
    task: str | None = None
    compat: Compat = "1.9"

    def __post_init__(self) -> None:
        # Plain strings are accepted for convenience and wrapped so they never leak.
        for name in ("api_key", "hf_token"):
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, Secret(value))
        if isinstance(self.cors_allow_origin, list):
            object.__setattr__(self, "cors_allow_origin", tuple(self.cors_allow_origin))
        self._validate()

    def _validate(self) -> None:
        if self.compat not in COMPAT_VERSIONS:
            raise ValueError(f"compat must be one of {', '.join(COMPAT_VERSIONS)}: {self.compat!r}")
        if self.pooling is not None and self.pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {', '.join(POOLINGS)}: {self.pooling!r}")
        if self.dtype is not None and self.dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {', '.join(DTYPES)}: {self.dtype!r}")
        if self.default_prompt is not None and self.default_prompt_name is not None:
            raise ValueError("default_prompt and default_prompt_name cannot be used together")
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port must be within 0..65535: {self.port}")
        for name in ("max_concurrent_requests", "max_batch_tokens", "max_client_batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1: {getattr(self, name)}")
        for name in ("max_batch_requests", "tokenization_workers"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} must be at least 1: {value}")
        if self.payload_limit < 0:
            raise ValueError(f"payload_limit must not be negative: {self.payload_limit}")
        _check_bind_address(self.hostname)

    @property
    def effective_auto_truncate(self) -> bool:
        """``auto_truncate``, or the compat version's default when it is ``None``."""
        if self.auto_truncate is not None:
            return self.auto_truncate
        return self.compat != "1.5"

    @property
    def effective_tokenization_workers(self) -> int:
        """``tokenization_workers``, or TEI's default for this machine."""
        if self.tokenization_workers is not None:
            return self.tokenization_workers
        cores = os.cpu_count() or 1
        return cores if self.compat == "1.5" else min(max(cores - 1, 1), 64)

    @property
    def tei_version(self) -> str:
        """The TEI release reproduced, as ``/info`` reports it."""
        return TEI_VERSIONS[self.compat]

    def replace(self, **changes: object) -> ServerSettings:
        """Return a copy with ``changes`` applied (``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def redacted(self) -> dict[str, object]:
        """All fields, secrets masked: what the server logs at startup."""
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        for name in ("api_key", "hf_token"):
            if values[name] is not None:
                values[name] = "**********"
        return values


def _check_bind_address(hostname: str) -> None:
    """Accept an IP literal or ``localhost``; TEI binds only IP literals."""
    if hostname == "localhost":
        return
    try:
        ipaddress.ip_address(hostname)
    except ValueError:
        raise ValueError(
            f"hostname must be an IP address (or localhost), not {hostname!r}"
        ) from None
