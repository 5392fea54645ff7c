"""RAG retrieval with LangChain: split the bundled corpus, index it, answer fixed questions.

python -m examples.langchain_rag                       # offline, local server
python -m examples.langchain_rag --endpoint https://modeldeployment.<region>.oci.customer-oci.com/<ocid>/predict
python -m examples.langchain_rag --endpoint http://127.0.0.1:8080   # any TEI
python -m examples.langchain_rag --endpoint <embedder> --rerank-endpoint <reranker predict URL>
    # retrieve 8, rerank to 3 with ContextualCompressionRetriever
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from langchain_core.documents import Document
from langchain_core.vectorstores import InMemoryVectorStore, VectorStore
from langchain_text_splitters import RecursiveCharacterTextSplitter

from examples._common import (
    add_endpoint_arguments,
    embedding_options,
    load_corpus,
    load_questions,
    report,
    rerank_options,
    summary,
)
from langchain_oci_tei import OCITEIEmbeddings, OCITEIRerank


def build_store(embeddings: OCITEIEmbeddings, chunks: list[Document]) -> VectorStore:
    """FAISS when langchain-community and faiss are installed, else the in-memory store."""
    try:
        from langchain_community.vectorstores import FAISS
    except ImportError:
        return InMemoryVectorStore.from_documents(chunks, embeddings)
    return FAISS.from_documents(chunks, embeddings)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_endpoint_arguments(parser)
    parser.add_argument("--top-k", type=int, default=2)
    args = parser.parse_args(argv)

    splitter = RecursiveCharacterTextSplitter(chunk_size=400, chunk_overlap=0)
    documents = [
        Document(
            page_content=article.text, metadata={"source": article.name, "title": article.title}
        )
        for article in load_corpus()
    ]
    chunks = splitter.split_documents(documents)
    print(f"{len(documents)} articles split into {len(chunks)} chunks")
    with embedding_options(args) as options:
        embeddings = OCITEIEmbeddings(**options, show_progress=True)
        store = build_store(embeddings, chunks)
        print(f"Indexed in {type(store).__name__}")
        questions = load_questions()
        found = 0
        reranking = rerank_options(args)
        if reranking is not None:
            from langchain_classic.retrievers import ContextualCompressionRetriever

            retriever = ContextualCompressionRetriever(
                base_compressor=OCITEIRerank(**reranking),
                base_retriever=store.as_retriever(search_kwargs={"k": args.fetch_k}),
            )
            print(f"Retrieving {args.fetch_k}, reranking to {args.top_n}")
            for question in questions:
                docs = retriever.invoke(question.question)
                hits = [(doc.page_content, doc.metadata["relevance_score"]) for doc in docs]
                found += report(question, hits)
            return summary(found, len(questions))
        for question in questions:
            hits = store.similarity_search_with_score(question.question, k=args.top_k)
            found += report(question, [(doc.page_content, score) for doc, score in hits])
    return summary(found, len(questions))


if __name__ == "__main__":
    sys.exit(main())
