"""Reading a corpus: one :class:`Record` per input, with its id and its line.

Formats: JSON Lines (an object per line; ``text_field`` and ``id_field``), Parquet
(columns of the same names, read in record batches), CSV (a header row; same fields) and
plain text (one input per line). ``-`` reads JSON Lines from standard input.

The default id is the record's line: the 1-based line number in a text file (for CSV the
line where the record starts; the header is line 1), the 1-based row in Parquet. Blank
lines of JSON Lines and text files are not records, so they neither get an id nor count.
A record that cannot be read (bad JSON, no text field) raises :class:`CorpusFormatError`
naming its line; a text the server refuses is the embedding's business, not the reader's.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, Literal, NamedTuple

__all__ = [
    "FORMATS",
    "CorpusFormatError",
    "Record",
    "count_records",
    "detect_format",
    "read_records",
    "require_pyarrow",
]

InputFormat = Literal["jsonl", "parquet", "csv", "text"]
FORMATS: tuple[InputFormat, ...] = ("jsonl", "parquet", "csv", "text")
_SUFFIXES: dict[str, InputFormat] = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".csv": "csv",
    ".txt": "text",
    ".text": "text",
}
STDIN = "-"
_BUFFER = 1 << 20


class CorpusFormatError(ValueError):
    """A record that cannot be read; the message names the file and the line."""


class Record(NamedTuple):
    """One input: its id, its line (1-based) and its text (not checked here).

    A named tuple: one is made per input, and it is the cheapest record Python builds.
    """

    id: Any
    line: int
    text: Any


def require_pyarrow(purpose: str) -> Any:
    """Import pyarrow.parquet, or explain which extra provides it."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise SystemExit(
            f'{purpose} needs pyarrow: pip install "oci-tei[corpus]" (or write .npy output)'
        ) from None
    return pq


def detect_format(path: str, explicit: str | None = None) -> InputFormat:
    """The input format: explicit, JSON Lines for ``-``, else from the file's suffix."""
    if explicit:
        if explicit not in FORMATS:
            raise CorpusFormatError(f"unknown input format {explicit!r}: one of {FORMATS}")
        return explicit
    if path == STDIN:
        return "jsonl"
    suffix = Path(path).suffix.lower()
    if suffix == ".gz":
        raise CorpusFormatError(f"{path}: decompress it first, or pipe it: zcat {path} | ... -")
    return _SUFFIXES.get(suffix, "text")


def count_records(path: str, fmt: InputFormat) -> int | None:
    """How many records the input holds (for the progress bar); None for standard input.

    Text formats count non-blank lines in binary blocks, without parsing: cheap next to
    embedding. For CSV with quoted newlines the count is an estimate.
    """
    if path == STDIN:
        return None
    if fmt == "parquet":
        return int(require_pyarrow("Parquet input").ParquetFile(path).metadata.num_rows)
    count = 0
    with open(path, "rb") as handle:
        for line in handle:
            if line.strip():
                count += 1
    return count - 1 if fmt == "csv" and count else count


def read_records(
    path: str,
    fmt: InputFormat,
    *,
    text_field: str = "text",
    id_field: str | None = None,
    skip: int = 0,
) -> Iterator[Record]:
    """The input's records in order, after the first ``skip`` (already embedded).

    Skipped records are passed over without being parsed where the format allows, so a
    resumed run reaches its first new record quickly.
    """
    if fmt == "parquet":
        yield from _parquet(path, text_field, id_field, skip)
        return
    # A large buffer: fewer reads, each of which lets the request threads take the GIL.
    stream: IO[bytes] = (
        sys.stdin.buffer if path == STDIN else open(path, "rb", buffering=_BUFFER)  # noqa: SIM115
    )
    try:
        if fmt == "jsonl":
            yield from _jsonl(_name(path), stream, text_field, id_field, skip)
        elif fmt == "csv":
            yield from _csv(_name(path), stream, text_field, id_field, skip)
        else:
            yield from _text(_name(path), stream, skip)
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()


def _name(path: str) -> str:
    return "<stdin>" if path == STDIN else path


