"""A small closed-loop HTTP load generator: N keep-alive connections over a few processes."""

from __future__ import annotations

import http.client
import multiprocessing
import os
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit


def _connection_loop(urls, headers, deadline, latencies, errors):
    """One keep-alive connection per server, requests going round the URLs in turn; only
    a 200 counts as a request served."""
    connections: dict[str, http.client.HTTPConnection] = {}
    i = 0
    while time.perf_counter() < deadline:
        parts = urlsplit(urls[i % len(urls)])
        i += 1
        connection = connections.get(parts.netloc)
        if connection is None:
            connection = connections[parts.netloc] = http.client.HTTPConnection(
                parts.hostname, parts.port, timeout=10
            )
        started = time.perf_counter()
        try:
            connection.request("GET", parts.path, headers=headers)
            response = connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            errors.append("connection")
            connection.close()
            del connections[parts.netloc]
            continue
        if response.status == 200:
            latencies.append(time.perf_counter() - started)
        else:
            errors.append(response.status)
    for connection in connections.values():
        connection.close()


def _process(urls, headers, connections, duration, queue):
    deadline = time.perf_counter() + duration
    latencies, errors = [], []
    threads = [
        threading.Thread(target=_connection_loop, args=(urls, headers, deadline, latencies, errors))
        for _ in range(connections)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    queue.put((latencies, errors))


def run_load(
    urls: list[str],
    headers: dict,
    *,
    connections: int = 16,
    processes: int = 4,
    duration: float = 10.0,
    probe=None,
) -> dict:
    """GET ``urls`` round-robin for ``duration`` seconds; return rps, p99 and errors, and
    what ``probe()`` returned halfway through (e.g. how connections spread over workers)."""
    queue = multiprocessing.Queue()
    workers = [
        multiprocessing.Process(
            target=_process, args=(urls, headers, connections // processes, duration, queue)
        )
        for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    observed = None
    if probe is not None:
        time.sleep(duration / 2)
        observed = probe()
    latencies, errors = [], []
    for _ in workers:
        got_latencies, got_errors = queue.get(timeout=duration + 60)
        latencies += got_latencies
        errors += got_errors
    for worker in workers:
        worker.join()
    latencies.sort()
    p99 = latencies[int(0.99 * (len(latencies) - 1))] if latencies else float("nan")
    return {
        "rps": len(latencies) / duration,
        "p99_ms": p99 * 1000,
        "errors": len(errors),
        "requests": len(latencies),
        "observed": observed,
    }


def connections_per_process(ports: list[int]) -> dict[int, int]:
    """Established TCP connections accepted on ``ports`` (127.0.0.1), counted per process
    holding them: how a benchmark's connections spread over gunicorn's workers."""
    wanted = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].split(":")[1], 16)
        if local_port in ports and fields[3] == "01":  # ESTABLISHED, server side
            wanted.add(fields[9])  # the socket's inode
    counts: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            for fd in (entry / "fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:[") and target[8:-1] in wanted:
                    counts[int(entry.name)] = counts.get(int(entry.name), 0) + 1
        except OSError:
            continue
    return counts


def evenly_spread(counts: dict[int, int] | None, workers: int) -> bool:
    """Every worker holds connections, none more than half as many again as its share."""
    if not counts or len(counts) != workers:
        return False
    return max(counts.values()) <= 1.5 * sum(counts.values()) / workers
