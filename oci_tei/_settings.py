"""The user-facing options of the clients, defined once for every front end.

``ClientSettings`` holds what every client needs (where, as whom, how hard to push);
``EmbeddingSettings`` adds the embedding fields and ``oci_tei.RerankSettings`` the
reranking ones. They are pydantic models: the LangChain and LlamaIndex classes inherit
them (both frameworks are pydantic-based), so each option, its default, its validation
and its documentation exist in exactly one place. Validation does no I/O.

Secrets stay out of every serialized form: ``api_key`` is a ``SecretStr``; ``auth``
(which may hold a signer with a private key) is excluded from dumps and ``repr``; and
pickling replaces an explicit signer with the identity that rebuilds it (see
``oci_tei._auth``), so worker processes sign as the same principal without receiving keys.
"""

from __future__ import annotations

import os
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_serializer, model_validator

from oci_tei._auth import AuthSpec, RequestSigner, auth_from_arguments
from oci_tei._endpoint import ENDPOINT_ENV_VAR, OPENAI_ROUTE, Endpoint, parse_endpoint
from oci_tei._protocol import RequestOptions, route_style

__all__ = ["API_KEY_ENV_VAR", "ClientSettings", "EmbeddingSettings"]

API_KEY_ENV_VAR = "OCI_TEI_API_KEY"


class ClientSettings(BaseModel):
    """Where requests go, as whom, and how hard to push: shared by every client."""

    model_config = ConfigDict(
        arbitrary_types_allowed=True, use_attribute_docstrings=True, populate_by_name=True
    )

    endpoint: str | None = None
    """A Model Deployment predict URL, a Model Deployment OCID, or a plain TEI URL
    (``http://host:port``). Defaults to the ``OCI_TEI_ENDPOINT`` environment variable."""

    region: str | None = None
    """Region of an OCID endpoint; by default read from the OCID itself."""

    route: str | None = None
    """Container route: sent as OCI's ``route`` header to a deployment, used as the path
    of a plain TEI URL. For embeddings ``/embed`` enables ``normalize``/``truncate``.
    Default: the deployment's ``MODEL_DEPLOY_PREDICT_ENDPOINT`` (for a plain TEI,
    ``/v1/embeddings`` when embedding, ``/rerank`` when reranking)."""

    auth: Any = Field(default=None, exclude=True, repr=False)
    """``"api_key"``, ``"security_token"``, ``"resource_principal"``,
    ``"instance_principal"``, an ``oci`` signer, an oracle-ads auth dict
    (``{"signer": ...}``), or ``None`` to choose automatically."""

    profile: str | None = None
    """Profile in the OCI config file (``api_key`` and ``security_token`` auth)."""

    config_file: str | None = None
    """OCI config file (default ``~/.oci/config``)."""

    auth_kwargs: dict[str, str] = Field(default_factory=dict)
    """Extra keyword arguments for the SDK signer, e.g. ``federation_endpoint``."""

    api_key: SecretStr | None = None
    """Bearer key of a plain TEI started with ``--api-key`` (env ``OCI_TEI_API_KEY``)."""

    batch_size: int = Field(default=32, ge=1, le=4096)
    """Inputs per request. Capped by a plain TEI's ``max_client_batch_size`` and lowered
    automatically when a server reports a smaller limit."""

    max_concurrency: int = Field(default=8, ge=1, le=256)
    """Requests in flight at once per client, all callers together: threads, tasks on any
    number of event loops, or both share one bound. Kept so that in-flight inputs stay
    under TEI's 512 concurrency permits."""

    max_retries: int = Field(default=5, ge=0)
    """Retries on 429/5xx/connection errors/timeouts; 0 disables retrying."""

    timeout: float = Field(default=60.0, gt=0)
    """Seconds per attempt (OCI ends calls at 60 s)."""

    retry_deadline: float = Field(default=300.0, gt=0)
    """Seconds one batch may spend across attempts and backoff."""

    retry_backoff: float = Field(default=0.5, gt=0)
    """Ceiling of the first backoff in seconds; it doubles per retry, up to 30 s, and each
    wait is drawn at random below it (full jitter). A server's Retry-After wins."""

    max_request_bytes: int = Field(default=2_000_000, ge=1024)
    """Largest request body: TEI's default payload limit (OCI allows 10 MB)."""

    server_permits: int = Field(default=512, ge=1)
    """TEI's ``--max-concurrent-requests``: the permits a server grants, one per input in
    flight (TEI's default 512). ``max_concurrency`` is lowered so that ``batch_size`` x
    ``max_concurrency`` stays within them; raise both on a server deployed with larger
    batches (``oci-tei deploy`` prints the values that fit its spec)."""

    max_requests_per_second: float | None = Field(default=None, gt=0)
    """Start at most this many requests per second, across every thread and event loop
    of the client: a share of OCI's 150 requests/s per tenancy left to other work. None
    (default): no limit; 429s back off either way."""

    show_progress: bool = False
    """Show a tqdm progress bar for multi-batch calls."""

    #: The route a plain TEI URL without one is called on.
    _default_route: ClassVar[str] = OPENAI_ROUTE

    @model_validator(mode="before")
    @classmethod
    def _from_environment(cls, values: Any) -> Any:
        # Read the environment at construction so the instance is self-contained.
        if isinstance(values, dict):
            if values.get("endpoint") is None and os.environ.get(ENDPOINT_ENV_VAR):
                values = {**values, "endpoint": os.environ[ENDPOINT_ENV_VAR]}
            if values.get("api_key") is None and os.environ.get(API_KEY_ENV_VAR):
                values = {**values, "api_key": os.environ[API_KEY_ENV_VAR]}
        return values

    @field_serializer("api_key")
    def _never_dump_api_key(self, _: SecretStr | None) -> None:
        # Serialized settings (to_dict, to_json, model_dump) never carry the key; a
        # deserialized instance reads it from OCI_TEI_API_KEY again.
        return None

    @model_validator(mode="after")
    def _check_connection(self) -> ClientSettings:
        # Fail at construction, not on the first request: all of this is offline.
        if self.endpoint is not None:
            endpoint = self.parsed_endpoint()
            if endpoint.signed and self.api_key is not None:
                raise ValueError(
                    "api_key is for plain TEI servers; a Model Deployment is called with "
                    "OCI request signing (auth=...)"
                )
        auth_from_arguments(self.auth, profile=self.profile, config_file=self.config_file)
        return self

    def parsed_endpoint(self) -> Endpoint:
        """The endpoint, classified (no I/O)."""
        return parse_endpoint(
            self.endpoint, region=self.region, route=self.route, default_route=self._default_route
        )

    def request_signer(self) -> RequestSigner:
        """A signer for this identity; builds nothing until the first request."""
        spec, signer = auth_from_arguments(
            self.auth, profile=self.profile, config_file=self.config_file
        )
        spec = AuthSpec(
            spec.auth_type, spec.profile, spec.config_file, tuple(self.auth_kwargs.items())
        )
        return RequestSigner(spec, signer)

    def picklable_fields(
        self, fields: dict[str, Any], signer: RequestSigner | None
    ) -> dict[str, Any]:
        """``fields`` with an explicit signer replaced by the identity that rebuilds it.

        Raises:
            TypeError: The signer is a key-based object that cannot be rebuilt elsewhere.
        """
        current = signer or self.request_signer()
        spec = current.portable_spec()
        return {
            **fields,
            "auth": spec.auth_type,
            "profile": spec.profile,
            "config_file": spec.config_file,
        }


