"""Row groups built on Arrow buffers equal what ``pa.array`` builds from the same values."""

from __future__ import annotations

import numpy as np
import pytest

from oci_tei.corpus._store import _table

pa = pytest.importorskip("pyarrow")


@pytest.mark.parametrize(
    ("ids", "kind"),
    [(["doc-1", "", "café ☕", "x" * 300], "str"), ([0, -7, 2**63 - 1, 42], "int")],
)
def test_a_row_group_table_equals_pa_array(ids: list[object], kind: str) -> None:
    vectors = np.arange(len(ids) * 3, dtype=np.float32).reshape(len(ids), 3)
    table = _table(ids, vectors, kind)
    table.validate(full=True)
    id_type = pa.string() if kind == "str" else pa.int64()
    assert table.column("id").combine_chunks().equals(pa.array(ids, type=id_type))
    embedding = table.column("embedding").combine_chunks()
    assert embedding.type == pa.list_(pa.float32(), 3)
    assert np.array_equal(embedding.flatten().to_numpy().reshape(len(ids), 3), vectors)
