"""Step 6: one signed call through the package's own client, by the model's kind."""

from __future__ import annotations

from dataclasses import dataclass

from oci_tei.deploy._errors import DeployError
from oci_tei.deploy._session import DeploySession
from oci_tei.deploy.spec import DeploySpec, predict_route
from oci_tei.deploy.steps._step import DeployRun, PlannedStep, RunOptions, Step

__all__ = [
    "SMOKE_TEST_QUERY",
    "SMOKE_TEST_TEXT",
    "SmokeResult",
    "SmokeTest",
    "smoke_test",
]

SMOKE_TEST_TEXT = "The car sped down the highway at an incredible speed."
SMOKE_TEST_QUERY = "How fast was the car?"
_SMOKE_TEST_OTHER = "Bread dough rises slowly in a warm kitchen."


@dataclass(frozen=True)
class SmokeResult:
    """What the smoke call saw.

    Attributes:
        summary: One line for the console.
        dimension: The vector dimension (embedding models only).
    """

    summary: str
    dimension: int | None = None


def smoke_test(session: DeploySession, endpoint: str, kind: str = "embedding") -> SmokeResult:
    """Embed one sentence, or rerank two texts, at ``endpoint`` with the session's identity.

    Raises:
        DeployError: The call failed or did not return one result per input.
    """
    auth = session.connection.auth
    options = {"auth": auth.auth_type, "profile": auth.profile, "config_file": auth.config_file}
    try:
        if kind == "rerank":
            return _rerank(endpoint, options)
        return _embed(endpoint, options)
    except DeployError:
        raise
    except Exception as exc:
        action = "reranking" if kind == "rerank" else "embedding"
        raise DeployError(
            f"the deployment is ACTIVE but {action} failed: {exc}", step="smoke_test"
        ) from exc


def _embed(endpoint: str, options: dict[str, str | None]) -> SmokeResult:
    from oci_tei._client import EmbeddingClient

    with EmbeddingClient(endpoint=endpoint, **options) as client:
        vectors = client.embed([SMOKE_TEST_TEXT])
    if len(vectors) != 1 or not vectors[0]:
        raise DeployError(f"expected one vector, got {len(vectors)}", step="smoke_test")
    dimension = len(vectors[0])
    return SmokeResult(f"one vector of dimension {dimension}", dimension)


def _rerank(endpoint: str, options: dict[str, str | None]) -> SmokeResult:
    from oci_tei._rerank import RerankClient

    with RerankClient(endpoint=endpoint, **options) as client:
        results = client.rerank(SMOKE_TEST_QUERY, [SMOKE_TEST_TEXT, _SMOKE_TEST_OTHER])
    if len(results) != 2:
        raise DeployError(f"expected two scores, got {len(results)}", step="smoke_test")
    scores = ", ".join(f"{r.score:.3f}" for r in sorted(results, key=lambda r: r.index))
    return SmokeResult(f"two texts scored ({scores})")


class SmokeTest(Step):
    """One signed call through the endpoint, by the model's kind."""

    key = "smoke_test"
    label = "smoke test"

    def describe(self, spec: DeploySpec, options: RunOptions) -> PlannedStep | None:
        """The request and what it expects."""
        if not (options.wait and options.smoke_test):
            return None
        if spec.model.kind == "rerank":
            return PlannedStep(
                self.key,
                "Rerank two texts against a query through the signed predict endpoint",
                {
                    "request": 'POST <deployment url>/predict {"query": "...", '
                    '"texts": ["...", "..."]}',
                    "container route": predict_route(spec),
                    "expects": "one score per text",
                },
            )
        return PlannedStep(
            self.key,
            "Embed one sentence through the signed predict endpoint",
            {
                "request": 'POST <deployment url>/predict {"input": ["..."]}',
                "container route": predict_route(spec),
                "expects": f"one vector of dimension {spec.model.dimension or 'the model'}",
            },
        )

    def wanted(self, run: DeployRun) -> bool:
        """Once ACTIVE, unless ``--no-smoke-test``."""
        return run.options.wait and run.options.smoke_test

    def headline(self, run: DeployRun) -> str:
        """What the line says."""
        return f"signed {predict_route(run.spec)} call"

    def run(self, run: DeployRun) -> None:
        """``run.dimension``."""
        result = smoke_test(run.session, run.endpoint, run.spec.model.kind)
        run.dimension = result.dimension
        run.echo(f"  OK: {result.summary}")
