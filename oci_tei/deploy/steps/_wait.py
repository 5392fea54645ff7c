"""Wait for a deployment to settle, showing what OCI reports on the way.

oracle-ads' own wait only logs failures, and a deployment can take 25 minutes on a GPU
shape, so the wait here shows, as they appear: lifecycle state changes, each work
request's status and ``percentComplete``, its new log lines and its errors. It checks
the final state itself and fails loudly with OCI's reason: ``lifecycleDetails`` and the
work-request errors.

Polling starts fast (1 s) and backs off to the caller's interval, so a deployment that is
ready at once is not waited on, and a long one costs few calls.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from oci_tei.deploy._errors import DeployError
from oci_tei.deploy._session import backoff, list_all
from oci_tei.deploy.manage import predict_endpoint
from oci_tei.deploy.spec import DeploySpec
from oci_tei.deploy.steps._step import DeployRun, PlannedStep, RunOptions, Step

if TYPE_CHECKING:
    from oci_tei.deploy._session import DeploySession

__all__ = [
    "IN_PROGRESS_STATES",
    "WORK_REQUEST_DONE",
    "WaitActive",
    "WorkRequestWatcher",
    "wait_for_deployment",
    "wait_until_active",
]

IN_PROGRESS_STATES = ("CREATING", "UPDATING")
WORK_REQUEST_DONE = ("SUCCEEDED", "FAILED", "CANCELED")
#: With nothing new for this long, a line says the wait goes on (GPU shapes take minutes).
HEARTBEAT_S = 120.0


@dataclass
class WorkRequestWatcher:
    """Echoes what is new in a deployment's work requests since the last poll.

    Attributes:
        client: An ``oci.data_science.DataScienceClient``.
        compartment_id: The deployment's compartment (work requests are listed by it).
        deployment_id: The deployment whose work requests are shown.
        echo: Where lines go.
        work_request_id: Show only this work request (an update's), not all of them.
        history: Also show work requests that had finished before the first poll (a
            resumed wait leaves them out: they were shown when they ran).
    """

    client: Any
    compartment_id: str
    deployment_id: str
    echo: Callable[[str], None]
    work_request_id: str | None = None
    history: bool = True
    shown: int = 0
    _seen: set[str] = field(default_factory=set)
    _status: dict[str, tuple[str, float]] = field(default_factory=dict)

    def _requests(self) -> list[Any]:
        if self.work_request_id is not None:
            return [self.client.get_work_request(self.work_request_id).data]
        listed = list_all(
            self.client.list_work_requests, self.compartment_id, resource_id=self.deployment_id
        )
        return sorted(listed, key=lambda request: request.time_accepted)

    def poll(self) -> list[str]:
        """Echo new progress, log lines and errors; return every error message so far."""
        errors = []
        first_poll = not self._status
        for request in self._requests():
            status = (str(request.status), float(request.percent_complete or 0.0))
            quiet = first_poll and not self.history and status[0] in WORK_REQUEST_DONE
            echo = (lambda line: None) if quiet else self._show
            if self._status.get(request.id) != status:
                self._status[request.id] = status
                echo(f"  {request.operation_type}: {status[0]} {status[1]:.0f}%")
            for entry in list_all(self.client.list_work_request_logs, request.id):
                if self._is_new(request.id, "log", entry.timestamp, entry.message):
                    echo(f"    {entry.message}")
            for error in list_all(self.client.list_work_request_errors, request.id):
                errors.append(f"{error.code}: {error.message}")
                if self._is_new(request.id, "error", error.timestamp, error.message):
                    echo(f"    error {error.code}: {error.message}")
        return errors

    def _show(self, line: str) -> None:
        self.shown += 1
        self.echo(line)

    @property
    def watched_status(self) -> str | None:
        """The last status of the one work request watched (None when watching all)."""
        if self.work_request_id is None:
            return None
        return self._status.get(self.work_request_id, ("ACCEPTED", 0.0))[0]

    def _is_new(self, request_id: str, kind: str, timestamp: Any, message: str) -> bool:
        key = f"{request_id}|{kind}|{timestamp}|{message}"
        if key in self._seen:
            return False
        self._seen.add(key)
        return True


def wait_for_deployment(
    client: Any,
    deployment_id: str,
    watcher: WorkRequestWatcher,
    *,
    echo: Callable[[str], None],
    timeout_s: float,
    poll_cap_s: float,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
    target: str = "ACTIVE",
) -> Any:
    """Poll until the deployment is ``target`` (and the watched work request, if one, done).

    ``target`` is ACTIVE (create, update, activate) or INACTIVE (deactivate: the state
    reads ACTIVE, then UPDATING, until the work request is done).

    Returns:
        The deployment's full record.

    Raises:
        DeployError: It ended in another state (FAILED...) or is still in progress after
            ``timeout_s``; the message carries OCI's reason and the work-request errors.
    """
    started = clock()
    deadline = started + timeout_s
    delays = backoff(poll_cap_s)
    last: tuple[str, str] | None = None
    quiet_since, shown = started, watcher.shown
    settling: tuple[str, ...] = (*IN_PROGRESS_STATES, target)
    if target == "INACTIVE":
        settling = (*settling, "ACTIVE", "NEEDS_ATTENTION")
    while True:
        deployment = client.get_model_deployment(deployment_id).data
        status = (str(deployment.lifecycle_state), str(deployment.lifecycle_details or ""))
        if status != last:
            echo(f"  {status[0]}{': ' + status[1] if status[1] else ''}")
            last, quiet_since = status, clock()
        errors = watcher.poll()
        if watcher.shown != shown:
            quiet_since, shown = clock(), watcher.shown
        elif clock() - quiet_since >= HEARTBEAT_S:
            echo(f"  still {status[0]} after {(clock() - started) / 60:.0f} min")
            quiet_since = clock()
        watched = watcher.watched_status
        if watched in ("FAILED", "CANCELED"):
            raise DeployError(
                f"work request {watcher.work_request_id} {watched}; the deployment is "
                f"{status[0]} (work request errors: {'; '.join(errors) or 'none'})",
                step="wait",
            )
        if status[0] == target and watched in (None, *WORK_REQUEST_DONE):
            return deployment
        if status[0] not in settling:
            detail = f": {status[1]}" if status[1] else ""
            unseen = [error for error in errors if status[1] not in error] if status[1] else errors
            more = f" (work request errors: {'; '.join(unseen)})" if unseen else ""
            raise DeployError(
                f"deployment {deployment_id} is {status[0]}{detail}{more}; "
                "`oci-tei logs` shows its work requests",
                step="wait",
            )
        if clock() >= deadline:
            raise DeployError(
                f"deployment {deployment_id} still {status[0]} after {timeout_s / 60:.0f} min; "
                "re-run the command to keep waiting",
                step="wait",
            )
        sleep(min(next(delays), max(0.0, deadline - clock())))


def wait_until_active(
    session: DeploySession,
    deployment_id: str,
    compartment_id: str,
    *,
    timeout_s: float,
    work_request_id: str | None = None,
    history: bool = True,
    target: str = "ACTIVE",
) -> Any:
    """Poll until ACTIVE, echoing state changes and work-request progress, logs, errors.

    oracle-ads only logs failures, so the final state is checked here.

    Args:
        session: Clients, output and pacing.
        deployment_id: The deployment.
        compartment_id: Its compartment.
        timeout_s: Give up after this long.
        work_request_id: Show only this work request (an update's); default: all of
            the deployment's.
        history: Also show work requests finished before the wait began.
        target: The state to wait for: ACTIVE, or INACTIVE after a deactivation.

    Raises:
        DeployError: FAILED (with OCI's reason and work-request errors), or timeout.
    """
    client = session.data_science()
    watcher = WorkRequestWatcher(
        client, compartment_id, deployment_id, session.echo, work_request_id, history
    )
    return wait_for_deployment(
        client,
        deployment_id,
        watcher,
        echo=session.echo,
        timeout_s=timeout_s,
        poll_cap_s=session.poll_interval_s,
        sleep=session.sleep,
        clock=session.clock,
        target=target,
    )


class WaitActive(Step):
    """Wait until the deployment is ACTIVE, showing work-request progress and errors."""

    key = "wait"
    label = "wait"

    def describe(self, spec: DeploySpec, options: RunOptions) -> PlannedStep | None:
        """The timeout and what fails the wait."""
        if not options.wait:
            return None
        return PlannedStep(
            self.key,
            "Wait until the deployment is ACTIVE, showing work-request progress and errors",
            {
                "timeout": f"{int(options.timeout_s) // 60} min",
                "fails on": "FAILED (with its reason)",
            },
        )

    def wanted(self, run: DeployRun) -> bool:
        """Unless ``--no-wait``."""
        return run.options.wait

    def headline(self, run: DeployRun) -> str:
        """What the line says."""
        return "until ACTIVE"

    def run(self, run: DeployRun) -> None:
        """``run.deployment``: the ACTIVE record."""
        if run.deployment_id is None:
            raise DeployError("no deployment to wait for", step=self.key)
        run.deployment = wait_until_active(
            run.session,
            run.deployment_id,
            run.spec.compartment_id,
            timeout_s=run.options.timeout_s,
            history=run.existing is None,
        )
        run.endpoint = predict_endpoint(run.deployment)
