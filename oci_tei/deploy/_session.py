"""What every step that calls OCI shares: the identity, the SDK clients, the wait's pacing.

A :class:`DeploySession` is built once per command and handed to each step module
(:mod:`~oci_tei.deploy.steps._model`, :mod:`~oci_tei.deploy.steps._deployment`, the management commands
in :mod:`~oci_tei.deploy.manage`...), so no step builds its own clients or configures
oracle-ads twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from oci_tei.deploy._connection import Connection
from oci_tei.deploy._errors import DeployError
from oci_tei.deploy.spec import DeploySpec

__all__ = ["DeploySession", "backoff", "list_all"]

_FIRST_POLL_S = 1.0


@dataclass
class DeploySession:
    """Identity, endpoint, output and pacing of one deploy or management command.

    Attributes:
        connection: Identity and endpoint; applied to oracle-ads on first use.
        echo: Where progress lines go.
        poll_interval_s: Longest pause between polls while waiting (polls start at 1 s
            and back off to it).
        sleep: Injected for tests.
        clock: Injected for tests.
    """

    connection: Connection
    echo: Callable[[str], None] = print
    poll_interval_s: float = 10.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    _configured: bool = field(default=False, repr=False)

    def configure(self) -> None:
        """Point oracle-ads at this connection (once)."""
        if not self._configured:
            self.connection.configure_ads()
            self._configured = True

    def _credentials_error(self, exc: Exception) -> DeployError:
        return DeployError(
            f"cannot load OCI credentials ({self.connection.auth.describe()}): {exc}",
            step="preflight",
        )

    def _client(self, client_class: Any, region: str | None) -> Any:
        self.configure()
        try:
            return self.connection.client(client_class, region=region)
        except Exception as exc:  # the SDK's config errors: missing file, profile, key
            raise self._credentials_error(exc) from exc

    def client(self, client_class: Any, region: str | None = None) -> Any:
        """Any oci SDK client (Identity, Artifacts, Limits, Logging...) for this connection."""
        return self._client(client_class, region)

    def data_science(self, region: str | None = None) -> Any:
        """An ``oci.data_science.DataScienceClient`` for this connection."""
        import oci

        return self._client(oci.data_science.DataScienceClient, region)

    def object_storage(self, region: str | None = None) -> Any:
        """An ``oci.object_storage.ObjectStorageClient`` for this connection."""
        import oci

        return self._client(oci.object_storage.ObjectStorageClient, region)

    def check_region(self, spec: DeploySpec) -> None:
        """Refuse when oracle-ads would create resources outside the spec's region."""
        self.configure()
        if self.connection.service_endpoint:
            return
        try:
            configured = self.connection.configured_region()
        except Exception as exc:  # the SDK's config errors: missing file, profile, key
            raise self._credentials_error(exc) from exc
        if configured and configured != spec.region:
            raise DeployError(
                f"your OCI identity targets region {configured} but the spec deploys to "
                f"{spec.region}: use a profile for {spec.region}",
                step="preflight",
            )


def list_all(list_call: Callable[..., Any], *args: Any, **kwargs: Any) -> list[Any]:
    """Every item of an oci SDK List call: the SDK's pagination helper follows ``opc-next-page``.

    OCI pages every List; reading only ``.data`` of the first answer loses the rest.
    """
    import oci

    return list(oci.pagination.list_call_get_all_results(list_call, *args, **kwargs).data)


def backoff(cap_s: float) -> Iterator[float]:
    """Poll intervals: 1, 2, 4... seconds, then ``cap_s`` forever (never above it)."""
    delay = min(_FIRST_POLL_S, cap_s)
    while True:
        yield delay
        delay = min(delay * 2, cap_s)
