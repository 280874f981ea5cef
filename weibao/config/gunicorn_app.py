"""Gunicorn, started from Python. In the embedded shape the Huey consumer runs inside the web worker."""

from __future__ import annotations

import logging
import signal
from typing import Any

from gunicorn.app.base import BaseApplication

log = logging.getLogger("weibao.serve")
_consumer: Any = None

# Huey's Consumer.start() installs its own handlers for these; inside a gunicorn worker they would
# swallow the TERM/QUIT that gunicorn's master sends, and the worker would only die by SIGKILL after
# the graceful timeout. Gunicorn's handlers are put back so the master stays in charge of shutdown.
_WORKER_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT, signal.SIGHUP, signal.SIGUSR1, signal.SIGABRT)


def start_consumer(*, periodic: bool = True) -> Any:
    """Start a Huey consumer in threads of this process and announce the worker with a heartbeat."""
    from django.conf import settings
    from huey.consumer import Consumer
    from huey.contrib.djhuey import HUEY

    import weibao.tasks_registry  # noqa: F401
    from weibao.config.schedules import heartbeat_task

    saved = {sig: signal.getsignal(sig) for sig in _WORKER_SIGNALS}
    # max_delay 1 s: an idle thread notices new work and the stop flag within a second (Ctrl-C stays quick).
    consumer = Consumer(
        HUEY, workers=settings.QUEUE_WORKERS, periodic=periodic, worker_type="thread", max_delay=1.0, shutdown_timeout=5
    )
    consumer.start()
    for sig, handler in saved.items():
        signal.signal(sig, handler)
    # Through the queue, not a direct call: /readyz then proves that enqueue -> consume works, and
    # answers within a second instead of waiting for the next minute's periodic heartbeat.
    heartbeat_task()
    return consumer


def _start_consumer(worker: Any) -> None:
    global _consumer
    _consumer = start_consumer()
    log.info("embedded worker started in pid %s", worker.pid)


def _stop_consumer(server: Any, worker: Any) -> None:
    if _consumer is not None:
        _consumer.stop(graceful=True)


class WeibaoApplication(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from weibao.config.wsgi import application

        return application


def run_gunicorn(*, host: str, port: int, workers: int, threads: int, embedded: bool) -> None:
    options: dict[str, Any] = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "timeout": 60,
        "graceful_timeout": 10,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
    }
    if embedded:
        options["post_worker_init"] = _start_consumer
        options["worker_exit"] = _stop_consumer
    WeibaoApplication(options).run()
