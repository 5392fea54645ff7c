"""Both ``OCITEIRerank`` classes against the local cross-encoder, plain and signed.

Scores are checked against the server's own ``/rerank`` (answered in requests of 32);
the frameworks' own machinery (``ContextualCompressionRetriever``, node postprocessors,
LlamaIndex events) drives the classes.
"""

import pickle

import pytest
from langchain_classic.retrievers import ContextualCompressionRetriever
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from llama_index.core.callbacks import CallbackManager, CBEventType
from llama_index.core.callbacks.base_handler import BaseCallbackHandler
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from langchain_oci_tei import OCITEIRerank as LangChainRerank
from llama_index_oci_tei import OCITEIRerank as LlamaIndexRerank
from oci_tei import _errors as errors
from oci_tei_emulator import FaultConfig
from tests.adapters.test_settings import OCID, _FakeKeySigner
from tests.fixtures.reranker import server_scores as rerank_scores

QUERY = "how do lighthouses warn ships?"
TEXTS = [
    f"passage {i}: {'beacon ' * (i % 4)}light on the {'cliff ' * (i % 3)}coast" for i in range(100)
]
ADAPTERS = [LangChainRerank, LlamaIndexRerank]


@pytest.fixture(scope="module")
def reference(reranker_server):
    """Scores from the server's own /rerank, 32 texts per request, by input index."""
    return rerank_scores(reranker_server.url, QUERY, TEXTS)


def best(reference, n):
    return sorted(reference, key=lambda i: (-reference[i], i))[:n]


@pytest.fixture(params=["plain", "signed"])
def endpoint(request, reranker_server, emulator, oci_config):
    """Options reaching the cross-encoder directly, or through the signed gateway."""
    if request.param == "plain":
        return {"endpoint": reranker_server.url}
    emu = emulator()
    ocid = emu.register_deployment(reranker_server.url, "/rerank")
    return {"endpoint": emu.predict_url(ocid), "auth": "api_key", "config_file": str(oci_config)}


def documents():
    return [Document(page_content=t, metadata={"n": i}, id=f"d{i}") for i, t in enumerate(TEXTS)]


def check_documents(result, reference, n):
    assert [d.metadata["n"] for d in result] == best(reference, n)
    for doc in result:
        assert abs(doc.metadata["relevance_score"] - reference[doc.metadata["n"]]) < 1e-5
        assert doc.page_content == TEXTS[doc.metadata["n"]]
        assert doc.id == f"d{doc.metadata['n']}"


def test_langchain_compresses_100_documents(endpoint, reference):
    reranker = LangChainRerank(**endpoint)
    docs = documents()
    check_documents(reranker.compress_documents(docs, QUERY), reference, 3)
    assert all("relevance_score" not in d.metadata for d in docs)  # inputs untouched
    reranker.top_n = 10
    check_documents(reranker.compress_documents(docs, QUERY), reference, 10)
    ranked = reranker.rerank(QUERY, TEXTS, top_n=100)
    assert [r["index"] for r in ranked] == best(reference, 100)
    assert reranker.compress_documents([], QUERY) == []


async def test_langchain_async(endpoint, reference):
    reranker = LangChainRerank(**endpoint, top_n=5)
    check_documents(await reranker.acompress_documents(documents(), QUERY), reference, 5)


class _ListRetriever(BaseRetriever):
    docs: list[Document]

    def _get_relevant_documents(self, query, *, run_manager):
        return self.docs


async def test_langchain_contextual_compression_retriever(endpoint, reference):
    retriever = ContextualCompressionRetriever(
        base_compressor=LangChainRerank(**endpoint), base_retriever=_ListRetriever(docs=documents())
    )
    check_documents(retriever.invoke(QUERY), reference, 3)
    check_documents(await retriever.ainvoke(QUERY), reference, 3)


def nodes():
    return [
        NodeWithScore(node=TextNode(text=t, id_=f"n{i}", metadata={"n": i}), score=1.0 - i / 100)
        for i, t in enumerate(TEXTS)
    ]


def check_nodes(result, reference, n):
    assert [r.node.metadata["n"] for r in result] == best(reference, n)
    for r in result:
        assert abs(r.score - reference[r.node.metadata["n"]]) < 1e-5


class _Events(BaseEventHandler):
    names: list

    def handle(self, event, **kwargs):
        self.names.append(event.class_name())


class _Callbacks(BaseCallbackHandler):
    def __init__(self):
        super().__init__([], [])
        self.ends = []

    def on_event_start(self, event_type, payload=None, event_id="", parent_id="", **kwargs):
        return event_id

    def on_event_end(self, event_type, payload=None, event_id="", **kwargs):
        if event_type == CBEventType.RERANKING:
            self.ends.append(payload)

    def start_trace(self, trace_id=None):
        pass

    def end_trace(self, trace_id=None, trace_map=None):
        pass


