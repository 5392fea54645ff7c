"""What both framework adapters share: settings, a lazily built client, safe pickling.

``langchain_oci_tei.OCITEIEmbeddings`` and ``llama_index_oci_tei.OCITEIEmbedding``
inherit :class:`AdapterBase` next to their framework's base class and only translate
method names. Nothing here imports a framework.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from pydantic import BaseModel, PrivateAttr

from oci_tei.client import EmbeddingClient
from oci_tei.settings import API_KEY_ENV_VAR, EmbeddingSettings

__all__ = ["AdapterBase"]


class AdapterBase(EmbeddingSettings):
    """Settings plus the client they configure, created on first use (no I/O before)."""

    _client: EmbeddingClient | None = PrivateAttr(default=None)
    _client_lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def client(self) -> EmbeddingClient:
        """The shared core client these settings configure."""
        client = self._client
        if client is None:
            with self._client_lock:
                if self._client is None:
                    self._client = EmbeddingClient(self._settings_only())
                client = self._client
        return client

    def _settings_only(self) -> EmbeddingSettings:
        fields = {name: getattr(self, name) for name in EmbeddingSettings.model_fields}
        return EmbeddingSettings.model_construct(**fields)

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
