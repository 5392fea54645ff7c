"""Assemble one server: limits, tokenizer, batcher, routes and middleware in an aiohttp app."""

from __future__ import annotations

__all__ = ["build_app"]

import logging
from typing import Any

from aiohttp import web

from oci_tei_local import _middleware as middleware
from oci_tei_local import _routes_native as routes_native
from oci_tei_local import _routes_openai as routes_openai
from oci_tei_local._backend import Backend
from oci_tei_local._batching import Batcher
from oci_tei_local._errors import StartupError
from oci_tei_local._infer import Infer
from oci_tei_local._metrics import Metrics
from oci_tei_local._model_files import resolve_model_dir
from oci_tei_local._permits import Permits
from oci_tei_local._settings import ServerSettings
from oci_tei_local._state import STATE, ServerState
from oci_tei_local._tokenization import Tokenization

logger = logging.getLogger(__name__)


def build_app(settings: ServerSettings, backend: Backend) -> web.Application:
    """Build the aiohttp application of one server.

    Args:
        settings: The server's settings.
        backend: The model (possibly shared with other servers).

    Returns:
        The application; its batcher starts with it and stops at cleanup.

    Raises:
        StartupError: Settings that TEI refuses to start with, or that the backend
            cannot honour.
    """
    _check_backend(settings, backend)
    pooling = settings.pooling or backend.files.pooling
    max_input_length = _max_input_length(settings, backend.files.base_max_input_length)
    default_prompt = _default_prompt(settings, backend)
    metrics = Metrics(max_input_length)
    tokenization = Tokenization(
        backend.files.tokenizer_path,
        max_input_length=max_input_length,
        workers=settings.effective_tokenization_workers,
        prompts=backend.files.prompts,
        default_prompt=default_prompt,
    )
    batcher = Batcher(
        backend,
        pooling=pooling,
        max_batch_tokens=settings.max_batch_tokens,
        max_batch_requests=settings.max_batch_requests,
        metrics=metrics,
    )
    infer = Infer(
        tokenization=tokenization,
        batcher=batcher,
        permits=Permits(settings.max_concurrent_requests),
        metrics=metrics,
        pooling=pooling,
        compat=settings.compat,
        classifier=backend.files.id2label is not None,
    )
    model_id = settings.model_id if settings.model_id is not None else backend.files.model_id
    served = settings.served_model_name or model_id
    state = ServerState(
        settings=settings,
        backend=backend,
        infer=infer,
        metrics=metrics,
        info=_info(settings, backend, model_id, served, pooling, max_input_length),
        served_model_name=served,
    )

    layers = [middleware.cors(settings), middleware.errors(settings)]
    auth = middleware.authentication(settings)
    # TEI 1.5.0 checked the key outside its CORS layer; 1.9 checks it per route, inside.
    app = web.Application(
        middlewares=[auth, *layers] if settings.compat == "1.5" else [*layers, auth]
    )
    app[STATE] = state
    _add_routes(app, settings, pooling, backend.files.kind)

    async def start(_: web.Application) -> None:
        batcher.start()

    async def stop(_: web.Application) -> None:
        await batcher.close()
        tokenization.close()

    app.on_startup.append(start)
    app.on_cleanup.append(stop)
    return app


def _add_routes(app: web.Application, settings: ServerSettings, pooling: str, kind: str) -> None:
    # TEI's root route follows the model: /predict, /rerank, or an embedding route.
    if kind == "classifier":
        root = routes_native.predict
    elif kind == "reranker":
        root = routes_native.rerank
    elif settings.task == "sentence-similarity":
        root = routes_native.similarity
    elif pooling == "splade":
        root = routes_native.embed_sparse
    else:
        root = routes_native.embed
    app.router.add_get("/info", routes_native.info)
    for path in ("/health", "/", "/ping"):
        app.router.add_get(path, routes_native.health)
    app.router.add_get("/metrics", routes_native.metrics)
    posts = {
        "/embed": routes_native.embed,
        "/embed_all": routes_native.embed_all,
        "/embed_sparse": routes_native.embed_sparse,
        "/predict": routes_native.predict,
        "/rerank": routes_native.rerank,
        "/similarity": routes_native.similarity,
        "/tokenize": routes_native.tokenize,
        "/decode": routes_native.decode,
        "/embeddings": routes_openai.embeddings,
        "/v1/embeddings": routes_openai.embeddings,
        "/vertex": routes_native.vertex,
        "/": root,
        "/invocations": root,
    }
    for path, handler in posts.items():
        app.router.add_post(path, handler)


