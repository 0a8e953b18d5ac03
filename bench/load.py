"""A small closed-loop HTTP load generator: N keep-alive connections over a few processes."""

from __future__ import annotations

import http.client
import multiprocessing
import threading
import time
from urllib.parse import urlsplit


def _connection_loop(url_paths, headers, deadline, latencies, errors):
    parts = urlsplit(url_paths[0])
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    i = 0
    while time.perf_counter() < deadline:
        path = urlsplit(url_paths[i % len(url_paths)]).path
        i += 1
        started = time.perf_counter()
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                errors.append(response.status)
        except (OSError, http.client.HTTPException):
            errors.append("connection")
            connection.close()
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
            continue
        latencies.append(time.perf_counter() - started)
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
) -> dict:
    """GET ``urls`` round-robin for ``duration`` seconds; return rps, p99 and errors."""
    queue = multiprocessing.Queue()
    workers = [
        multiprocessing.Process(
            target=_process, args=(urls, headers, connections // processes, duration, queue)
        )
        for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
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
    }