class EmbeddingSettings(ClientSettings):
    """Where to embed, as whom, and how hard to push."""

    model: str | None = None
    """Model name sent in OpenAI-style requests (TEI ignores it; kept for logs)."""

    encoding_format: Literal["base64", "float"] = "base64"
    """How vectors travel: base64 (little-endian float32, under half the bytes of JSON
    floats) or float. Servers answering floats either way are handled."""

    dimensions: int | None = Field(default=None, ge=1)
    """Shorten vectors to this many dimensions (TEI 1.8+, Matryoshka models)."""

    normalize: bool | None = None
    """TEI's native ``/embed`` only: whether vectors are L2-normalized."""

    truncate: bool | None = None
    """TEI's native ``/embed`` only: truncate long inputs instead of failing."""

    truncation_direction: Literal["left", "right"] | None = None
    """TEI's native ``/embed`` only: which end to cut when truncating."""

    query_instruction: str | None = None
    """Prepended to queries, e.g. bge's "Represent this sentence for searching relevant
    passages: "."""

    document_instruction: str | None = None
    """Prepended to documents."""

    @model_validator(mode="after")
    def _check_request_options(self) -> EmbeddingSettings:
        self.request_options()
        return self

    def request_options(self) -> RequestOptions:
        """Per-request fields for the configured route."""
        return RequestOptions(
            style=route_style(self.route),
            encoding_format=self.encoding_format,
            dimensions=self.dimensions,
            normalize=self.normalize,
            truncate=self.truncate,
            truncation_direction=self.truncation_direction,
            model=self.model,
        )
