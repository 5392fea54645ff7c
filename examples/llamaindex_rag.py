"""RAG retrieval with LlamaIndex: chunk the bundled corpus, build a VectorStoreIndex, retrieve.

python -m examples.llamaindex_rag                      # offline, local server
python -m examples.llamaindex_rag --endpoint ocid1.datasciencemodeldeployment.oc1.iad.xxx --auth resource_principal
python -m examples.llamaindex_rag --endpoint <embedder> --rerank-endpoint <reranker predict URL>
    # retrieve 8, rerank to 3 as a node postprocessor
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from llama_index.core import Document, VectorStoreIndex
from llama_index.core.node_parser import SentenceSplitter

from examples._common import (
    add_endpoint_arguments,
    embedding_options,
    load_corpus,
    load_questions,
    report,
    rerank_options,
    summary,
)
from llama_index_oci_tei import OCITEIEmbedding, OCITEIRerank


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_endpoint_arguments(parser)
    parser.add_argument("--top-k", type=int, default=2)
    args = parser.parse_args(argv)

    # One document per paragraph; the splitter only cuts paragraphs longer than a chunk.
    articles = load_corpus()
    documents = [
        Document(text=paragraph, metadata={"title": article.title})
        for article in articles
        for paragraph in article.text.split("\n\n")
    ]
    nodes = SentenceSplitter(chunk_size=256, chunk_overlap=0).get_nodes_from_documents(documents)
    print(f"{len(articles)} articles split into {len(nodes)} nodes")
    with embedding_options(args) as options:
        index = VectorStoreIndex(nodes, embed_model=OCITEIEmbedding(**options), show_progress=True)
        questions = load_questions()
        found = 0
        reranking = rerank_options(args)
        if reranking is not None:
            from llama_index.core.llms import MockLLM
            from llama_index.core.query_engine import RetrieverQueryEngine
            from llama_index.core.response_synthesizers.no_text import NoText

            # No LLM is needed to see what a query engine would answer from: its
            # retrieved, reranked source nodes (NoText skips synthesis).
            engine = RetrieverQueryEngine(
                retriever=index.as_retriever(similarity_top_k=args.fetch_k),
                response_synthesizer=NoText(llm=MockLLM()),
                node_postprocessors=[OCITEIRerank(**reranking)],
            )
            print(f"Retrieving {args.fetch_k}, reranking to {args.top_n}")
            for question in questions:
                sources = engine.query(question.question).source_nodes
                hits = [(hit.node.get_content(), hit.score or 0.0) for hit in sources]
                found += report(question, hits)
            return summary(found, len(questions))
        retriever = index.as_retriever(similarity_top_k=args.top_k)
        for question in questions:
            hits = retriever.retrieve(question.question)
            found += report(question, [(hit.node.get_content(), hit.score or 0.0) for hit in hits])
    return summary(found, len(questions))


if __name__ == "__main__":
    sys.exit(main())
