"""The output of ``oci-tei embed`` while it is being written, and its atomic completion.

Everything lives in ``OUTPUT.partial/`` until the end:

* one part per completed row group — an Arrow IPC file (ids and vectors; written and read
  back at memory speed) for Parquet output, or raw little-endian float32 rows plus their
  ids for ``.npy`` output — each written to a temporary name, flushed to disk and renamed,
  so a part on disk is always whole;
* the refused inputs of each part (``--on-error skip``), as JSON Lines;
* ``manifest.json``, rewritten the same way after each part: which parts exist and how
  many input records they cover. A part not in the manifest does not exist; a re-run
  skips the records the manifest covers and sends none of them again.

:meth:`PartialOutput.finish` joins the parts into ``OUTPUT`` (Parquet: one row group
per part, through pyarrow's ``ParquetWriter``, without dictionary encoding,
compression or statistics on the vectors, which float32 vectors do not gain from; ``.npy``: a header, then the rows copied
through, plus ``OUTPUT``'s ``.ids`` sidecar), writes ``OUTPUT.errors.jsonl`` when inputs
were refused, renames ``OUTPUT`` into place last and removes the partial directory.
``OUTPUT`` therefore appears only complete. A crash during ``finish`` leaves the partial
directory, and the next run finishes again.

A run that starts from nothing also appends each Parquet part, as it is written, to
``OUTPUT.partial/output.parquet`` through one open ``ParquetWriter``, so that finishing only
writes the footer; a resumed run, whose earlier parts that writer never saw, joins the parts
at the end instead.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from oci_tei.corpus._readers import CorpusFormatError, require_pyarrow

__all__ = ["Manifest", "OutputFormat", "PartialOutput", "ResumeMismatch", "output_format"]

OutputFormat = Literal["parquet", "npy"]
_VERSION = 1
_MANIFEST = "manifest.json"


class ResumeMismatch(ValueError):
    """The partial output was started with another input or other options."""


def output_format(path: Path) -> OutputFormat:
    """``parquet`` or ``npy``, from the output's suffix."""
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix == ".npy":
        return "npy"
    raise ValueError(f"{path}: the output must end in .parquet or .npy")


def ids_path(output: Path) -> Path:
    """The ``.ids`` sidecar of a ``.npy`` output (``vectors.npy`` -> ``vectors.ids``)."""
    return output.with_suffix(".ids")


def errors_path(output: Path) -> Path:
    """Where refused inputs are listed: ``OUTPUT.errors.jsonl``."""
    return output.with_name(output.name + ".errors.jsonl")


