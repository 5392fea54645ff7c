"""oci-tei: Hugging Face Text Embeddings Inference served as an OCI Data Science Model Deployment.

The core package imports no framework. The LangChain and LlamaIndex classes live in
``langchain_oci_tei`` and ``llama_index_oci_tei`` and are thin adapters over this core.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
