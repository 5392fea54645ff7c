"""``oci-tei embed INPUT --output OUTPUT``: a corpus into vectors, streamed and resumable.

Records are read lazily, embedded through :meth:`EmbeddingClient.stream_chunks` (a bounded
number of inputs in flight, answers in input order) and written one row group at a time
into ``OUTPUT.partial/`` (see :mod:`oci_tei.corpus._store`); memory is bounded by the row
group and the requests in flight, whatever the input's size. After a crash, a SIGKILL or
Ctrl-C the same command continues after the last recorded row group; ``--restart``
starts over. An input the server refuses stops the run (exit 1) naming its id and line,
with everything before it kept; ``--on-error skip`` lists it in ``OUTPUT.errors.jsonl``
and goes on.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from oci_tei._auth import AUTH_TYPES
from oci_tei.corpus._readers import (
    FORMATS,
    STDIN,
    CorpusFormatError,
    Record,
    count_records,
    detect_format,
    read_records,
)

__all__ = ["add_client_arguments", "client_options", "configure_embed", "run_embed"]


def add_client_arguments(parser: argparse.ArgumentParser) -> None:
    """The endpoint, auth and client flags (the options of ``EmbeddingClient``)."""
    endpoint = parser.add_argument_group("endpoint and auth")
    endpoint.add_argument(
        "--endpoint",
        help="predict URL, Model Deployment OCID, or TEI URL (default: $OCI_TEI_ENDPOINT)",
    )
    endpoint.add_argument(
        "--auth", choices=AUTH_TYPES, help="OCI identity (default: automatic, as the client)"
    )
    endpoint.add_argument("--profile", help="profile in the OCI config file")
    endpoint.add_argument("--config-file", help="OCI config file (default ~/.oci/config)")
    endpoint.add_argument("--region", help="region of an OCID endpoint")
    endpoint.add_argument(
        "--route", help="container route, e.g. /embed (default: the deployment's)"
    )
    client = parser.add_argument_group("client")
    client.add_argument("--batch-size", type=int, help="inputs per request (default 32)")
    client.add_argument("--max-concurrency", type=int, help="requests in flight (default 8)")
    client.add_argument(
        "--max-request-bytes", type=int, help="largest request body (default 2000000, TEI's)"
    )
    client.add_argument(
        "--server-permits",
        type=int,
        help="the server's --max-concurrent-requests (default 512, TEI's)",
    )
    client.add_argument(
        "--max-requests-per-second",
        type=float,
        help="stay under this request rate (OCI allows 150/s per tenancy; default: no limit)",
    )
    client.add_argument("--max-retries", type=int, help="retries per batch (default 5)")
    client.add_argument("--timeout", type=float, help="seconds per attempt (default 60)")
    client.add_argument("--dimensions", type=int, help="shorter vectors (TEI 1.8+, Matryoshka)")
    client.add_argument(
        "--instruction", help="prepended to every input (e.g. 'passage: ' for e5 models)"
    )


_CLIENT_FLAGS = {
    "endpoint": "endpoint",
    "auth": "auth",
    "profile": "profile",
    "config_file": "config_file",
    "region": "region",
    "route": "route",
    "batch_size": "batch_size",
    "max_concurrency": "max_concurrency",
    "max_request_bytes": "max_request_bytes",
    "server_permits": "server_permits",
    "max_requests_per_second": "max_requests_per_second",
    "max_retries": "max_retries",
    "timeout": "timeout",
    "dimensions": "dimensions",
    "instruction": "document_instruction",
}


def client_options(args: argparse.Namespace) -> dict[str, Any]:
    """``EmbeddingClient`` keyword options from the flags that were given."""
    return {
        option: getattr(args, flag)
        for flag, option in _CLIENT_FLAGS.items()
        if getattr(args, flag, None) is not None
    }


def configure_embed(parser: argparse.ArgumentParser) -> None:
    """Flags of ``oci-tei embed``."""
    parser.add_argument(
        "input",
        help="JSON Lines, Parquet, CSV or text (one input per line); - = JSON Lines on stdin",
    )
    parser.add_argument(
        "--output", "-o", required=True, type=Path, help="OUTPUT.parquet, or OUTPUT.npy (+ .ids)"
    )
    parser.add_argument("--input-format", choices=FORMATS, help="default: from the suffix")
    parser.add_argument("--text-field", default="text", help="field or column of the text")
    parser.add_argument(
        "--id-field", help="field or column of the id (default: the line, or row, number)"
    )
    parser.add_argument(
        "--row-group-size",
        type=int,
        default=4096,
        help="inputs per row group: the unit written, recorded and resumed (default 4096)",
    )
    parser.add_argument(
        "--on-error",
        choices=("stop", "skip"),
        default="stop",
        help="an input the server refuses: stop (default), or skip it into OUTPUT.errors.jsonl",
    )
    parser.add_argument(
        "--restart", action="store_true", help="discard a partial or finished output; start over"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_client_arguments(parser)


def _signature(args: argparse.Namespace, fmt: str, output_format: str) -> dict[str, Any]:
    """What must not change between a run and its resumption."""
    identity: dict[str, Any] = {"input": args.input}
    if args.input != STDIN:
        stat = os.stat(args.input)
        identity = {
            "input": os.path.abspath(args.input),
            "size": stat.st_size,
            "mtime_ns": stat.st_mtime_ns,
        }
    return {
        **identity,
        "input_format": fmt,
        "text_field": args.text_field,
        "id_field": args.id_field,
        "instruction": args.instruction,
        "dimensions": args.dimensions,
        "output_format": output_format,
    }


def run_embed(args: argparse.Namespace) -> int:
    """Run ``oci-tei embed``; returns the exit status (0 done, 1 stopped, 2 bad usage)."""
    from oci_tei._client import EmbeddingClient
    from oci_tei.corpus._store import PartialOutput, output_format

    output: Path = args.output
    try:
        out_format = output_format(output)
        fmt = detect_format(args.input, args.input_format)
        if args.row_group_size < 1:
            raise ValueError("--row-group-size must be positive")
        if args.input != STDIN and not os.path.isfile(args.input):
            raise ValueError(f"{args.input}: no such file")
        partial = output.with_name(output.name + ".partial")
        if output.exists() and not partial.exists() and not args.restart:
            print(f"{output} is complete; --restart embeds the input again", file=sys.stderr)
            return 0
        # Offline checks of the endpoint and options first: a typo leaves nothing behind.
        client = EmbeddingClient(**client_options(args))
        store = PartialOutput(output, _signature(args, fmt, out_format), restart=args.restart)
    except (ValueError, OSError) as exc:  # ResumeMismatch, CorpusFormatError, pydantic's
        print(f"oci-tei embed: {exc}", file=sys.stderr)
        return 2
    return _Run(args, fmt, store).execute(client)


class _Run:
    """One invocation: reads, embeds, writes, reports."""

    def __init__(self, args: argparse.Namespace, fmt: Any, store: Any) -> None:
        self.args = args
        self.fmt = fmt
        self.store = store
        self.pending: deque[Record] = deque()  # read, not yet written: bounded by the stream
        self.embedded = 0
        self.refused = 0
        # Row groups are written on a thread of their own (pyarrow and fsync release the
        # GIL), one at a time, while the next one is embedded.
        from oci_tei._scheduler import quiet_thread

        self._writer = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="oci-tei-writer", initializer=quiet_thread
        )
        self._writing: Future[None] | None = None

    def _write(self, **part: Any) -> None:
        self._flush()
        self._writing = self._writer.submit(self.store.add, **part)

    def _flush(self) -> None:
        # Forgotten only once finished: Ctrl-C during the wait leaves it for the handler,
        # which waits again, so the row group being written counts and is reported.
        from oci_tei._scheduler import result

        writing = self._writing
        if writing is not None:
            result(writing)  # in slices: a pending Ctrl-C is raised at once
            self._writing = None

    def _texts(self, records: Iterator[Record]) -> Iterator[Any]:
        for record in records:
            self.pending.append(record)
            yield record.text

    def execute(self, client: Any) -> int:
        """Embed what is left, finish the output, print the closing line."""
        from oci_tei._errors import OCITEIError

        args, store = self.args, self.store
        done = store.manifest.records
        if store.resumed and not store.manifest.finished:
            print(f"resuming after {done} inputs already embedded", file=sys.stderr)
        started = time.monotonic()
        bar = None
        try:
            if not store.manifest.finished:
                total = count_records(args.input, self.fmt)
                bar = _progress_bar(total, done, disable=args.no_progress)
                status = self._embed(client, bar, done)
                if status:
                    return status
            store.finish()
        except CorpusFormatError as exc:
            print(f"oci-tei embed: {exc}; fix it and re-run to continue", file=sys.stderr)
            return 1
        except OCITEIError as exc:
            print(f"oci-tei embed: stopped: {exc}; re-run to continue", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            with contextlib.suppress(Exception):
                self._flush()  # the row group being written counts
            print(
                f"\ninterrupted after {store.manifest.records} inputs; the same command "
                "continues from there",
                file=sys.stderr,
            )
            return 130
        finally:
            # A row group being written is finished: whatever stopped the run, it counts.
            with contextlib.suppress(Exception):
                self._flush()
            self._writer.shutdown()
            if bar is not None:
                bar.close()
            self._report(client, time.monotonic() - started)
            client.close()
        return 0

    def _embed(self, client: Any, bar: Any, done: int) -> int:
        args, store = self.args, self.store
        records = read_records(
            args.input, self.fmt, text_field=args.text_field, id_field=args.id_field, skip=done
        )
        chunks = client.stream_chunks(
            self._texts(records),
            chunk_size=args.row_group_size,
            on_refusal="skip" if args.on_error == "skip" else "stop",
        )
        for chunk in chunks:
            group = [self.pending.popleft() for _ in range(chunk.count)]
            refused = {refusal.index - chunk.start: refusal.error for refusal in chunk.refused}
            if refused and args.on_error == "stop":
                ((position, error),) = refused.items()
                kept = group[:position]
                self._write(
                    records=len(kept),
                    ids=[r.id for r in kept],
                    lines=[r.line for r in kept],
                    vectors=chunk.results,
                )
                self._flush()
                self.embedded += len(kept)
                record = group[position]
                print(
                    f"\noci-tei embed: {_where(args.input, record)} was refused: "
                    f"{_reason(error)}. Everything before it is kept; fix it, or re-run with "
                    "--on-error skip to list it in "
                    f"{store.output.name}.errors.jsonl and go on",
                    file=sys.stderr,
                )
                return 1
            kept = [r for i, r in enumerate(group) if i not in refused]
            self._write(
                records=len(group),
                ids=[r.id for r in kept],
                lines=[r.line for r in kept],
                vectors=chunk.results,
                refused=[_refusal_entry(group[i], error) for i, error in refused.items()],
            )
            self.embedded += len(kept)
            self.refused += len(refused)
            bar.update(len(group))
        self._flush()
        store.mark_finished()
        return 0

    def _report(self, client: Any, seconds: float) -> None:
        usage = client.usage()
        rate = self.embedded / seconds if seconds > 0 else 0.0
        print(
            f"embedded {self.embedded} inputs in {seconds:.1f} s ({rate:.0f} vectors/s), "
            f"{self.refused} refused, {usage.retries} retries, "
            f"{usage.bytes_total / 1e6:.1f} MB moved in {usage.requests} requests"
            + (f" -> {self.store.output}" if not self.store.directory.exists() else ""),
        )


def _progress_bar(total: int | None, done: int, *, disable: bool) -> Any:
    from tqdm.auto import tqdm

    # disable=None: no bar when stderr is not a terminal (logs, CI).
    return tqdm(
        total=total,
        initial=done,
        unit=" inputs",
        desc="Embedding",
        disable=True if disable else None,
        dynamic_ncols=True,
        smoothing=0.1,
    )


def _where(path: str, record: Record) -> str:
    name = "<stdin>" if path == STDIN else path
    return f"{name}:{record.line} (id {record.id!r})"


def _reason(error: Any) -> str:
    parts = [error.message]
    if error.status is not None:
        parts.append(f"status {error.status}")
    if error.opc_request_id:
        parts.append(f"opc-request-id {error.opc_request_id}")
    return ", ".join(parts)


def _refusal_entry(record: Record, error: Any) -> dict[str, Any]:
    return {
        "id": record.id,
        "line": record.line,
        "status": error.status,
        "error_type": error.error_type,
        "message": error.message,
        "opc_request_id": error.opc_request_id,
    }
