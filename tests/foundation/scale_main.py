"""`weibao` with the test-only probe tasks registered: `python -m tests.foundation.scale_main worker|enqueue N|heartbeats N`."""

from __future__ import annotations

import os
import sys


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "weibao.config.settings")
    import django

    django.setup()
    from tests.foundation import scale_tasks
    from weibao.cli import main as weibao_main

    if argv[0] == "enqueue":
        for n in range(int(argv[1])):
            scale_tasks.scale_probe_task(n)
        return 0
    if argv[0] == "heartbeats":
        from weibao.config.schedules import heartbeat_task

        for _ in range(int(argv[1])):
            heartbeat_task()
        return 0
    return weibao_main(argv)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
