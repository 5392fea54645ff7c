"""CI, in the core-only venv: one signed embed call through the emulator's gateway.

.venv-core/bin/python .ci/core_embed.py PREDICT_URL OCI_CONFIG
"""

from __future__ import annotations

import importlib.util
import math
import sys

import oci_tei
from oci_tei import EmbeddingClient


def main(url: str, config_file: str) -> int:
    # What this check is for: the core needs no package it does not declare.
    undeclared = [
        name
        for name in ("requests", "langchain_core", "llama_index")
        if importlib.util.find_spec(name)
    ]
    if undeclared:
        print(f"core venv is not core-only: {undeclared} installed", file=sys.stderr)
        return 1
    texts = ["fast cars on the highway", "a child playing in the park", "a vehicle racing"]
    with EmbeddingClient(endpoint=url, auth="api_key", config_file=config_file) as client:
        vectors = client.embed(texts)
    assert len(vectors) == len(texts), len(vectors)
    assert all(len(v) == len(vectors[0]) > 0 for v in vectors)
    assert all(abs(math.sqrt(sum(x * x for x in v)) - 1) < 1e-3 for v in vectors)
    print(
        f"core-only oci-tei {oci_tei.__version__} from {oci_tei.__file__}: "
        f"{len(vectors)} signed embeddings of {len(vectors[0])} dimensions"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
