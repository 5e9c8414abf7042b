"""The name a worker (one `linli run` process) goes by in the database: host:pid:random."""

from __future__ import annotations

import os
import socket
import uuid


def worker_id() -> str:
    """A new worker's name (the runtime makes one, for its sender's claims and its leases;
    tests run several workers in one process)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def parse_worker(worker: str) -> tuple[str, int | None]:
    """(host, process id) of a worker's name; the pid None when it is not one of ours."""
    host, _, rest = worker.partition(":")
    pid = rest.partition(":")[0]
    return host, int(pid) if pid.isdigit() else None
