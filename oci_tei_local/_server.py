"""``LocalServer``: one TEI-compatible server on its own event loop in a background thread."""

from __future__ import annotations

__all__ = ["LocalServer"]

import contextlib
import ipaddress
import logging
import signal
import threading
from types import TracebackType

from aiohttp import web

from oci_tei_local._app import build_app
from oci_tei_local._app_thread import AppThread
from oci_tei_local._backend import Backend, load_backend
from oci_tei_local._errors import StartupError
from oci_tei_local._settings import ServerSettings

logger = logging.getLogger(__name__)

_START_TIMEOUT = 60.0
_STOP_TIMEOUT = 30.0


class LocalServer:
    """A local TEI-compatible embedding server.

    ``start()`` serves on a private event loop in a daemon thread and returns once the
    socket is bound; ``stop()`` drains in-flight requests and is idempotent. Servers may
    share one backend (``load_backend`` caches them), since loading a model takes seconds.

    Args:
        settings: The server's settings; defaults to ``ServerSettings()``.
        backend: A loaded model to share; ``None`` loads (or reuses) one for ``settings``.

    Example:
        >>> with LocalServer(ServerSettings(port=0)) as server:  # doctest: +SKIP
        ...     httpx.post(server.url + "/embed", json={"inputs": "hello"})
    """

    def __init__(
        self, settings: ServerSettings | None = None, backend: Backend | None = None
    ) -> None:
        self.settings = settings if settings is not None else ServerSettings()
        self._backend = backend
        self._thread = AppThread("oci-tei-server")
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._lock = threading.Lock()

    @property
    def backend(self) -> Backend:
        """The model served (loaded on first use)."""
        if self._backend is None:
            pooling = self.settings.pooling
            self._backend = load_backend(
                self.settings.model_id,
                # Pooling is applied per server; only SPLADE needs a different model head.
                pooling="splade" if pooling == "splade" else None,
                dtype=self.settings.dtype,
                revision=self.settings.revision,
            )
        return self._backend

    @property
    def running(self) -> bool:
        """Whether the server is serving."""
        return self._thread.running

    @property
    def port(self) -> int:
        """The bound port (the real one when ``port=0`` was asked)."""
        if self._port is None:
            raise RuntimeError("the server is not started")
        return self._port

    @property
    def url(self) -> str:
        """Base URL to reach the server, for example ``http://127.0.0.1:8080``."""
        host = self.settings.hostname
        if host == "0.0.0.0":
            host = "127.0.0.1"
        elif host == "::":
            host = "::1"
        if host != "localhost" and ipaddress.ip_address(host).version == 6:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    def start(self) -> LocalServer:
        """Load the model if needed, bind, and serve in the background.

        Returns:
            The server itself.

        Raises:
            ModelLoadError: The model cannot be loaded.
            StartupError: The settings are refused, the address cannot be bound, or the
                server failed to start for another reason (named in the message).
        """
        with self._lock:
            if self._thread.running:
                return self
            logger.info("Args %s", self.settings.redacted())
            app = build_app(self.settings, self.backend)
            address = f"{self.settings.hostname}:{self.settings.port}"
            try:
                self._port = self._thread.start(lambda: self._serve(app), _START_TIMEOUT)
            except TimeoutError as exc:  # before OSError: TimeoutError is one
                raise StartupError(f"the server did not start on {address}: {exc}") from exc
            except OSError as exc:
                raise StartupError(f"Could not bind TCP Listener on {address}: {exc}") from exc
            except Exception as exc:
                logger.exception("the server failed to start")
                raise StartupError(
                    f"the server failed to start on {address}: {type(exc).__name__}: {exc}"
                ) from exc
            logger.info("Starting HTTP server: %s", self.url)
            logger.info("Ready")
            return self

    def stop(self) -> None:
        """Stop serving after in-flight requests finish; safe to call more than once."""
        with self._lock:
            runner, self._runner = self._runner, None
            cleanup = runner.cleanup if runner is not None else None
            try:
                self._thread.stop(cleanup, _STOP_TIMEOUT)
            except Exception:  # the loop and thread ended anyway; say why draining failed
                logger.exception("the server did not shut down cleanly")
            self._port = None

    def serve_forever(self) -> None:
        """Start, then serve until SIGINT or SIGTERM (main thread) and stop gracefully."""
        stopping = threading.Event()
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, lambda *_: stopping.set())
        self.start()
        try:
            while not stopping.wait(0.5):
                pass
        finally:
            logger.info("signal received, starting graceful shutdown")
            self.stop()

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.url if self._port is not None else "stopped"
        return f"LocalServer({where}, compat={self.settings.compat})"

    async def _serve(self, app: web.Application) -> int:
        runner = web.AppRunner(
            app,
            access_log=None,
            handle_signals=False,
            shutdown_timeout=_STOP_TIMEOUT / 2,
            # axum does not decompress bodies; neither do we.
            auto_decompress=False,
        )
        try:
            await runner.setup()
            site = web.TCPSite(runner, self.settings.hostname, self.settings.port)
            await site.start()
        except BaseException:
            with contextlib.suppress(Exception):
                await runner.cleanup()
            raise
        self._runner = runner
        return int(runner.addresses[0][1])
