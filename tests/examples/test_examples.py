"""Each bundled example runs: exit 0, every fixed question finds its passage, the PNG is drawn."""

import pytest

from examples import langchain_rag, llamaindex_rag, similarity_heatmap
from examples._common import load_corpus, load_questions

RAG_EXAMPLES = [langchain_rag, llamaindex_rag]


def test_corpus_and_questions():
    articles = load_corpus()
    paragraphs = sum(len(article.text.split("\n\n")) for article in articles)
    assert len(articles) >= 6
    assert paragraphs >= 24
    text = " ".join(article.text for article in articles)
    assert all(question.expect in text for question in load_questions())


@pytest.mark.parametrize("example", RAG_EXAMPLES, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_rag_against_a_plain_tei_url(example, tei_server, capsys):
    assert example.main(["--endpoint", tei_server.url]) == 0
    out = capsys.readouterr().out
    questions = load_questions()
    assert f"{len(questions)}/{len(questions)} questions answered from the expected passage" in out
    assert "✗" not in out


@pytest.mark.parametrize("example", RAG_EXAMPLES, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_rag_against_a_signed_deployment(example, emulator, tei_server, oci_config, capsys):
    emu = emulator()
    url = emu.predict_url(emu.register_deployment(tei_server.url))
    argv = ["--endpoint", url, "--auth", "api_key", "--config-file", str(oci_config)]
    assert example.main(argv) == 0
    assert "✗" not in capsys.readouterr().out


def test_heatmap_png(tei_server, tmp_path, capsys):
    output = tmp_path / "heatmap.png"
    assert similarity_heatmap.main(["--endpoint", tei_server.url, "--output", str(output)]) == 0
    assert output.read_bytes().startswith(b"\x89PNG")
    assert output.stat().st_size > 10_000
    assert str(output) in capsys.readouterr().out


def test_examples_run_offline_by_default(capsys):
    # No --endpoint: the example starts the local server on the bundled model itself.
    assert langchain_rag.main([]) == 0
    assert "starting the local TEI-compatible server" in capsys.readouterr().out
