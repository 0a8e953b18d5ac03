"""gunicorn settings for every API (``gunicorn -c python:shared.web.gunicorn_config``).

No work happens in the master: apps are built in each worker (no preload), so no
database or broker connection is ever opened before the fork. Every line gunicorn and
the app write is JSON (:class:`JsonLogger`); the app writes the one line per request.
"""

import os

from gunicorn.glogging import Logger

from shared.logging import configure_logging


class JsonLogger(Logger):
    """gunicorn's own lines (starting, listening, workers booting, timing out, dying)
    written as every process writes its logs: JSON lines on stderr through the root
    logger (:func:`shared.logging.configure_logging`), with the process name
    (``--name intake-api``) as their ``service``."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        configure_logging(cfg.proc_name, cfg.loglevel)
        for log in (self.error_log, self.access_log):
            for handler in list(log.handlers):
                log.removeHandler(handler)
            log.propagate = True


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
logger_class = JsonLogger


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


control_socket_disable = True  # three APIs on one host would share its default path
