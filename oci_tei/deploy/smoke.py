"""Step 6: one signed embedding call through the package's own client."""

from __future__ import annotations

from oci_tei.deploy.errors import DeployError
from oci_tei.deploy.session import DeploySession

__all__ = ["SMOKE_TEST_TEXT", "smoke_test"]

SMOKE_TEST_TEXT = "The car sped down the highway at an incredible speed."


def smoke_test(session: DeploySession, endpoint: str) -> int:
    """Embed one sentence at ``endpoint`` with the session's identity; returns the dimension.

    Raises:
        DeployError: The call failed or did not return one vector.
    """
    from oci_tei.client import EmbeddingClient

    auth = session.connection.auth
    try:
        with EmbeddingClient(
            endpoint=endpoint,
            auth=auth.auth_type,
            profile=auth.profile,
            config_file=auth.config_file,
        ) as client:
            vectors = client.embed([SMOKE_TEST_TEXT])
    except Exception as exc:
        raise DeployError(
            f"the deployment is ACTIVE but embedding failed: {exc}", step="smoke_test"
        ) from exc
    if len(vectors) != 1 or not vectors[0]:
        raise DeployError(f"expected one vector, got {len(vectors)}", step="smoke_test")
    return len(vectors[0])
