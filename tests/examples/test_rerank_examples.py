"""The RAG examples with ``--rerank-endpoint``: retrieve 8, rerank to 3, plain and signed.

The test cross-encoder has random weights, so which passage wins is not checked (the
exit status reports answer quality); the flow and the reranked scores are.
"""

import re

import pytest

from examples import langchain_rag, llamaindex_rag
from examples._common import load_questions

RAG_EXAMPLES = [langchain_rag, llamaindex_rag]


def check(out):
    assert "Retrieving 8, reranking to 3" in out
    questions = load_questions()
    blocks = re.split(r"\n[✓✗] ", out)[1:]
    assert len(blocks) == len(questions)
    for block in blocks:
        scores = [float(s) for s in re.findall(r"^   \d\. \[([-0-9.]+)\]", block, re.M)]
        assert len(scores) == 3
        assert scores == sorted(scores, reverse=True)
        assert all(0.0 < s < 1.0 for s in scores)  # sigmoid scores, not cosine similarities


@pytest.mark.parametrize("example", RAG_EXAMPLES, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_rerank_with_a_plain_tei(example, tei_server, reranker_server, capsys):
    code = example.main(["--endpoint", tei_server.url, "--rerank-endpoint", reranker_server.url])
    assert code in (0, 1)
    check(capsys.readouterr().out)


@pytest.mark.parametrize("example", RAG_EXAMPLES, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_rerank_through_signed_deployments(
    example, emulator, tei_server, reranker_server, oci_config, capsys
):
    emu = emulator()
    embedder = emu.predict_url(emu.register_deployment(tei_server.url))
    reranker = emu.predict_url(emu.register_deployment(reranker_server.url, "/rerank"))
    argv = ["--endpoint", embedder, "--rerank-endpoint", reranker]
    argv += ["--auth", "api_key", "--config-file", str(oci_config)]
    assert example.main(argv) in (0, 1)
    check(capsys.readouterr().out)
