"""Gunicorn, started from Python. In the embedded shape the Huey consumer runs inside the web worker."""

from __future__ import annotations

import logging
from typing import Any

from gunicorn.app.base import BaseApplication

log = logging.getLogger("weibao.serve")
_consumer: Any = None


def _start_consumer(worker: Any) -> None:
    global _consumer
    from django.conf import settings
    from huey.consumer import Consumer
    from huey.contrib.djhuey import HUEY

    import weibao.tasks_registry  # noqa: F401

    _consumer = Consumer(HUEY, workers=settings.QUEUE_WORKERS, periodic=True, worker_type="thread")
    _consumer.start()
    log.info("embedded worker started (%s threads)", settings.QUEUE_WORKERS)


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
