"""The Model Deployment predict gateway: ``POST /{ocid}/predict`` and ``/predictWithResponseStream``.

Follows OCI's documented answers (model-dep-invoke.htm, model-dep-response-streaming-endpoint.htm):
405 MethodNotAllowed for any method but POST, 411 LengthRequired without Content-Length, 413 PayloadTooLarge over 10 MB (decided from
Content-Length before reading), 429 TooManyRequests over the tenancy request rate or the
LB bandwidth, 404 NotAuthorizedOrNotFound for an unknown deployment or a failed
authorization (an expired token included), 500 after the 60 s timeout, 503 when the model
server is unavailable, and 409 ExternalServerIncorrectState when the streaming endpoint gets
a non-streaming answer. Container answers otherwise pass through unchanged.

Each deployment is throttled at its own ``bandwidthMbps`` (an update changes it), under the
tenancy's 150 requests/s. The ``route`` header may name only a path the deployment
declared: its ``MODEL_DEPLOY_PREDICT_ENDPOINT`` or one of its ``customHttpEndpoints``
(the SDK's ``InferenceHttpEndpoint``: "the suffix part of the endpoint that will be
allowed for invocation"); any other route answers 404 (the status is inferred: OCI
documents the declaration, not the refusal).

In a strict tenancy a call is authorized once its signature over the body is verified:
the caller needs ``Predict``'s row of ``OPERATION_PERMISSIONS`` (``manage
data-science-model-deployments`` or ``{DATA_SCIENCE_MODEL_DEPLOYMENT_PREDICT}``, "Model
Deployment Policies") in the deployment's compartment (the tenancy for a target registered
with ``Emulator.register_deployment``, which has none); without it the answer is OCI's
documented 404 NotAuthorizedOrNotFound ("Model deployment not found or authorization
failed").
"""

from __future__ import annotations

__all__ = ["CONTEXT", "PREDICT_OBSERVERS", "PredictObserver", "add_routes"]

import asyncio
import time
from collections.abc import Callable, Mapping

import aiohttp
from aiohttp import web

from oci_tei.contract._permissions import OPERATION_PERMISSIONS
from oci_tei_emulator._context import EmulatorContext, GatewayTarget, logger, request_id
from oci_tei_emulator._errors import OCIError, not_found
from oci_tei_emulator._monitoring import record_predict
from oci_tei_emulator._network import half_rtt
from oci_tei_emulator._signature import Principal
from oci_tei_emulator._tenancy import TENANCY

CONTEXT = web.AppKey("oci_tei_emulator_context", EmulatorContext)
#: Called after each predict call with ``(app, ocid, method, path, status, seconds)``;
#: Log Search registers the writer of the deployment's access and predict logs here.
PredictObserver = Callable[[web.Application, str, str, str, int, float], None]
PREDICT_OBSERVERS = web.AppKey("oci_tei_predict_observers", list[PredictObserver])
DEFAULT_ROUTE = "/predict"
_PASSED_RESPONSE_HEADERS = ("content-type",)

_FAULTS: Mapping[str, tuple[int, str, str]] = {
    "429": (429, "TooManyRequests", "Too Many Requests."),
    "500": (500, "InternalServerError", "Internal Server Error."),
    "502": (502, "BadGateway", "Bad Gateway."),
    "503": (503, "ServiceUnavailable", "Model server unavailable."),
    "504": (504, "GatewayTimeout", "Gateway Timeout."),
}


def _timeout() -> OCIError:
    return OCIError(500, "InternalServerError", "Internal Server Error. Service Timeout.")


def _unavailable() -> OCIError:
    return OCIError(503, "ServiceUnavailable", "Model server unavailable.")


async def _admit(ctx: EmulatorContext, request: web.Request) -> int:
    """The checks OCI's load balancer makes before the body is read; returns the length."""
    raw = request.headers.get("Content-Length")
    if raw is None:
        raise OCIError(411, "LengthRequired", "Missing content length header.")
    try:
        length = int(raw)
    except ValueError:
        raise OCIError(400, "InvalidParameter", "Content-Length is not a number.") from None
    if length > ctx.config.max_payload_bytes:
        raise OCIError(413, "PayloadTooLarge", "The payload size limit is 10 MB.")
    if not ctx.limiter.allow():
        raise OCIError(
            429,
            "TooManyRequests",
            "Tenancy request-rate limit exceeded. Please use the OCI Console to submit a "
            "support ticket for your tenancy to increase the request limit.",
        )
    return length


