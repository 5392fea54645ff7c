"""LlamaIndex: retrieval through VectorStoreIndex and multi-process ingestion."""

import pytest
from llama_index.core import Document, VectorStoreIndex
from llama_index.core.ingestion import IngestionPipeline
from llama_index.core.node_parser import SentenceSplitter

from llama_index_oci_tei import OCITEIEmbedding

DOCS = [
    Document(
        text="The Eiffel Tower is a wrought-iron lattice tower in Paris, France.", doc_id="paris"
    ),
    Document(
        text="Photosynthesis converts light energy into chemical energy in plants.", doc_id="plants"
    ),
    Document(text="A cheetah can run faster than any other land animal.", doc_id="cheetah"),
    Document(
        text="The stock market fell sharply after the interest rate decision.", doc_id="market"
    ),
]
QUESTIONS = {
    "Which animal is the fastest runner?": "cheetah",
    "How do plants make energy from sunlight?": "plants",
    "What famous tower stands in France?": "paris",
}


def test_vector_store_index_retrieves_the_right_document(tei_server):
    embed_model = OCITEIEmbedding(endpoint=tei_server.url, embed_batch_size=2)
    index = VectorStoreIndex.from_documents(DOCS, embed_model=embed_model)
    retriever = index.as_retriever(similarity_top_k=1)
    for question, doc_id in QUESTIONS.items():
        (hit,) = retriever.retrieve(question)
        assert hit.node.ref_doc_id == doc_id, question


async def test_async_retrieval(tei_server):
    embed_model = OCITEIEmbedding(endpoint=tei_server.url)
    index = VectorStoreIndex.from_documents(DOCS, embed_model=embed_model, use_async=True)
    (hit,) = await index.as_retriever(similarity_top_k=1).aretrieve("fastest land animal")
    assert hit.node.ref_doc_id == "cheetah"


def test_query_text_and_batch_methods_agree(tei_server):
    model = OCITEIEmbedding(endpoint=tei_server.url, embed_batch_size=2)
    texts = [doc.text for doc in DOCS]
    batch = model.get_text_embedding_batch(texts, show_progress=True)
    assert len(batch) == 4
    assert model.get_text_embedding(texts[2]) == pytest.approx(batch[2], abs=1e-5)
    assert model.get_query_embedding(texts[2]) == pytest.approx(batch[2], abs=1e-5)


def _ingest(embed_model):
    # Split here, embed in the workers: LlamaIndex's splitters re-fetch their tiktoken
    # encoding when unpickled in a spawned worker, which fails offline (not our code).
    nodes = SentenceSplitter(chunk_size=64, chunk_overlap=0).get_nodes_from_documents(DOCS * 3)
    return IngestionPipeline(transformations=[embed_model]).run(nodes=nodes, num_workers=2)


def test_ingestion_pipeline_with_worker_processes(tei_server):
    nodes = _ingest(OCITEIEmbedding(endpoint=tei_server.url))
    assert len(nodes) == 12
    assert all(len(node.embedding) == 384 for node in nodes)


def test_ingestion_workers_sign_as_the_same_identity(emulator, tei_server, oci_config):
    emu = emulator()
    url = emu.predict_url(emu.register_deployment(tei_server.url))
    nodes = _ingest(OCITEIEmbedding(endpoint=url, auth="api_key", config_file=str(oci_config)))
    assert len(nodes) == 12
    assert all(node.embedding for node in nodes)
