"""A scripted stand-in for a model container, for gateway behaviours no real model shows on cue.

It is a real HTTP server on loopback (slow answers, streaming, fixed statuses); the real TEI
server is used in the end-to-end tests.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from oci_tei_local._app_thread import AppThread


async def _embeddings(request: web.Request) -> web.Response:
    body = await request.read()
    return web.json_response(
        {"object": "list", "received": len(body), "route": request.path},
        headers={"x-compute-type": "cpu", "x-other": "1", "server-timing": "no"},
    )


async def _predict(request: web.Request) -> web.Response:
    return web.json_response(
        {"error": "Backend error: model is not a classifier", "error_type": "Backend"}, status=424
    )


async def _slow(request: web.Request) -> web.Response:
    await asyncio.sleep(float(request.query.get("s", "2")))
    return web.json_response({"slow": True})


async def _big(request: web.Request) -> web.Response:
    return web.Response(body=b"x" * int(request.query.get("n", "100000")))


async def _stream(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    for i in range(3):
        await response.write(f"data: {i}\n\n".encode())
    await response.write_eof()
    return response


class StubContainer:
    """Serve the stub on 127.0.0.1 in a thread; ``url`` once started."""

    def __init__(self) -> None:
        self.url = ""
        self._thread = AppThread("stub-container")
        self._runner: web.AppRunner | None = None

    def start(self) -> StubContainer:
        app = web.Application()
        app.router.add_post("/v1/embeddings", _embeddings)
        app.router.add_post("/predict", _predict)
        app.router.add_post("/slow", _slow)
        app.router.add_post("/big", _big)
        app.router.add_post("/stream", _stream)

        async def serve() -> str:
            self._runner = web.AppRunner(app)
            await self._runner.setup()
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            await site.start()
            host, port = self._runner.addresses[0][:2]
            return f"http://{host}:{port}"

        self.url = self._thread.start(serve, 10)
        return self

    def stop(self) -> None:
        runner = self._runner
        self._thread.stop(runner.cleanup if runner is not None else None, 10)