@dataclass
class Manifest:
    """What the partial output holds.

    Attributes:
        signature: The input and options the run started with; a resume must match.
        records: Input records covered by the parts (embedded or refused).
        rows: Vectors in the parts.
        refused: Refused inputs in the parts.
        parts: Part names, in input order.
        dimension: Vector length, once known.
        id_kind: ``int`` or ``str``, fixed by the first part.
        finished: The input was read to its end.
    """

    signature: dict[str, Any]
    records: int = 0
    rows: int = 0
    refused: int = 0
    parts: list[str] = field(default_factory=list)
    dimension: int | None = None
    id_kind: str | None = None
    finished: bool = False
    version: int = _VERSION


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def _sync_and_rename(temporary: Path, path: Path) -> None:
    with open(temporary, "rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, path)


class PartialOutput:
    """``OUTPUT.partial/``: parts, their manifest, and the final rename.

    Args:
        output: The final output path (``.parquet`` or ``.npy``).
        signature: Input identity and options; a resume with another one is refused.
        restart: Discard any partial output first.
    """

    def __init__(self, output: Path, signature: dict[str, Any], *, restart: bool = False) -> None:
        self.output = output
        self.format = output_format(output)
        self.directory = output.with_name(output.name + ".partial")
        if self.format == "parquet":
            require_pyarrow("Parquet output")
        if restart and self.directory.exists():
            shutil.rmtree(self.directory)
        manifest_file = self.directory / _MANIFEST
        if manifest_file.exists():
            self.manifest = Manifest(**json.loads(manifest_file.read_text(encoding="utf-8")))
            if self.manifest.version != _VERSION or self.manifest.signature != signature:
                raise ResumeMismatch(
                    f"{self.directory} was started with other input or options "
                    f"({_difference(self.manifest.signature, signature)}): re-run with "
                    "--restart to start over, or with the same input and options to resume"
                )
        else:
            self.directory.mkdir(parents=True, exist_ok=True)
            self.manifest = Manifest(signature)
            self._save()
        # The live Parquet file holds every part only if it saw them all from the first.
        self._live: Any = None
        self._live_parts = 0 if not self.manifest.parts else -1

    @property
    def resumed(self) -> bool:
        """Whether an earlier run had written parts."""
        return self.manifest.records > 0

    def _save(self) -> None:
        data = json.dumps(asdict(self.manifest), indent=1).encode("utf-8")
        _write_atomically(self.directory / _MANIFEST, data)

    def add(
        self,
        *,
        records: int,
        ids: Sequence[Any],
        lines: Sequence[int],
        vectors: npt.NDArray[np.float32],
        refused: Sequence[dict[str, Any]] = (),
    ) -> None:
        """Record one completed row group: ``records`` inputs, ``len(ids)`` of them embedded.

        Raises:
            CorpusFormatError: An id of another type than the earlier ones, or (``.npy``)
                one with a line break; the message names its line.
        """
        manifest = self.manifest
        name = f"part-{len(manifest.parts):06d}"
        if ids:
            self._check(ids, lines, vectors)
            if self.format == "parquet":
                self._write_parquet(name, ids, vectors)
            else:
                self._write_npy(name, ids, vectors)
        if refused:
            lines_out = b"".join(
                json.dumps(item, ensure_ascii=False).encode("utf-8") + b"\n" for item in refused
            )
            _write_atomically(self.directory / f"{name}.errors.jsonl", lines_out)
        manifest.parts.append(name)
        if self._live_parts >= 0:
            self._live_parts += 1
        manifest.records += records
        manifest.rows += len(ids)
        manifest.refused += len(refused)
        self._save()

    def mark_finished(self) -> None:
        """The input has been read to its end."""
        self.manifest.finished = True
        self._save()

    def _check(
        self, ids: Sequence[Any], lines: Sequence[int], vectors: npt.NDArray[np.float32]
    ) -> None:
        manifest = self.manifest
        if manifest.dimension is None:
            manifest.dimension = int(vectors.shape[1])
        elif vectors.shape[1] != manifest.dimension:
            raise CorpusFormatError(
                f"the server answered {vectors.shape[1]}-dimension vectors from line "
                f"{lines[0]}, {manifest.dimension} before: was the deployment's model changed?"
            )
        if manifest.id_kind is None:
            manifest.id_kind = "int" if _is_int(ids[0]) else "str"
        want_int = manifest.id_kind == "int"
        kinds = set(map(type, ids))  # one pass in C; the loop below only runs to name a culprit
        if kinds == {int} and want_int:
            return
        if (
            kinds == {str}
            and not want_int
            and (self.format != "npy" or not any("\n" in v or "\r" in v for v in ids))
        ):
            return
        for value, line in zip(ids, lines, strict=True):
            if want_int != _is_int(value) or not (want_int or isinstance(value, str)):
                raise CorpusFormatError(
                    f"line {line}: id {value!r} is not {'an integer' if want_int else 'a string'} "
                    "like the ids before it"
                )
            if self.format == "npy" and not want_int and ("\n" in value or "\r" in value):
                raise CorpusFormatError(f"line {line}: id {value!r} has a line break")

    def _write_parquet(
        self, name: str, ids: Sequence[Any], vectors: npt.NDArray[np.float32]
    ) -> None:
        import pyarrow as pa

        path = self.directory / f"{name}.arrow"
        temporary = path.with_name(path.name + ".tmp")
        table = _table(ids, vectors, self.manifest.id_kind)
        with pa.OSFile(str(temporary), "wb") as sink, pa.ipc.new_file(sink, table.schema) as out:
            out.write_table(table)
        _sync_and_rename(temporary, path)
        if self._live_parts == len(self.manifest.parts):
            if self._live is None:
                self._live = _parquet_writer(self._output_file(), table.schema)
            self._live.write_table(table)

    def _write_npy(self, name: str, ids: Sequence[Any], vectors: npt.NDArray[np.float32]) -> None:
        # Ids first: a part's rows are only looked for once its name is in the manifest.
        _write_atomically(
            self.directory / f"{name}.ids",
            "".join(f"{value}\n" for value in ids).encode("utf-8"),
        )
        _write_atomically(
            self.directory / f"{name}.f32", np.ascontiguousarray(vectors, dtype="<f4").tobytes()
        )

    def finish(self) -> Path:
        """Join the parts into the output, rename it into place, remove the partial directory."""
        manifest = self.manifest
        errors = errors_path(self.output)
        if manifest.refused:
            self._join([f"{p}.errors.jsonl" for p in manifest.parts], errors)
        elif errors.exists():
            errors.unlink()  # from an earlier output of the same name
        temporary = self._output_file()
        if self.format == "parquet":
            if self._live is not None and self._live_parts == len(manifest.parts):
                self._live.close()  # every part is in it already: only the footer is left
            else:
                self._finish_parquet(temporary)
        else:
            self._join([f"{p}.ids" for p in manifest.parts], ids_path(self.output))
            self._finish_npy(temporary)
        _sync_and_rename(temporary, self.output)
        shutil.rmtree(self.directory)
        return self.output

    def _output_file(self) -> Path:
        return self.directory / ("output" + self.output.suffix)

    def _present(self, names: Sequence[str]) -> list[Path]:
        return [self.directory / n for n in names if (self.directory / n).exists()]

    def _join(self, names: Sequence[str], target: Path) -> None:
        temporary = self.directory / (target.name + ".joined")
        with open(temporary, "wb") as out:
            for path in self._present(names):
                with open(path, "rb") as part:
                    shutil.copyfileobj(part, out)
        _sync_and_rename(temporary, target)

    def _finish_parquet(self, temporary: Path) -> None:
        import pyarrow as pa

        manifest = self.manifest
        parts = self._present([f"{p}.arrow" for p in manifest.parts])
        schema = _schema(manifest.dimension or 0, manifest.id_kind or "int")
        if self._live is not None:
            self._live.close()
        with _parquet_writer(temporary, schema) as writer:
            for path in parts:  # one row group per part, memory-mapped: one at a time
                with pa.memory_map(str(path)) as source:
                    writer.write_table(pa.ipc.open_file(source).read_all())

    def _finish_npy(self, temporary: Path) -> None:
        manifest = self.manifest
        shape = (manifest.rows, manifest.dimension or 0)
        with open(temporary, "wb") as out:
            header = {"descr": "<f4", "fortran_order": False, "shape": shape}
            np.lib.format.write_array_header_1_0(out, header)
            for path in self._present([f"{p}.f32" for p in manifest.parts]):
                with open(path, "rb") as part:
                    shutil.copyfileobj(part, out, 1 << 20)


def _parquet_writer(path: Path, schema: Any) -> Any:
    # Float32 vectors gain nothing from dictionary encoding or compression, nor from
    # min/max statistics (no query filters on a vector's components): skip all three,
    # which makes writing a row group about 3x cheaper. The ids keep their statistics.
    pq = require_pyarrow("Parquet output")
    return pq.ParquetWriter(
        path, schema, use_dictionary=False, compression="none", write_statistics=["id"]
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _schema(dimension: int, id_kind: str) -> Any:
    import pyarrow as pa

    id_type = pa.int64() if id_kind == "int" else pa.string()
    return pa.schema(
        [pa.field("id", id_type, nullable=False), ("embedding", pa.list_(pa.float32(), dimension))]
    )


def _table(ids: Sequence[Any], vectors: npt.NDArray[np.float32], id_kind: str | None) -> Any:
    # Arrays are built on buffers, not with pa.array: no copy of the vectors, no
    # per-value conversion, and no import of pandas (which pa.array triggers, a
    # fraction of a second of CPU taken from the request threads).
    import pyarrow as pa

    schema = _schema(int(vectors.shape[1]), id_kind or "int")
    values = np.ascontiguousarray(vectors, dtype="<f4")
    flat = pa.Array.from_buffers(pa.float32(), values.size, [None, pa.py_buffer(values)])
    embedding = pa.FixedSizeListArray.from_arrays(flat, int(vectors.shape[1]))
    return pa.Table.from_arrays([_id_array(ids, id_kind or "int"), embedding], schema=schema)


def _id_array(ids: Sequence[Any], id_kind: str) -> Any:
    """The ids as an Arrow ``int64`` or ``string`` array (checked by ``_check`` already)."""
    import pyarrow as pa

    if id_kind == "int":
        numbers = np.fromiter(ids, dtype=np.int64, count=len(ids))  # OverflowError past int64
        return pa.Array.from_buffers(pa.int64(), len(ids), [None, pa.py_buffer(numbers)])
    encoded = [value.encode("utf-8") for value in ids]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)), out=offsets[1:])
    if offsets[-1] > np.iinfo(np.int32).max:  # past string's 32-bit offsets
        return pa.array(ids, type=pa.string())
    buffers = [None, pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(b"".join(encoded))]
    return pa.Array.from_buffers(pa.string(), len(encoded), buffers)


def _difference(before: dict[str, Any], now: dict[str, Any]) -> str:
    changed = [key for key in sorted(set(before) | set(now)) if before.get(key) != now.get(key)]
    return ", ".join(f"{key}: {before.get(key)!r} then, {now.get(key)!r} now" for key in changed)
