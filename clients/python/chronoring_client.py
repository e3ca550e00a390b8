"""A small Python client of Chronoring over gRPC (grpcio).

    from chronoring_client import ChronoringClient, ChronoringError, job_pb2, schedule_pb2

    with ChronoringClient("http://127.0.0.1:7070") as c:        # token: $CHRONORING_TOKEN
        job = c.create_job(
            name="nightly", owner="team-a",
            schedule=schedule_pb2.ScheduleSpec(cron="0 3 * * *", time_zone="Europe/Berlin"),
            target=job_pb2.JobTarget(noop=job_pb2.NoopTarget()),
        )
        c.call(c.calendars.ListCalendars, calendar_service_pb2.ListCalendarsRequest())

Every RPC of every service is reachable as `c.call(c.<stub>.<Method>, request)`
(stubs: jobs, calendars, workflows, dead_letters, cluster, health); the
methods below wrap the common JobService calls. A failed call raises
ChronoringError with the status code, the field at fault (InvalidArgument
messages start with it: `schedule.cron: ...`) and a hint on what to do.

Needs grpcio and protobuf (Debian: python3-grpcio, python3-protobuf; use
/usr/bin/python3, which they are installed for) and protoc to generate the
stubs on first use (see stubs.py).
"""

from __future__ import annotations

import os
import re
import sys
from typing import Any, Callable
from urllib.parse import unquote, urlsplit

try:
    import grpc
except ImportError as err:  # pragma: no cover - depends on the interpreter
    raise ImportError(
        f"grpcio is not installed for {sys.executable} ({err}). On Debian: "
        "apt-get install python3-grpcio python3-protobuf, and run /usr/bin/python3."
    ) from err

from stubs import ensure_stubs

ensure_stubs()

# Generated modules, re-exported for building requests.
from chronoring.v1 import (  # noqa: E402
    calendar_service_pb2,
    calendar_service_pb2_grpc,
    cluster_service_pb2,
    cluster_service_pb2_grpc,
    dead_letter_service_pb2,
    dead_letter_service_pb2_grpc,
    execution_pb2,
    job_pb2,
    job_service_pb2,
    job_service_pb2_grpc,
    schedule_pb2,
    workflow_service_pb2,
    workflow_service_pb2_grpc,
)
import health_pb2  # noqa: E402
import health_pb2_grpc  # noqa: E402

__all__ = [
    "ChronoringClient",
    "ChronoringError",
    "calendar_service_pb2",
    "cluster_service_pb2",
    "dead_letter_service_pb2",
    "execution_pb2",
    "health_pb2",
    "job_pb2",
    "job_service_pb2",
    "schedule_pb2",
    "workflow_service_pb2",
]

_HINTS = {
    grpc.StatusCode.INVALID_ARGUMENT: "fix the request field named first in the message",
    grpc.StatusCode.NOT_FOUND: "no such job, execution, calendar, workflow or worker",
    grpc.StatusCode.ALREADY_EXISTS: "the name or idempotency key is taken",
    grpc.StatusCode.FAILED_PRECONDITION: "the object's current state forbids this",
    grpc.StatusCode.ABORTED: "it changed meanwhile (expected_version): read it again and retry",
    grpc.StatusCode.UNAUTHENTICATED: "send a valid token: set CHRONORING_TOKEN or pass token=",
    grpc.StatusCode.PERMISSION_DENIED: "the token's role may not make this call",
    grpc.StatusCode.RESOURCE_EXHAUSTED: "a limit was reached; slow down or retry later",
    grpc.StatusCode.UNAVAILABLE: "Chronoring or one of its backends cannot be reached; retry later",
    grpc.StatusCode.DEADLINE_EXCEEDED: "no answer within the deadline",
    grpc.StatusCode.INTERNAL: "a server fault; the message holds an id to find it in the server log",
}

# `schedule.cron: ...`, `job.name: ...`, `execution_ids[1]: ...`
_FIELD = re.compile(r"^([a-z_][a-z0-9_]*(?:\[\d+\])?(?:\.[a-z_][a-z0-9_]*(?:\[\d+\])?)*): ")


class ChronoringError(Exception):
    """A failed call: `code` (grpc.StatusCode), `message`, `field` (or None), `hint`."""

    def __init__(self, code: grpc.StatusCode, message: str, method: str = ""):
        self.code = code
        # grpc-message is percent-encoded on the wire; grpcio may leave some escapes.
        self.message = unquote(message or "")
        m = _FIELD.match(self.message) if code == grpc.StatusCode.INVALID_ARGUMENT else None
        self.field = m.group(1) if m else None
        self.hint = _HINTS.get(code, "")
        self.method = method
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.method}: " if self.method else ""
        field = f' (field "{self.field}")' if self.field else ""
        hint = f" - {self.hint}" if self.hint else ""
        return f"{where}{self.code.name}{field}: {self.message}{hint}"

    @classmethod
    def from_rpc(cls, err: grpc.RpcError, method: str = "") -> "ChronoringError":
        return cls(err.code(), err.details() or "", method)  # type: ignore[attr-defined]