def _check_bandwidth(ctx: EmulatorContext, target: GatewayTarget | None) -> None:
    shaper = target.shaper if target is not None else None
    if shaper is not None and shaper.enabled and shaper.backlog_s > ctx.config.bandwidth_backlog_s:
        raise OCIError(
            429,
            "TooManyRequests",
            "LB bandwidth limit exceeded. Consider increasing the provisioned load balancer "
            "bandwidth to avoid these errors.",
        )


async def _read_shaped(
    ctx: EmulatorContext, request: web.Request, target: GatewayTarget | None
) -> bytes:
    shaper = target.shaper if target is not None else ctx.shaper
    parts = []
    async for chunk in request.content.iter_chunked(shaper.chunk_bytes):
        await shaper.transfer(len(chunk))
        parts.append(chunk)
    return b"".join(parts)


async def _inject(ctx: EmulatorContext, request: web.Request) -> bool:
    """Apply the drawn fault: raise its error, or return True when the connection was reset."""
    fault = ctx.faults.draw()
    if fault is None:
        return False
    logger.info("injecting fault %s on %s", fault, request.path)
    if fault == "reset":
        if request.transport is not None:
            request.transport.abort()
        return True
    if fault == "stall":
        await asyncio.sleep(ctx.config.faults.stall_s)
        raise _timeout()
    status, code, message = _FAULTS[fault]
    headers = {"Retry-After": str(ctx.config.faults.retry_after_s)} if fault == "429" else None
    raise OCIError(status, code, message, headers)


def _target(ctx: EmulatorContext, ocid: str) -> GatewayTarget | None:
    with ctx.lock:
        return ctx.targets.get(ocid)


def _route(request: web.Request, target: GatewayTarget) -> str:
    route = request.headers.get("route") or target.predict_endpoint or DEFAULT_ROUTE
    if not route.startswith("/"):
        raise OCIError(400, "InvalidParameter", "The route header must be a path starting with /.")
    if target.routes is not None and route.split("?", 1)[0] not in target.routes:
        raise OCIError(
            404,
            "NotAuthorizedOrNotFound",
            f"Route {route} is not an endpoint of this model deployment; it declares "
            f"{', '.join(target.routes)} (customHttpEndpoints).",
        )
    return route


def _authorize(
    request: web.Request, principal: Principal, target: GatewayTarget, operation: str
) -> None:
    """In a strict tenancy, refuse a caller the policies do not let invoke the deployment."""
    tenancy = request.app.get(TENANCY)
    if tenancy is None or not tenancy.strict:
        return
    tenancy.authorize(
        tenancy.caller(principal),
        OPERATION_PERMISSIONS[operation],
        target.compartment_id or tenancy.config.tenancy_id,
        operation,
    )


def _response_headers(upstream: aiohttp.ClientResponse, request: web.Request) -> dict[str, str]:
    headers = {
        k: v
        for k, v in upstream.headers.items()
        if k.lower() in _PASSED_RESPONSE_HEADERS or k.lower().startswith("x-")
    }
    headers["opc-request-id"] = request_id(request)
    return headers


def _served_here(request: web.Request, target: GatewayTarget | None) -> GatewayTarget | None:
    """The target, if it answers on the request's host.

    A private deployment answers only on its private FQDN, a public one never on a
    private (``.localhost``) name.

    OCI: "It can't be accessed through a public endpoint" (model-dep-invoking-pe.htm); the
    404 NotAuthorizedOrNotFound it gets here is *inferred* (OCI documents no status).
    """
    if target is None:
        return None
    host = (request.host or "").rsplit(":", 1)[0].lower()
    if target.private_host is not None:
        return target if host == target.private_host.lower() else None
    return None if host.endswith(".localhost") else target


async def _invoke(request: web.Request, *, streaming: bool) -> web.StreamResponse:
    """One predict call, its metrics posted to Monitoring whatever it answers."""
    started = time.monotonic()
    status = 500
    try:
        response = await _forward(request, streaming=streaming)
        status = response.status
        return response
    except OCIError as exc:
        status = exc.status
        raise
    finally:
        target = _target(request.app[CONTEXT], request.match_info["ocid"])
        if target is not None:
            latency_ms = (time.monotonic() - started) * 1000.0
            record_predict(request.app, target.ocid, target.compartment_id, status, latency_ms)