def _check_backend(settings: ServerSettings, backend: Backend) -> None:
    files = backend.files
    if settings.model_id is not None and resolve_model_dir(settings.model_id) != files.root:
        raise StartupError(
            f"the backend serves {files.root}, but the settings ask for {settings.model_id}"
        )
    if settings.dtype is not None and settings.dtype != backend.dtype:
        raise StartupError(
            f"the backend runs {backend.dtype}, but the settings ask for {settings.dtype}"
        )
    if (settings.pooling == "splade") != (files.pooling == "splade") and settings.pooling:
        raise StartupError(
            "splade pooling needs a backend loaded with pooling='splade' "
            "(and a pooled backend cannot serve splade)"
        )


def _max_input_length(settings: ServerSettings, base: int) -> int:
    budget = settings.max_batch_tokens
    if base <= budget:
        logger.info("Maximum number of tokens per request: %d", base)
        return base
    if not settings.effective_auto_truncate and settings.compat != "1.5":
        raise StartupError(
            f"The maximum input length is `{base}` which exceeds `--max-batch-tokens={budget}`. "
            f"Either increase `--max-batch-tokens` to at least `{base}`, or set "
            "`--auto-truncate true` so that regardless the maximum input length, those are "
            f"truncated to `{budget}` tokens."
        )
    logger.warning(
        "The maximum input length is `%d` which exceeds `--max-batch-tokens=%d`. Input "
        "sequences will be truncated to `%d` tokens.",
        base,
        budget,
        budget,
    )
    return budget


def _default_prompt(settings: ServerSettings, backend: Backend) -> str | None:
    name = settings.default_prompt_name
    if name is None:
        return settings.default_prompt
    prompts = backend.files.prompts
    if prompts is None:
        raise StartupError(
            f"`default-prompt-name` is set to `{name}` but no prompts were found in the "
            "Sentence Transformers configuration"
        )
    if name not in prompts:
        available = "[" + ", ".join(f'"{key}"' for key in prompts) + "]"
        raise StartupError(
            f"`default-prompt-name` is set to `{name}` but it was not found in the Sentence "
            f"Transformers prompts. Available prompts: {available}"
        )
    return prompts[name]


def _info(
    settings: ServerSettings,
    backend: Backend,
    model_id: str,
    served: str,
    pooling: str,
    max_input_length: int,
) -> dict[str, Any]:
    info: dict[str, Any] = {
        "model_id": model_id,
        "model_sha": settings.revision,
        "model_dtype": backend.dtype,
    }
    if settings.compat != "1.5":  # added in TEI 1.6
        info["served_model_name"] = served
    info.update(
        {
            "model_type": _model_type(backend, pooling),
            "max_concurrent_requests": settings.max_concurrent_requests,
            "max_input_length": max_input_length,
            "max_batch_tokens": settings.max_batch_tokens,
            "max_batch_requests": settings.max_batch_requests,
            "max_client_batch_size": settings.max_client_batch_size,
            "auto_truncate": settings.effective_auto_truncate,
            "tokenization_workers": settings.effective_tokenization_workers,
            "version": settings.tei_version,
            "sha": None,
            "docker_label": None,
        }
    )
    return info


def _model_type(backend: Backend, pooling: str) -> dict[str, Any]:
    """``/info``'s ``model_type``: ``embedding`` with its pooling, or the classifier's labels."""
    labels = backend.files.id2label
    if labels is None:
        return {"embedding": {"pooling": pooling.replace("-", "_")}}
    label2id = {label: int(index) for index, label in labels.items()}
    return {backend.files.kind: {"id2label": dict(labels), "label2id": label2id}}