def _channel(url: str) -> grpc.Channel:
    """`http://host:port` is h2c (no TLS), `https://host[:port]` TLS with the system roots."""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not a Chronoring URL: {url!r} (want http://host:port or https://host)")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    target = f"{parts.hostname}:{port}"
    if parts.scheme == "https":
        return grpc.secure_channel(target, grpc.ssl_channel_credentials())
    return grpc.insecure_channel(target)


class ChronoringClient:
    """Stubs of every service on one channel, each call with a deadline and the token."""

    def __init__(self, url: str, token: str | None = None, timeout: float = 10.0):
        self.url = url
        self.timeout = timeout
        token = token if token is not None else os.environ.get("CHRONORING_TOKEN", "")
        # Plain metadata, not call credentials: grpcio sends those only over TLS, and a
        # cluster-internal API is often h2c behind a TLS-terminating proxy.
        self._metadata = (("authorization", f"Bearer {token}"),) if token else ()
        self._channel = _channel(url)
        self.jobs = job_service_pb2_grpc.JobServiceStub(self._channel)
        self.calendars = calendar_service_pb2_grpc.CalendarServiceStub(self._channel)
        self.workflows = workflow_service_pb2_grpc.WorkflowServiceStub(self._channel)
        self.dead_letters = dead_letter_service_pb2_grpc.DeadLetterServiceStub(self._channel)
        self.cluster = cluster_service_pb2_grpc.ClusterServiceStub(self._channel)
        self.health = health_pb2_grpc.HealthStub(self._channel)

    def __enter__(self) -> "ChronoringClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._channel.close()

    def call(self, method: Callable[..., Any], request: Any) -> Any:
        """One unary call of any stub method; raises ChronoringError on failure."""
        try:
            return method(request, timeout=self.timeout, metadata=self._metadata)
        except grpc.RpcError as err:
            # The stub's full method name, for the message; grpcio keeps it unexported.
            name = getattr(method, "_method", b"")
            name = name.decode() if isinstance(name, bytes) else str(name)
            raise ChronoringError.from_rpc(err, name.rsplit("/", 1)[-1]) from None

    def check_health(self, service: str = "") -> str:
        """`SERVING`, `NOT_SERVING`, ... of the server ("") or of one service."""
        res = self.call(self.health.Check, health_pb2.HealthCheckRequest(service=service))
        return health_pb2.HealthCheckResponse.ServingStatus.Name(res.status)

    def create_job(self, **fields: Any) -> job_pb2.Job:
        return self.call(self.jobs.CreateJob, job_service_pb2.CreateJobRequest(**fields)).job

    def get_job(self, job_id: str) -> job_pb2.Job:
        return self.call(self.jobs.GetJob, job_service_pb2.GetJobRequest(id=job_id)).job

    def pause_job(self, job_id: str) -> job_pb2.Job:
        return self.call(self.jobs.PauseJob, job_service_pb2.PauseJobRequest(id=job_id)).job

    def resume_job(self, job_id: str) -> job_pb2.Job:
        return self.call(self.jobs.ResumeJob, job_service_pb2.ResumeJobRequest(id=job_id)).job

    def trigger_job(self, job_id: str) -> execution_pb2.Execution:
        req = job_service_pb2.TriggerJobRequest(id=job_id)
        return self.call(self.jobs.TriggerJob, req).execution

    def list_executions(self, job_id: str, page_size: int = 50) -> list[execution_pb2.Execution]:
        req = job_service_pb2.ListExecutionsRequest(job_id=job_id, page_size=page_size)
        return list(self.call(self.jobs.ListExecutions, req).executions)

    def delete_job(self, job_id: str) -> job_pb2.Job:
        return self.call(self.jobs.DeleteJob, job_service_pb2.DeleteJobRequest(id=job_id)).job


def job_status(job: job_pb2.Job) -> str:
    """`ACTIVE`, `PAUSED`, ... of a job."""
    return job_pb2.JobStatus.Name(job.status).removeprefix("JOB_STATUS_")


def execution_status(execution: execution_pb2.Execution) -> str:
    """`QUEUED`, `SUCCEEDED`, ... of an execution."""
    return execution_pb2.ExecutionStatus.Name(execution.status).removeprefix("EXECUTION_STATUS_")