def test_llamaindex_postprocesses_100_nodes_with_events(endpoint, reference):
    events = _Events(names=[])
    get_dispatcher().add_event_handler(events)
    callbacks = _Callbacks()
    try:
        reranker = LlamaIndexRerank(
            **endpoint,
            top_n=4,
            keep_retrieval_score=True,
            callback_manager=CallbackManager([callbacks]),
        )
        given = nodes()
        result = reranker.postprocess_nodes(given, query_str=QUERY)
    finally:
        get_dispatcher().event_handlers.remove(events)
    check_nodes(result, reference, 4)
    for r in result:
        assert r.node.metadata["retrieval_score"] == pytest.approx(1.0 - r.node.metadata["n"] / 100)
    assert given[0].score == 1.0  # the caller's scores are left alone
    assert {"ReRankStartEvent", "ReRankEndEvent"} <= set(events.names)
    assert len(callbacks.ends) == 1


async def test_llamaindex_async(endpoint, reference):
    reranker = LlamaIndexRerank(**endpoint)
    result = await reranker.apostprocess_nodes(nodes(), QueryBundle(QUERY))
    check_nodes(result, reference, 3)
    assert await reranker.apostprocess_nodes([], QueryBundle(QUERY)) == []


@pytest.mark.parametrize("cls", ADAPTERS)
def test_faults_are_retried_with_nothing_lost(
    cls, emulator, reranker_server, oci_config, reference
):
    emu = emulator(faults=FaultConfig(p_429=0.2, p_503=0.2, p_reset=0.2, retry_after_s=0), seed=11)
    url = emu.predict_url(emu.register_deployment(reranker_server.url, "/rerank"))
    reranker = cls(
        endpoint=url,
        auth="api_key",
        config_file=str(oci_config),
        batch_size=8,
        max_retries=12,
        retry_backoff=0.02,
        top_n=100,
    )
    if cls is LangChainRerank:
        check_documents(reranker.compress_documents(documents(), QUERY), reference, 100)
    else:
        check_nodes(reranker.postprocess_nodes(nodes(), query_str=QUERY), reference, 100)
    assert sum(emu.fault_counts.values()) > 0


BAD = [
    ("", TEXTS[:2], errors.InvalidInputError, None),
    (QUERY, ["fine", ""], errors.InvalidInputError, 1),
    (QUERY, ["fine", "   "], errors.InvalidInputError, 1),
]


@pytest.mark.parametrize(("query", "texts", "error", "index"), BAD)
def test_bad_inputs_are_typed_before_any_request(query, texts, error, index):
    # Port 9 on loopback: a request would be a connection error, not the typed one.
    lc = LangChainRerank(endpoint="http://127.0.0.1:9", max_retries=0)
    with pytest.raises(error) as info:
        lc.compress_documents([Document(page_content=t) for t in texts], query)
    assert info.value.input_index == index
    li = LlamaIndexRerank(endpoint="http://127.0.0.1:9", max_retries=0)
    with pytest.raises(error) as info:
        li.postprocess_nodes([NodeWithScore(node=TextNode(text=t)) for t in texts], query_str=query)
    assert info.value.input_index == index
    with pytest.raises(errors.InputTypeError):
        lc.rerank(QUERY, ["fine", 3])
    with pytest.raises(ValueError, match="needs the query"):
        li.postprocess_nodes(nodes()[:2])


@pytest.mark.parametrize("cls", ADAPTERS)
def test_no_secret_in_repr_or_pickle(cls, monkeypatch):
    signed = cls(endpoint=OCID, auth={"signer": _FakeKeySigner()})
    assert "not-a-real-key" not in repr(signed)
    with pytest.raises(TypeError, match="cannot pickle"):
        pickle.dumps(signed)
    token = cls(endpoint=OCID, auth="security_token", profile="S", config_file="/tmp/c")
    assert pickle.loads(pickle.dumps(token)).profile == "S"
    plain = cls(endpoint="http://127.0.0.1:8080", api_key="tei-secret")
    assert "tei-secret" not in repr(plain)
    assert "tei-secret" not in plain.model_dump_json()
    with pytest.raises(TypeError, match="OCI_TEI_API_KEY"):
        pickle.dumps(plain)
    monkeypatch.setenv("OCI_TEI_API_KEY", "tei-secret")
    data = pickle.dumps(cls(endpoint="http://127.0.0.1:8080", top_n=2))
    assert b"tei-secret" not in data
    clone = pickle.loads(data)
    assert clone.api_key.get_secret_value() == "tei-secret"
    assert clone.top_n == 2
