"""``oci-tei embed`` against the real local server: every input format, both outputs,
SIGKILL and resume (counted on the server), refused inputs, malformed lines."""

from __future__ import annotations

import csv
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from oci_tei._cli import main
from oci_tei._client import EmbeddingClient

pq = pytest.importorskip("pyarrow.parquet")
import pyarrow as pa  # noqa: E402


def corpus(count: int) -> list[str]:
    return [
        f"record {i}: a sentence about rivers, mountains and vector search" for i in range(count)
    ]


def embed_cli(*args: object) -> int:
    return main(["embed", *map(str, args), "--no-progress"])


def expected_vectors(url: str, texts: list[str]) -> np.ndarray:
    with EmbeddingClient(endpoint=url) as client:
        return client.embed_array(texts)


def read_parquet(path: Path) -> tuple[list[object], np.ndarray]:
    table = pq.read_table(path)
    assert pa.types.is_fixed_size_list(table.schema.field("embedding").type)
    assert table.schema.field("embedding").type.value_type == pa.float32()
    flat = table.column("embedding").combine_chunks().flatten().to_numpy()
    return table.column("id").to_pylist(), flat.reshape(len(table), -1)


def write_input(tmp_path: Path, fmt: str, texts: list[str]) -> tuple[Path, list[object]]:
    """The corpus in ``fmt``, with a blank line where the format allows, and its ids."""
    if fmt == "jsonl":
        path = tmp_path / "in.jsonl"
        lines = [json.dumps({"text": t, "doc": f"doc-{i}"}) for i, t in enumerate(texts)]
        path.write_text("\n".join([*lines[:5], "", *lines[5:]]) + "\n")
        return path, [f"doc-{i}" for i in range(len(texts))]
    if fmt == "parquet":
        path = tmp_path / "in.parquet"
        table = pa.table({"body": texts, "doc": [f"doc-{i}" for i in range(len(texts))]})
        pq.write_table(table, path, row_group_size=16)
        return path, [f"doc-{i}" for i in range(len(texts))]
    if fmt == "csv":
        path = tmp_path / "in.csv"
        with open(path, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["doc", "text"])
            writer.writerows([[f"doc-{i}", t] for i, t in enumerate(texts)])
        return path, [f"doc-{i}" for i in range(len(texts))]
    path = tmp_path / "in.txt"
    path.write_text("\n".join([*texts[:3], "", *texts[3:]]) + "\n")
    # Default ids: line numbers; the blank line is line 4, not an input.
    return path, [*range(1, 4), *range(5, len(texts) + 2)]


@pytest.mark.parametrize("fmt", ["jsonl", "parquet", "csv", "text"])
def test_each_input_format_into_parquet(tmp_path, server, fmt):
    texts = corpus(57)
    path, ids = write_input(tmp_path, fmt, texts)
    out = tmp_path / "vectors.parquet"
    fields = [] if fmt == "text" else ["--id-field", "doc"]
    if fmt == "parquet":
        fields += ["--text-field", "body"]
    code = embed_cli(path, "-o", out, "--endpoint", server.url, *fields, "--row-group-size", 20)
    assert code == 0
    got_ids, vectors = read_parquet(out)
    assert got_ids == ids
    assert np.array_equal(vectors, expected_vectors(server.url, texts))
    assert pq.ParquetFile(out).num_row_groups == 3  # 20 + 20 + 17
    assert not (tmp_path / "vectors.parquet.partial").exists()


