"""A reranker deployment: the spec's ``model.kind``, the shipped reranker spec, and the
emulator deploying a cross-encoder like an embedder (smoke test and snippets by kind)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from oci_tei._rerank import RerankClient
from oci_tei.deploy import SpecError
from oci_tei.deploy.spec import container_env, load_spec
from oci_tei.deploy.steps import build_plan, usage_snippets
from tests.fixtures.reranker import server_scores

from .conftest import REPO, SpecFactory
from .emulated import DeployEnv

RERANKER_SPEC = REPO / "deploy" / "bge-reranker-base-a10.yaml"


def test_shipped_reranker_spec(spec_env: dict[str, str]) -> None:
    spec = load_spec(RERANKER_SPEC, spec_env)
    assert (spec.model.id, spec.model.kind) == ("BAAI/bge-reranker-base", "rerank")
    assert spec.infrastructure.shape == "VM.GPU.A10.1"
    assert container_env(spec)["MODEL_DEPLOY_PREDICT_ENDPOINT"] == "/rerank"
    plan = build_plan(spec)
    smoke = next(step for step in plan.steps if step.key == "smoke_test")
    assert smoke.inputs["container route"] == "/rerank"
    assert not any("vectors" in warning for warning in plan.warnings)


def test_kind_defaults_to_embedding_and_is_checked(make_spec: SpecFactory) -> None:
    spec = make_spec()
    assert spec.model.kind == "embedding"
    assert container_env(spec)["MODEL_DEPLOY_PREDICT_ENDPOINT"] == "/v1/embeddings"
    with pytest.raises(SpecError, match=r"model\.kind"):
        make_spec(model__kind="classifier")
    with pytest.raises(SpecError, match="only applies to embedding models"):
        make_spec(model__kind="rerank")  # the seed spec sets dimension: 768


def test_rerank_snippets() -> None:
    text = usage_snippets("https://md/x/predict", kind="rerank")
    assert 'OCITEIRerank(endpoint="https://md/x/predict", top_n=3)' in text
    assert "ContextualCompressionRetriever" in text
    assert "node_postprocessors=[reranker]" in text
    assert "OCITEIEmbeddings" not in text


def test_emulator_deploys_a_reranker_like_an_embedder(
    deploy_env: DeployEnv,
    reranker_dir: Path,
    reranker_server: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    spec_file = deploy_env.spec_file(
        "tiny-reranker",
        model={"path": str(reranker_dir), "kind": "rerank"},
        **{"artifact.uri": "oci://oci-tei-demo@emulatorns/test/tiny-reranker"},
    )
    result = deploy_env.directory / "deployment.json"
    assert deploy_env.cli("deploy", spec_file, "--output-json", str(result)) == 0
    out = capsys.readouterr().out
    outcome = json.loads(result.read_text())
    endpoint = outcome["endpoint"]
    assert outcome["state"] == "ACTIVE"
    assert outcome["dimension"] is None
    assert "[7/7 smoke test] signed /rerank call" in out
    assert "OK: two texts scored (" in out
    assert f'OCITEIRerank(endpoint="{endpoint}", auth="api_key"' in out
    deployment = deploy_env.data_science.get_model_deployment(outcome["deployment_id"]).data
    env = deployment.model_deployment_configuration_details.environment_configuration_details
    assert env.environment_variables["MODEL_DEPLOY_PREDICT_ENDPOINT"] == "/rerank"

    # The deployed container scores as the model served directly.
    texts = [f"text {i} about {'ships ' * (i % 3)}and lights" for i in range(40)]
    expected = server_scores(reranker_server.url, "which light guides ships?", texts)
    with RerankClient(
        endpoint=endpoint, auth="api_key", config_file=str(deploy_env.oci_config)
    ) as client:
        results = client.rerank("which light guides ships?", texts)
    assert len(results) == 40
    for r in results:
        assert abs(r.score - expected[r.index]) < 1e-5