def _decode(name: str, number: int, raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CorpusFormatError(f"{name}:{number}: not UTF-8 ({exc.reason})") from None


def _fast_loads() -> Callable[[bytes], Any]:
    """The parser of orjson where installed (the ``corpus`` extra declares it), else json's."""
    try:
        import orjson
    except ImportError:  # pragma: no cover - the corpus extra installs it
        return json.loads
    loads: Callable[[bytes], Any] = orjson.loads
    return loads


def _json_object(name: str, number: int, raw: bytes) -> Any:
    """One line read by the standard library's parser: its verdict and its messages."""
    try:
        return json.loads(raw)  # bytes: UTF-8 is checked as it is decoded
    except UnicodeDecodeError as exc:
        raise CorpusFormatError(f"{name}:{number}: not UTF-8 ({exc.reason})") from None
    except json.JSONDecodeError as exc:
        raise CorpusFormatError(f"{name}:{number}: not valid JSON ({exc.msg})") from None


def _jsonl(
    name: str, stream: IO[bytes], text_field: str, id_field: str | None, skip: int
) -> Iterator[Record]:
    # orjson reads a line several times faster than json. It is stricter (NaN, a lone
    # surrogate, a byte order mark) and reads integers past 64 bits as floats, so a line
    # it refuses, or whose text or id it reads as a float, is read again by json: what
    # is accepted, its values and the error messages stay json's.
    loads = _fast_loads()
    seen = 0
    for number, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        seen += 1
        if seen <= skip:
            continue
        try:
            item = loads(raw)
        except ValueError:  # orjson.JSONDecodeError (a ValueError), UnicodeDecodeError
            item = _json_object(name, number, raw)
        if not isinstance(item, dict):
            raise CorpusFormatError(
                f"{name}:{number}: expected a JSON object, got {type(item).__name__}"
            )
        if type(item.get(text_field)) is float or (
            id_field is not None and type(item.get(id_field)) is float
        ):
            item = _json_object(name, number, raw)
        yield Record(*_fields(name, number, item, text_field, id_field))


def _fields(
    name: str, number: int, item: dict[str, Any], text_field: str, id_field: str | None
) -> tuple[Any, int, Any]:
    if text_field not in item:
        raise CorpusFormatError(f"{name}:{number}: no {text_field!r} field (--text-field)")
    if id_field is None:
        return number, number, item[text_field]
    if item.get(id_field) is None:
        raise CorpusFormatError(f"{name}:{number}: no {id_field!r} field (--id-field)")
    return item[id_field], number, item[text_field]


def _csv(
    name: str, stream: IO[bytes], text_field: str, id_field: str | None, skip: int
) -> Iterator[Record]:
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
    reader = csv.DictReader(text)
    try:
        header = reader.fieldnames or []
        for field_name in (text_field, id_field):
            if field_name is not None and field_name not in header:
                raise CorpusFormatError(
                    f"{name}:1: no {field_name!r} column in the header {header}"
                )
        start = reader.line_num + 1
        for seen, row in enumerate(reader, start=1):
            number, start = start, reader.line_num + 1
            if seen > skip:
                yield Record(*_fields(name, number, row, text_field, id_field))
    except UnicodeDecodeError as exc:
        raise CorpusFormatError(f"{name}:{reader.line_num + 1}: not UTF-8 ({exc.reason})") from None
    except csv.Error as exc:
        raise CorpusFormatError(f"{name}:{reader.line_num}: {exc}") from None
    finally:
        text.detach()


def _text(name: str, stream: IO[bytes], skip: int) -> Iterator[Record]:
    seen = 0
    for number, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        seen += 1
        if seen > skip:
            line = _decode(name, number, raw).rstrip("\r\n")
            yield Record(number, number, line)


def _parquet(path: str, text_field: str, id_field: str | None, skip: int) -> Iterator[Record]:
    pq = require_pyarrow("Parquet input")
    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises its own ArrowInvalid and OSError kinds
        raise CorpusFormatError(f"{path}: not a Parquet file ({exc})") from None
    names = parquet.schema_arrow.names
    for field_name in (text_field, id_field):
        if field_name is not None and field_name not in names:
            raise CorpusFormatError(f"{path}: no {field_name!r} column (columns: {names})")
    columns = [text_field] if id_field is None else [text_field, id_field]
    row = 0
    for group in range(parquet.num_row_groups):
        rows = parquet.metadata.row_group(group).num_rows
        if row + rows <= skip:  # a whole row group already embedded: not even read
            row += rows
            continue
        table = parquet.read_row_group(group, columns=columns)
        texts = table.column(text_field).to_pylist()
        ids = table.column(id_field).to_pylist() if id_field is not None else None
        for offset, text in enumerate(texts):
            row += 1
            if row <= skip:
                continue
            if ids is None:
                yield Record(row, row, text)
            elif ids[offset] is None:
                raise CorpusFormatError(f"{path}: row {row} has no {id_field!r}")
            else:
                yield Record(ids[offset], row, text)
