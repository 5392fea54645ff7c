"""The ``modelOSSReferenceDescription`` a by-reference model's artifact carries."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

__all__ = ["reference_description", "referenced_buckets"]


def reference_description(artifact: bytes) -> dict[str, Any] | None:
    """The ``modelOSSReferenceDescription`` JSON of a by-reference artifact (zip or JSON)."""
    texts: list[bytes] = []
    if artifact[:2] == b"PK":
        try:
            with zipfile.ZipFile(io.BytesIO(artifact)) as archive:
                texts = [archive.read(n) for n in archive.namelist() if n.endswith(".json")]
        except zipfile.BadZipFile:
            return None
    else:
        texts = [artifact]
    for text in texts:
        try:
            data = json.loads(text)
        except ValueError:
            continue
        if isinstance(data, dict) and data.get("type") == "modelOSSReferenceDescription":
            return data
    return None


def referenced_buckets(artifact: bytes) -> list[tuple[str, str]]:
    """``(bucket, namespace)`` of every ``models[]`` entry of a by-reference artifact."""
    description = reference_description(artifact)
    if description is None:
        return []
    return [
        (str(entry.get("bucketName")), str(entry.get("namespace")))
        for entry in description.get("models", [])
        if isinstance(entry, dict)
    ]
