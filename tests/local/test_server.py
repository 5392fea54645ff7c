"""``LocalServer``'s lifecycle, startup checks, logs and metrics."""

from __future__ import annotations

import io
import json
import logging
import re
import threading
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from aiohttp import web

from oci_tei_local import Backend, LocalServer, ServerSettings, StartupError
from oci_tei_local._app import build_app
from oci_tei_local._logs import configure_logging
from tests.local.model_dirs import model_dir_like_bundled
from tests.local.test_batching import GatedBackend


def settings(**overrides: object) -> ServerSettings:
    return ServerSettings(**{"port": 0, "hostname": "127.0.0.1", **overrides})  # type: ignore[arg-type]


def test_lifecycle(tei_backend: Backend) -> None:
    server = LocalServer(settings(), backend=tei_backend)
    assert not server.running
    assert "stopped" in repr(server)
    with pytest.raises(RuntimeError, match="not started"):
        _ = server.url
    with server:
        assert server.running
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", server.url)
        assert server.start() is server  # already serving: no-op
        assert httpx.get(server.url + "/health").status_code == 200
    assert not server.running
    server.stop()  # idempotent
    server.start()  # and restartable
    try:
        assert httpx.get(server.url + "/health").status_code == 200
    finally:
        server.stop()


def test_stop_lets_in_flight_requests_finish(tei_backend: Backend) -> None:
    gated = GatedBackend(tei_backend)
    server = LocalServer(settings(), backend=gated).start()
    result: list[httpx.Response] = []
    request = threading.Thread(
        target=lambda: result.append(httpx.post(server.url + "/embed", json={"inputs": "a"}))
    )
    request.start()
    assert gated.entered.acquire(timeout=30)
    stopper = threading.Thread(target=server.stop)
    stopper.start()
    gated.gate.set()
    request.join(30)
    stopper.join(30)
    assert result
    assert result[0].status_code == 200
    assert not server.running


def test_port_in_use(tei_server: LocalServer, tei_backend: Backend) -> None:
    with pytest.raises(StartupError, match="Could not bind TCP Listener"):
        LocalServer(settings(port=tei_server.port), backend=tei_backend).start()


def test_a_failure_other_than_binding_is_reported_as_itself(
    tei_backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A startup hook that fails (the batcher, say) is no bind failure: say what it was.
    from oci_tei_local import _server as server_module

    def build_failing_app(*args: object) -> web.Application:
        app = build_app(*args)  # type: ignore[arg-type]

        async def fail(_: web.Application) -> None:
            raise RuntimeError("the batcher could not start")

        app.on_startup.append(fail)
        return app

    monkeypatch.setattr(server_module, "build_app", build_failing_app)
    server = LocalServer(settings(), backend=tei_backend)
    with pytest.raises(StartupError) as info:
        server.start()
    assert "RuntimeError: the batcher could not start" in str(info.value)
    assert "bind" not in str(info.value)
    assert not server.running


def test_backend_must_match_settings(tei_backend: Backend, tmp_path: Path) -> None:
    other = model_dir_like_bundled(tmp_path / "other")
    with pytest.raises(StartupError, match="the backend serves"):
        LocalServer(settings(model_id=str(other)), backend=tei_backend).start()
    with pytest.raises(StartupError, match="the backend runs float32"):
        LocalServer(settings(dtype="float16"), backend=tei_backend).start()
    with pytest.raises(StartupError, match="splade pooling needs"):
        LocalServer(settings(pooling="splade"), backend=tei_backend).start()


def test_max_batch_tokens_below_max_input_length(
    tei_backend: Backend, start_tei_server: Callable[..., LocalServer]
) -> None:
    with pytest.raises(StartupError, match=r"exceeds `--max-batch-tokens=100`"):
        LocalServer(settings(max_batch_tokens=100, auto_truncate=False), tei_backend).start()
    for compat in ("1.5", "1.9"):
        server = start_tei_server(max_batch_tokens=100, compat=compat, auto_truncate=True)
        assert httpx.get(server.url + "/info").json()["max_input_length"] == 100
        response = httpx.post(server.url + "/embed", json={"inputs": "word " * 300})
        assert response.headers["x-compute-tokens"] == "100"


def test_startup_logs_hide_the_api_key(
    tei_backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="oci_tei_local")
    with LocalServer(settings(api_key="very-secret-key"), backend=tei_backend) as server:
        httpx.post(server.url + "/embed", json={"inputs": "x"})
    assert "very-secret-key" not in caplog.text
    assert "'api_key': '**********'" in caplog.text
    assert "Ready" in caplog.text


def test_json_log_lines() -> None:
    stream = io.StringIO()
    configure_logging(json_output=True, stream=stream)
    try:
        logging.getLogger("oci_tei_local.test").warning("hello %s", "world")
    finally:
        for name in ("oci_tei", "aiohttp"):
            logger = logging.getLogger(name)
            logger.handlers.clear()
            logger.propagate = True
            logger.setLevel(logging.NOTSET)
    event = json.loads(stream.getvalue().strip())
    assert event["level"] == "WARN"
    assert event["message"] == "hello world"
    assert event["target"] == "oci_tei_local.test"
    assert {"timestamp", "filename", "line_number"} <= event.keys()


def test_failure_metrics_by_error_type(start_tei_server: Callable[..., LocalServer]) -> None:
    server = start_tei_server(served_model_name="metrics-probe", auto_truncate=False)
    with httpx.Client(base_url=server.url) as client:

        def count(series: str) -> float:
            match = re.search(rf"^{re.escape(series)} (\S+)$", client.get("/metrics").text, re.M)
            return float(match.group(1)) if match else 0.0

        before = {
            name: count(name)
            for name in (
                'te_request_failure{err="batch_size"}',
                'te_request_failure{err="validation"}',
                'te_request_failure{err="tokenization"}',
                'te_request_failure{err="model_type"}',
                'te_request_count{method="batch"}',
                'te_request_success{method="batch"}',
                "te_embed_count",
                "te_request_duration_count",
            )
        }
        client.post("/embed", json={"inputs": ["a"] * 33})
        client.post("/tokenize", json={"inputs": []})
        client.post("/embed", json={"inputs": ["word " * 300]})
        client.post("/rerank", json={"query": "q", "texts": ["t"]})
        client.post("/embed", json={"inputs": ["a", "b"]})
        after = {name: count(name) for name in before}
    delta = {name: after[name] - before[name] for name in before}
    assert delta == {
        'te_request_failure{err="batch_size"}': 1,
        'te_request_failure{err="validation"}': 1,
        'te_request_failure{err="tokenization"}': 1,
        'te_request_failure{err="model_type"}': 1,
        'te_request_count{method="batch"}': 3,
        'te_request_success{method="batch"}': 1,
        "te_embed_count": 3,
        "te_request_duration_count": 1,
    }


def test_histogram_exposition(tei_server: LocalServer) -> None:
    httpx.post(tei_server.url + "/embed", json={"inputs": "hello"})
    text = httpx.get(tei_server.url + "/metrics").text
    assert "# TYPE te_request_input_length histogram" in text
    buckets = re.findall(r'^te_request_input_length_bucket\{le="([^"]+)"\} (\d+)$', text, re.M)
    bounds = [b for b, _ in buckets]
    assert bounds[:3] == ["1", "2", "4"]
    assert bounds[-2:] == ["256", "+Inf"]
    counts = [int(c) for _, c in buckets]
    assert counts == sorted(counts)  # cumulative
    assert re.search(
        r'^te_request_duration_bucket\{le="0.000015000000000000002"\} \d+$', text, re.M
    )
