"""What the framework adapters share: settings, a lazily built client, safe pickling.

``langchain_oci_tei`` and ``llama_index_oci_tei`` classes inherit ``AdapterBase``
(embeddings) or ``oci_tei._rerank_adapter.RerankAdapterBase`` (reranking, a module of its
own so that importing an embeddings adapter does not build the rerank models) next to
their framework's base class and only translate method names. Nothing here imports a
framework.
"""

from __future__ import annotations

import os
import threading
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, PrivateAttr

from oci_tei._client import EmbeddingClient, EngineClient
from oci_tei._settings import API_KEY_ENV_VAR, ClientSettings, EmbeddingSettings

__all__ = ["AdapterBase", "ClientOwner"]

_Client = TypeVar("_Client", bound=EngineClient)


class ClientOwner(ClientSettings, Generic[_Client]):
    """Settings plus the client they configure, created on first use (no I/O before).

    A subclass names its settings class and client class; the client is built from the
    settings' fields only, so framework fields never reach the core.
    """

    _settings_class: ClassVar[type[ClientSettings]]
    _client_class: ClassVar[type[EngineClient]]
    _client: Any = PrivateAttr(default=None)
    _client_lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def client(self) -> _Client:
        """The shared core client these settings configure."""
        client = self._client
        if client is None:
            with self._client_lock:
                if self._client is None:
                    self._client = self._client_class(self._settings_only())
                client = self._client
        return client  # type: ignore[no-any-return]

    def _settings_only(self) -> ClientSettings:
        cls = self._settings_class
        fields = {name: getattr(self, name) for name in cls.model_fields}
        return cls.model_construct(**fields)

    def close(self) -> None:
        """Release connections and worker threads."""
        if self._client is not None:
            self._client.close()

    def __getstate__(self) -> dict[Any, Any]:
        # Only what rebuilds the same client travels: explicit signers become the identity
        # that rebuilds them, the Bearer key stays behind (read from the environment on
        # the other side), and connections, threads and locks are recreated there.
        state = BaseModel.__getstate__(self)
        fields = self.picklable_fields(
            state["__dict__"], self._client.signer if self._client else None
        )
        if self.api_key is not None:
            if os.environ.get(API_KEY_ENV_VAR) != self.api_key.get_secret_value():
                raise TypeError(
                    f"api_key is a secret and is not pickled: set {API_KEY_ENV_VAR} in the "
                    "environment so that other processes read the same key"
                )
            fields["api_key"] = None
        state["__dict__"] = fields
        state["__pydantic_private__"] = None
        return state

    def __setstate__(self, state: dict[Any, Any]) -> None:
        fields = dict(state["__dict__"])
        if fields.get("api_key") is None and os.environ.get(API_KEY_ENV_VAR):
            fields["api_key"] = os.environ[API_KEY_ENV_VAR]
        # Re-run validation and initialise private attributes as a fresh instance would.
        type(self).__init__(self, **fields)


class AdapterBase(ClientOwner[EmbeddingClient], EmbeddingSettings):
    """Embedding settings plus the ``EmbeddingClient`` they configure."""

    _settings_class: ClassVar[type[ClientSettings]] = EmbeddingSettings
    _client_class: ClassVar[type[EngineClient]] = EmbeddingClient