def test_standard_input_into_npy_with_ids(tmp_path, server):
    texts = corpus(23)
    lines = "".join(json.dumps({"text": t}) + "\n" for t in texts)
    out = tmp_path / "vectors.npy"
    done = subprocess.run(
        [sys.executable, "-m", "oci_tei", "embed", "-", "-o", str(out),
         "--endpoint", server.url, "--row-group-size", "10"],
        input=lines, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    vectors = np.load(out)
    assert vectors.dtype == np.float32
    assert np.array_equal(vectors, expected_vectors(server.url, texts))
    assert (tmp_path / "vectors.ids").read_text().split() == [str(i) for i in range(1, 24)]
    # The closing line: count, time, rate, retries, bytes.
    assert "embedded 23 inputs in" in done.stdout
    for part in ("vectors/s", "0 retries", "MB moved"):
        assert part in done.stdout


@pytest.fixture(autouse=True)
def _ctrl_c_reaches_children():
    """Children start with SIGINT at its default, even when pytest itself ignores it.

    A shell starts a background job (``pytest ... &``) with SIGINT ignored, and an ignored
    signal stays ignored across exec: the ``oci-tei embed`` these tests Ctrl-C would never
    see it. A handled signal is reset to its default in a child, so pytest handles it here.
    """
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        yield
        return
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _wait_for(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


@pytest.mark.parametrize("how", ["SIGKILL", "SIGINT"])  # a crash, and Ctrl-C
def test_killed_then_resumed_equals_an_uninterrupted_run_and_sends_each_input_once(
    tmp_path, server, model, how
):
    texts = corpus(75)
    path, _ = write_input(tmp_path, "jsonl", texts)
    reference = tmp_path / "reference.parquet"
    flags = ["--endpoint", server.url, "--id-field", "doc", "--row-group-size", "10"]
    # One request of 10 at a time: what the server has answered is exactly the recorded
    # row groups when the held request comes in.
    flags += ["--batch-size", "10", "--max-concurrency", "1"]
    assert embed_cli(path, "-o", reference, *flags) == 0

    out = tmp_path / "vectors.parquet"
    manifest = tmp_path / "vectors.parquet.partial" / "manifest.json"
    model.hold_after(30)  # the model stalls after 30 inputs: the run is caught mid-way
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "oci_tei", "embed", str(path), "-o", str(out), *flags],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        _wait_for(
            lambda: (
                model.held.is_set()
                and manifest.exists()
                and json.loads(manifest.read_text())["records"] == 30
            )
        )
        os.kill(process.pid, getattr(signal, how))
        if how == "SIGINT":
            time.sleep(0.5)
            model.release()  # the request in flight ends; the process exits
            _, err = process.communicate(timeout=60)
            assert process.returncode == 130
            assert "interrupted after 30 inputs; the same command continues" in err
        else:
            process.wait(timeout=30)
            assert process.returncode == -signal.SIGKILL
    finally:
        model.release()
    assert not out.exists()  # the output appears only complete

    assert embed_cli(path, "-o", out, *flags) == 0
    assert read_parquet(out)[0] == read_parquet(reference)[0]
    assert np.array_equal(read_parquet(out)[1], read_parquet(reference)[1])
    # Server side: across the killed run and the resumed one, the model embedded each
    # input exactly once.
    assert len(model.asked) == len(texts)
    assert set(model.asked.values()) == {1}


@pytest.fixture
def cpu_load():
    """A busy loop on a core while the test runs: races show under load (#16)."""
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    yield
    busy.kill()
    busy.wait()


@pytest.mark.parametrize(
    ("moment", "at", "recorded"),
    [
        ("counting", 0, {0}),  # before anything is sent
        ("reading", 45, {20, 30, 40}),  # the reader stalls on input 45
        ("queued", 3, {20, 30}),  # request 3 (inputs 30..39) waits for its turn, unsent
        ("writing", 30, {30}),  # the row group 20..29 is being written
    ],
)
def test_ctrl_c_at_any_moment_exits_130_and_the_rerun_completes_it(
    tmp_path, server, model, cpu_load, moment, at, recorded
):
    texts = corpus(75)
    path, _ = write_input(tmp_path, "jsonl", texts)
    flags = ["--endpoint", server.url, "--id-field", "doc", "--row-group-size", "10"]
    flags += ["--batch-size", "10", "--max-concurrency", "1"]
    if moment == "queued":
        flags += ["--max-requests-per-second", "1000"]  # a limiter whose turn can stall
    reference = tmp_path / "reference.parquet"
    assert embed_cli(path, "-o", reference, *flags) == 0

    out, marker = tmp_path / "vectors.parquet", tmp_path / "reached"
    probe = [sys.executable, "-m", "tests.corpus.interrupt_probe", moment, str(marker), str(at)]
    process = subprocess.Popen(
        [*probe, "embed", str(path), "-o", str(out), *flags],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        _wait_for(marker.exists)
        os.kill(process.pid, signal.SIGINT)
        _, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130, err
    said = re.search(r"interrupted after (\d+) inputs; the same command continues", err)
    assert said, err
    manifest = json.loads((tmp_path / "vectors.parquet.partial" / "manifest.json").read_text())
    # The message tells what was kept: the row group being written counts.
    assert int(said.group(1)) == manifest["records"]
    assert manifest["records"] in recorded
    assert not out.exists()

    model.reset()
    assert embed_cli(path, "-o", out, *flags) == 0
    assert read_parquet(out)[0] == read_parquet(reference)[0]
    assert np.array_equal(read_parquet(out)[1], read_parquet(reference)[1])
    # The rerun sent exactly the inputs that were not kept, each once.
    assert sum(model.asked.values()) == len(texts) - manifest["records"]
    assert set(model.asked.values()) == {1}


def test_ctrl_c_handled_by_another_thread_still_interrupts_a_request_in_flight(
    tmp_path, server, model, cpu_load
):
    # The race of #16: SIGINT taken by a thread other than the main one, while the main
    # thread waits for a held request. The main thread must notice at once, not when the
    # request ends (here: dropped by the server, 424), which used to exit 1 "stopped".
    texts = corpus(75)
    path, _ = write_input(tmp_path, "jsonl", texts)
    flags = ["--endpoint", server.url, "--id-field", "doc", "--row-group-size", "10"]
    flags += ["--batch-size", "10", "--max-concurrency", "1"]
    reference = tmp_path / "reference.parquet"
    assert embed_cli(path, "-o", reference, *flags) == 0

    out, trigger = tmp_path / "vectors.parquet", tmp_path / "interrupt"
    manifest = tmp_path / "vectors.parquet.partial" / "manifest.json"
    model.hold_after(30)
    probe = [sys.executable, "-m", "tests.corpus.interrupt_probe", "bystander", str(trigger), "0"]
    process = subprocess.Popen(
        [*probe, "embed", str(path), "-o", str(out), *flags],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    lines: queue.Queue[str] = queue.Queue()
    assert process.stderr is not None
    reader = threading.Thread(target=lambda: [lines.put(line) for line in process.stderr])
    reader.start()
    try:
        _wait_for(
            lambda: (
                model.held.is_set()
                and manifest.exists()
                and json.loads(manifest.read_text())["records"] == 30
            )
        )
        trigger.touch()
        # Said while the request is still held: the main thread did not wait for it.
        said = ""
        while "interrupted" not in said:
            said = lines.get(timeout=20)
        assert model.held.is_set()
    finally:
        model.release()  # the held request ends (refused, 424) and the process exits
        process.wait(timeout=60)
        reader.join()
    assert process.returncode == 130
    assert "interrupted after 30 inputs; the same command continues" in said

    assert embed_cli(path, "-o", out, *flags) == 0
    assert read_parquet(out)[0] == read_parquet(reference)[0]
    assert np.array_equal(read_parquet(out)[1], read_parquet(reference)[1])
    assert len(model.asked) == len(texts)
    assert set(model.asked.values()) == {1}


def test_a_refused_input_stops_the_run_then_skip_lists_it(tmp_path, strict_server, model):
    texts = corpus(40)
    texts[13] = "word " * 2000  # over 256 tokens: refused with auto-truncate off
    path, _ = write_input(tmp_path, "jsonl", texts)  # record 13 is on line 15 (a blank line)
    out = tmp_path / "vectors.parquet"
    flags = ["--endpoint", strict_server.url, "--id-field", "doc", "--row-group-size", "8"]
    flags += ["--max-concurrency", "1"]
    model.reset()
    assert embed_cli(path, "-o", out, *flags) == 1
    manifest = json.loads((tmp_path / "vectors.parquet.partial" / "manifest.json").read_text())
    assert manifest["records"] == 13  # everything before the refused input is kept
    assert not out.exists()

    # One request at a time: the model first sees records 0..12 in order.
    before = list(model.asked.items())[:13]
    assert embed_cli(path, "-o", out, *flags, "--on-error", "skip") == 0
    # The re-run started at the refused input: nothing before it was sent again.
    assert [(key, model.asked[key]) for key, _ in before] == before
    ids, vectors = read_parquet(out)
    assert ids == [f"doc-{i}" for i in range(40) if i != 13]
    kept = [t for i, t in enumerate(texts) if i != 13]
    assert np.array_equal(vectors, expected_vectors(strict_server.url, kept))
    errors = [json.loads(line) for line in (tmp_path / "vectors.parquet.errors.jsonl").open()]
    assert len(errors) == 1
    assert (errors[0]["id"], errors[0]["line"]) == ("doc-13", 15)
    assert errors[0]["status"] in (413, 422)
    assert "tokens" in errors[0]["message"]


def test_the_stop_message_names_id_and_line(tmp_path, strict_server, capsys):
    texts = corpus(12)
    texts[7] = "word " * 2000
    path, _ = write_input(tmp_path, "text", texts)  # blank line 4: record 7 is on line 9
    assert embed_cli(path, "-o", tmp_path / "v.npy", "--endpoint", strict_server.url) == 1
    err = capsys.readouterr().err
    assert f"{path}:9 (id 9) was refused" in err
    assert "--on-error skip" in err


def test_a_malformed_line_names_its_line_number(tmp_path, server, capsys):
    path = tmp_path / "in.jsonl"
    path.write_text('{"text": "one"}\n{"text": "two"}\n\n{"text": "three"\n{"text": "four"}\n')
    assert embed_cli(path, "-o", tmp_path / "v.parquet", "--endpoint", server.url) == 1
    assert f"{path}:4: not valid JSON" in capsys.readouterr().err
    path.write_text('{"text": "one"}\n{"body": "two"}\n')
    assert embed_cli(path, "-o", tmp_path / "w.parquet", "--endpoint", server.url) == 1
    assert f"{path}:2: no 'text' field" in capsys.readouterr().err


def test_other_options_on_resume_are_refused_and_restart_starts_over(tmp_path, server, capsys):
    path, _ = write_input(tmp_path, "jsonl", corpus(5))
    out = tmp_path / "v.npy"
    partial = tmp_path / "v.npy.partial"
    partial.mkdir()
    (partial / "manifest.json").write_text(
        json.dumps({"signature": {"input": "elsewhere"}, "records": 3, "parts": ["x"]})
    )
    assert embed_cli(path, "-o", out, "--endpoint", server.url) == 2
    assert "--restart" in capsys.readouterr().err
    assert embed_cli(path, "-o", out, "--endpoint", server.url, "--restart") == 0
    assert np.load(out).shape == (5, 384)
    assert embed_cli(path, "-o", out, "--endpoint", server.url) == 0  # complete: nothing to do
    assert "is complete" in capsys.readouterr().err


def test_parquet_output_without_pyarrow_says_which_extra(tmp_path, monkeypatch, capsys):
    path, _ = write_input(tmp_path, "text", corpus(2))
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)  # as if not installed
    with pytest.raises(SystemExit, match=r"oci-tei\[corpus\]"):
        embed_cli(path, "-o", tmp_path / "v.parquet", "--endpoint", "http://127.0.0.1:9")


def test_a_missing_endpoint_is_refused_before_anything_is_written(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("OCI_TEI_ENDPOINT", raising=False)
    path, _ = write_input(tmp_path, "text", corpus(2))
    assert embed_cli(path, "-o", tmp_path / "v.npy") == 2
    assert "OCI_TEI_ENDPOINT" in capsys.readouterr().err
    assert not (tmp_path / "v.npy.partial").exists()


def test_ids_of_another_type_than_the_first_name_their_line(tmp_path, server, capsys):
    path = tmp_path / "in.jsonl"
    rows = [{"text": "one", "doc": "a"}, {"text": "two", "doc": 2}]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    flags = ["--endpoint", server.url, "--id-field", "doc"]
    assert embed_cli(path, "-o", tmp_path / "v.parquet", *flags) == 1
    assert "line 2: id 2 is not a string" in capsys.readouterr().err
