"""The JSON Lines reader: orjson's fast path accepts and reads exactly what json does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oci_tei.corpus._readers import CorpusFormatError, read_records

# Lines orjson refuses or reads differently (a byte order mark, NaN and infinity in another
# field, a lone surrogate, an integer id past 64 bits, UTF-16) next to plain ones.
LINES = [
    b'\xef\xbb\xbf{"id": 1, "text": "first, after a byte order mark"}',
    b'{"id": 2, "text": "plain", "score": NaN}',
    b'{"id": 3, "text": "infinite score", "score": 1e999}',
    b'{"id": 4, "text": "lone \\ud800 surrogate"}',
    b'{"id": 123456789012345678901234567890, "text": "an id past 64 bits"}',
    b'{"id": 6.5, "text": "a float id"}',
    b'{"id": "seven", "text": "caf\xc3\xa9 \\u00e9\\n"}',
]


def test_jsonl_reads_what_json_reads(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"\n".join(LINES) + b"\n")
    records = list(read_records(str(path), "jsonl", id_field="id"))
    expected = [json.loads(line) for line in LINES]
    assert [r.id for r in records] == [item["id"] for item in expected]
    assert [type(r.id) for r in records] == [type(item["id"]) for item in expected]
    assert [r.text for r in records] == [item["text"] for item in expected]
    assert [r.line for r in records] == list(range(1, len(LINES) + 1))


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (b'{"text": "\xff"}', "not UTF-8"),
        (b'{"text": "open', "not valid JSON"),
        (b'["text"]', "expected a JSON object, got list"),
        (b'{"body": "x"}', "no 'text' field"),
    ],
)
def test_a_bad_line_is_named_as_before(tmp_path: Path, line: bytes, message: str) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(b'{"text": "fine"}\n\n' + line + b"\n")
    with pytest.raises(CorpusFormatError, match=rf"in\.jsonl:3: {message}"):
        list(read_records(str(path), "jsonl"))
