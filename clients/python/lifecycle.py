#!/usr/bin/python3
"""A job's lifecycle against a Chronoring server, step by step, over gRPC.

    /usr/bin/python3 clients/python/lifecycle.py http://127.0.0.1:7070
    CHRONORING_TOKEN=eyJ... /usr/bin/python3 clients/python/lifecycle.py https://chronoring.example.com
    /usr/bin/python3 clients/python/lifecycle.py URL --token eyJ... --timeout 30

Checks health, then creates a weekday cron job with a noop target, gets it,
pauses and resumes it, triggers a run, lists the job's runs until the
triggered one appears, and deletes (cancels) the job. Prints one line per
step; exits 0 when every step did what it should, 1 at the first that did
not (deleting the job it created), 2 on a usage error.
"""

from __future__ import annotations

import argparse
import sys
import time

from chronoring_client import (
    ChronoringClient,
    ChronoringError,
    execution_status,
    job_pb2,
    job_status,
    schedule_pb2,
)


class StepFailed(Exception):
    pass


def expect(what: str, actual: object, wanted: object) -> None:
    if actual != wanted:
        raise StepFailed(f"{what} is {actual!r}, expected {wanted!r}")


def step(name: str, text: str) -> None:
    print(f"{name:<8} {text}", flush=True)


def run(client: ChronoringClient, run_timeout: float, undeleted: list[str]) -> None:
    """The steps. Raises ChronoringError or StepFailed; `undeleted` holds a job to clean up."""

    expect("health", client.check_health(), "SERVING")
    step("health", "SERVING")

    job = client.create_job(
        name=f"python lifecycle {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}",
        owner="python-lifecycle",
        tags=["lifecycle"],
        # 09:00 on weekdays, Berlin time; the run this script makes is the triggered one.
        schedule=schedule_pb2.ScheduleSpec(cron="0 9 * * MON-FRI", time_zone="Europe/Berlin"),
        target=job_pb2.JobTarget(noop=job_pb2.NoopTarget()),
    )
    undeleted.append(job.id)
    expect("the new job's status", job_status(job), "ACTIVE")
    step("create", f"{job.id} {job_status(job)} version {job.version}")

    got = client.get_job(job.id)
    expect("GetJob's name", got.name, job.name)
    step("get", f"{got.id} {job_status(got)} next run {got.next_run_time.ToJsonString()}")

    paused = client.pause_job(job.id)
    expect("the paused job's status", job_status(paused), "PAUSED")
    step("pause", f"{job.id} {job_status(paused)}")

    resumed = client.resume_job(job.id)
    expect("the resumed job's status", job_status(resumed), "ACTIVE")
    step("resume", f"{job.id} {job_status(resumed)}")

    execution = client.trigger_job(job.id)
    step("trigger", f"{execution.id} {execution_status(execution)}")

    deadline = time.monotonic() + run_timeout
    while True:
        runs = client.list_executions(job.id)
        seen = next((e for e in runs if e.id == execution.id), None)
        if seen is not None:
            step("runs", f"{len(runs)} run(s); {seen.id} {execution_status(seen)}")
            break
        if time.monotonic() > deadline:
            raise StepFailed(f"run {execution.id} not listed after {run_timeout:g} s")
        time.sleep(0.2)

    deleted = client.delete_job(job.id)
    undeleted.remove(job.id)
    expect("the deleted job's status", job_status(deleted), "CANCELLED")
    step("delete", f"{job.id} {job_status(deleted)}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[1].strip())
    parser.add_argument("url", help="http://host:port (h2c) or https://host[:port] (TLS)")
    parser.add_argument("--token", help="bearer token (default: $CHRONORING_TOKEN)")
    parser.add_argument("--timeout", type=float, default=10.0, help="deadline per call, s")
    parser.add_argument(
        "--run-timeout", type=float, default=30.0, help="how long to wait for the run, s"
    )
    args = parser.parse_args(argv)

    try:
        client = ChronoringClient(args.url, token=args.token, timeout=args.timeout)
    except ValueError as err:
        parser.error(str(err))
    undeleted: list[str] = []
    with client:
        try:
            run(client, args.run_timeout, undeleted)
        except (ChronoringError, StepFailed) as err:
            print(f"lifecycle: FAILED: {err}", file=sys.stderr)
            for left in undeleted:
                try:
                    client.delete_job(left)
                    print(f"lifecycle: deleted {left}", file=sys.stderr)
                except ChronoringError as cleanup:
                    print(f"lifecycle: could not delete {left}: {cleanup}", file=sys.stderr)
            return 1
    print("lifecycle: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
