"""Cross-cutting request handling: CORS, API-key authentication, errors to responses."""

from __future__ import annotations

__all__ = ["authentication", "cors", "errors"]

import logging

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from oci_tei_local._errors import Rejection, TEIError
from oci_tei_local._routes_native import json_response
from oci_tei_local._routes_openai import OPENAI_PATHS
from oci_tei_local._settings import ServerSettings

logger = logging.getLogger(__name__)

#: Routes TEI 1.9 serves without the API key (TEI 1.5.0 protected every route).
PUBLIC_PATHS = frozenset({"/health", "/", "/ping", "/metrics"})
_VARY = "origin, access-control-request-method, access-control-request-headers"


def cors(settings: ServerSettings) -> Middleware:
    """TEI's CORS layer: GET/POST with ``Content-Type``; any origin unless restricted."""
    origins = settings.cors_allow_origin
    any_origin = origins is None or "*" in origins

    def allowed(origin: str) -> str | None:
        if any_origin:
            return "*"
        return origin if origins is not None and origin in origins else None

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        if (
            origin is not None
            and request.method == "OPTIONS"
            and "Access-Control-Request-Method" in request.headers
        ):
            response: web.StreamResponse = web.Response()
            response.headers["Access-Control-Allow-Methods"] = "GET,POST"
            response.headers["Access-Control-Allow-Headers"] = "content-type"
        else:
            response = await handler(request)
        response.headers["Vary"] = _VARY
        allow = allowed(origin) if origin is not None else None
        if allow is not None:
            response.headers["Access-Control-Allow-Origin"] = allow
        return response

    return middleware


def errors(settings: ServerSettings) -> Middleware:
    """Turn TEI errors and framework rejections into the responses TEI sends."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except TEIError as error:
            logger.error("%s %s: %s", request.method, request.path, error.message)
            if request.path in OPENAI_PATHS:
                body = error.openai_body(settings.compat)
            else:
                body = error.native_body(settings.compat)
            return json_response(body, status=error.status(settings.compat))
        except Rejection as rejection:
            logger.info("%s %s rejected: %s", request.method, request.path, rejection)
            if not rejection.text:
                return web.Response(status=rejection.status, headers=rejection.headers)
            return web.Response(
                status=rejection.status,
                text=rejection.text,
                content_type="text/plain",
                charset="utf-8",
                headers=rejection.headers,
            )
        except web.HTTPException as exc:
            if exc.status in (404, 405):
                # axum answers unknown routes and wrong methods with an empty body.
                headers = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
                return web.Response(status=exc.status, headers=headers)
            raise

    return middleware


def authentication(settings: ServerSettings) -> Middleware:
    """``--api-key``: ``Authorization: Bearer <key>`` or 401 with an empty body."""
    api_key = settings.api_key

    def protected(request: web.Request) -> bool:
        if settings.compat == "1.5":
            return True
        unknown = request.match_info.http_exception
        if unknown is not None and unknown.status == 404:
            return False
        return not (request.path in PUBLIC_PATHS and request.method != "POST")

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if api_key is not None and protected(request):
            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            if scheme != "Bearer" or not api_key.matches(token):
                return web.Response(status=401)
        return await handler(request)

    return middleware
