"""What every route handler needs, stored once on the aiohttp application."""

from __future__ import annotations

__all__ = ["STATE", "ServerState"]

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from oci_tei_local._backend import Backend
from oci_tei_local._infer import Infer
from oci_tei_local._metrics import Metrics
from oci_tei_local._settings import Compat, ServerSettings


@dataclass
class ServerState:
    """One server's configuration and machinery.

    Attributes:
        settings: The server's settings.
        backend: The model.
        infer: The inference pipeline.
        metrics: TEI metrics.
        info: The ``/info`` document.
        served_model_name: Name the OpenAI route reports.
    """

    settings: ServerSettings
    backend: Backend
    infer: Infer
    metrics: Metrics
    info: dict[str, Any]
    served_model_name: str

    @property
    def compat(self) -> Compat:
        """TEI version reproduced."""
        return self.settings.compat


STATE = web.AppKey("oci_tei_state", ServerState)