async def _forward(request: web.Request, *, streaming: bool) -> web.StreamResponse:
    ctx = request.app[CONTEXT]
    await _admit(ctx, request)
    found = _served_here(request, _target(ctx, request.match_info["ocid"]))
    _check_bandwidth(ctx, found)
    body = await _read_shaped(ctx, request, found)
    principal = ctx.authenticate(request, body, expired_as_not_found=True)
    if found is None:
        raise not_found("model deployment")
    target = found
    _authorize(request, principal, target, "PredictWithResponseStream" if streaming else "Predict")
    if await _inject(ctx, request):
        return web.Response(status=500)  # never reaches the client: the transport is gone
    if not target.active or target.container_url is None or ctx.http is None:
        raise _unavailable()
    url = target.container_url.rstrip("/") + _route(request, target)
    await half_rtt(ctx.config.rtt_ms)
    forward = {"Content-Type": request.headers.get("Content-Type", "application/json")}
    if "Accept" in request.headers:
        forward["Accept"] = request.headers["Accept"]
    timeout = aiohttp.ClientTimeout(total=ctx.config.predict_timeout_s)
    try:
        async with ctx.http.post(url, data=body, headers=forward, timeout=timeout) as upstream:
            is_stream = upstream.headers.get("Transfer-Encoding", "").lower() == "chunked" or (
                upstream.content_type == "text/event-stream"
            )
            if streaming and upstream.status == 200 and not is_stream:
                raise OCIError(
                    409,
                    "ExternalServerIncorrectState",
                    "Unexpected nonstreaming response detected from the deployed model. "
                    "Check if the inference server returns the streaming response.",
                )
            response = web.StreamResponse(
                status=upstream.status, headers=_response_headers(upstream, request)
            )
            if streaming:
                await half_rtt(ctx.config.rtt_ms)
                await response.prepare(request)
                async for chunk in upstream.content.iter_any():
                    async for piece in target.shaper.chunks(chunk):
                        await response.write(piece)
                await response.write_eof()
                return response
            payload = await upstream.read()
    except asyncio.TimeoutError:
        raise _timeout() from None
    except aiohttp.ClientError as exc:
        logger.info("container %s unavailable: %s", target.container_url, exc)
        raise _unavailable() from None
    await half_rtt(ctx.config.rtt_ms)
    response.content_length = len(payload)
    await response.prepare(request)
    async for piece in target.shaper.chunks(payload):
        await response.write(piece)
    await response.write_eof()
    return response


async def _logged(request: web.Request, *, streaming: bool) -> web.StreamResponse:
    """Invoke, then tell the observers (the deployment's access and predict logs)."""
    started = time.monotonic()
    status = 500
    try:
        response = await _invoke(request, streaming=streaming)
        status = response.status
        return response
    except OCIError as exc:
        status = exc.status
        raise
    finally:
        elapsed = time.monotonic() - started
        for observe in request.app.get(PREDICT_OBSERVERS, ()):
            observe(
                request.app,
                request.match_info["ocid"],
                request.method,
                request.path,
                status,
                elapsed,
            )


async def predict(request: web.Request) -> web.StreamResponse:
    """``POST /{model_deployment_ocid}/predict``."""
    return await _logged(request, streaming=False)


async def predict_stream(request: web.Request) -> web.StreamResponse:
    """``POST /{model_deployment_ocid}/predictWithResponseStream``."""
    return await _logged(request, streaming=True)


async def method_not_allowed(request: web.Request) -> web.Response:
    """Any method but POST on a predict path: 405 MethodNotAllowed, as OCI documents."""
    raise OCIError(405, "MethodNotAllowed", "Method not allowed.", {"Allow": "POST"})


def add_routes(app: web.Application) -> None:
    """Register the gateway routes (after every fixed-prefix route)."""
    for path, handler in (
        ("/{ocid}/predict", predict),
        ("/{ocid}/predictWithResponseStream", predict_stream),
    ):
        app.router.add_post(path, handler)
        app.router.add_route("*", path, method_not_allowed)
