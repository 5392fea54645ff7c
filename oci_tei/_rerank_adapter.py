"""The rerank adapters' base: rerank settings plus the client they configure.

Apart from ``oci_tei._adapters`` so that ``from langchain_oci_tei import OCITEIEmbeddings``
does not import the rerank client or build its settings model.
"""

from __future__ import annotations

from typing import ClassVar

from oci_tei._adapters import ClientOwner
from oci_tei._client import EngineClient
from oci_tei._rerank import RerankClient, RerankSettings
from oci_tei._settings import ClientSettings

__all__ = ["RerankAdapterBase"]


class RerankAdapterBase(ClientOwner[RerankClient], RerankSettings):
    """Rerank settings plus the ``RerankClient`` they configure."""

    _settings_class: ClassVar[type[ClientSettings]] = RerankSettings
    _client_class: ClassVar[type[EngineClient]] = RerankClient
