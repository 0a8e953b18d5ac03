"""gunicorn settings for every API (``gunicorn -c python:shared.web.gunicorn_config``).

No work happens in the master: apps are built in each worker (no preload), so no
database or broker connection is ever opened before the fork.
"""

import os

worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
timeout = 30
graceful_timeout = 10
keepalive = 5
preload_app = False
accesslog = None  # the app writes one JSON line per request
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


control_socket_disable = True  # three APIs on one host would share its default path
