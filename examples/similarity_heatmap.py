"""The seed walkthrough's last step: a cosine-similarity heatmap of three sentences.

python -m examples.similarity_heatmap --output out/similarity_heatmap.png
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from examples._common import SEED_SENTENCES, add_endpoint_arguments, embedding_options
from langchain_oci_tei import OCITEIEmbeddings


def cosine_matrix(vectors: list[list[float]]) -> np.ndarray:
    """Pairwise cosine similarities."""
    matrix = np.asarray(vectors, dtype=np.float64)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix @ matrix.T


def draw(similarity: np.ndarray, labels: list[str], output: Path) -> None:
    """Write the heatmap as the seed draws it (annotated, coolwarm)."""
    import matplotlib

    matplotlib.use("Agg")  # files only: no display needed
    import matplotlib.pyplot as plt
    import seaborn as sns

    plt.figure(figsize=(6, 4))
    sns.heatmap(similarity, annot=True, cmap="coolwarm", xticklabels=labels, yticklabels=labels)
    plt.title("Cosine Similarity Heatmap of Sentences")
    plt.xticks(rotation=45, ha="right")
    plt.yticks(rotation=0)
    plt.tight_layout()
    output.parent.mkdir(parents=True, exist_ok=True)
    plt.savefig(output, dpi=120)
    plt.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_endpoint_arguments(parser)
    parser.add_argument("--output", type=Path, default=Path("out/similarity_heatmap.png"))
    args = parser.parse_args(argv)

    with embedding_options(args) as options:
        vectors = OCITEIEmbeddings(**options).embed_documents(SEED_SENTENCES)
    similarity = cosine_matrix(vectors)
    labels = [f"Sentence {i + 1}" for i in range(len(SEED_SENTENCES))]
    for label, sentence in zip(labels, SEED_SENTENCES, strict=True):
        print(f"{label}: {sentence}")
    print(np.array2string(similarity, precision=3))
    draw(similarity, labels, args.output)
    print(f"Heatmap written to {args.output.resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
