"""The `weibao` command: serve, worker, migrate, createadmin, demo, check, version, and per-app groups."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable
from typing import Any

# Modules that add subcommands: each has `register(subparsers)`; keeps this file small as apps grow.
COMMAND_MODULES: list[str] = [
    "weibao.sla.cli",
    "weibao.monitoring.cli",
    "weibao.mail.cli",
    "weibao.search.cli",
]


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "weibao.config.settings")
    from django.core.exceptions import ImproperlyConfigured

    try:
        import django

        django.setup()
    except ImproperlyConfigured as exc:
        print(f"weibao: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def _migrate(verbosity: int = 0) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)


def cmd_serve(args: argparse.Namespace) -> int:
    _setup()
    from django.db import connections

    from weibao.accounts.models import User
    from weibao.demo import DEMO_PASSWORD, demo_load, demo_logins

    _migrate()
    first_start = not User.objects.exists()
    if first_start and not args.no_demo:
        demo_load()
    connections.close_all()  # nothing of the master's may leak into forked workers

    embedded = args.workers == 0
    url = f"http://{args.host}:{args.port}/"
    print(f"Weibao is starting at {url}  ({'embedded worker' if embedded else f'{args.workers} web processes; run `weibao worker`'})")
    if first_start and not args.no_demo:
        print(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, role in demo_logins():
            print(f"  {username:<14} {role}")
    print("Press Ctrl-C to stop.", flush=True)
    from weibao.config.gunicorn_app import run_gunicorn

    run_gunicorn(host=args.host, port=args.port, workers=max(1, args.workers), threads=args.threads, embedded=embedded)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    _setup()
    from huey.consumer import Consumer
    from huey.contrib.djhuey import HUEY

    import weibao.tasks_registry  # noqa: F401  (imports every app's tasks)
    from weibao.config.schedules import heartbeat_task

    consumer = Consumer(HUEY, workers=args.threads, periodic=not args.no_periodic, worker_type="thread", check_worker_health=True)
    print(f"weibao worker: {args.threads} threads, periodic={'off' if args.no_periodic else 'on'}", flush=True)
    if not args.no_periodic:
        # Announce the scheduler at once (via the queue) instead of at the next minute boundary.
        heartbeat_task()
    consumer.run()
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    _setup()
    _migrate(verbosity=1)
    return 0


def cmd_createadmin(args: argparse.Namespace) -> int:
    _setup()
    import getpass

    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    from weibao.accounts.models import Role, User

    username = args.username or input("Username: ").strip()
    email = args.email if args.email is not None else input("Email: ").strip()
    password = args.password
    if password is None:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Password (again): ") != password:
            print("Passwords do not match.", file=sys.stderr)
            return 1
    if not username:
        print("A username is required.", file=sys.stderr)
        return 1
    if User.objects.filter(username__iexact=username).exists():
        print(f"User {username!r} already exists.", file=sys.stderr)
        return 1
    user = User(username=username, email=email, role=Role.ADMIN)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        print("Password rejected: " + " ".join(exc.messages), file=sys.stderr)
        return 1
    user.set_password(password)
    user.save()
    print(f"Administrator {username} created.")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    _setup()
    from weibao.demo import DEMO_PASSWORD, demo_load, demo_logins

    _migrate()
    created = demo_load()
    print("Demo data loaded." if created else "Demo data already present; nothing changed.")
    print(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for username, role in demo_logins():
        print(f"  {username:<14} {role}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    _setup()
    import weibao.tasks_registry  # noqa: F401
    from weibao.core.checks import run_checks
    from weibao.core.health import Level

    results = run_checks()
    width = max(len(r.name) for r in results)
    for r in results:
        print(f"{r.level.value:<4}  {r.name:<{width}}  {r.detail}")
    return 1 if any(r.level == Level.FAIL for r in results) else 0


def cmd_version(args: argparse.Namespace) -> int:
    from weibao import __version__

    print(f"weibao {__version__}")
    return 0


def _serve_defaults() -> tuple[str, int]:
    from weibao.config.env import Env, EnvError

    env = Env()
    try:
        return env.str("WEIBAO_HOST", "127.0.0.1"), env.int("WEIBAO_PORT", 8000, minimum=1)
    except EnvError as exc:
        print(f"weibao: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def build_parser() -> argparse.ArgumentParser:
    host, port = _serve_defaults()
    parser = argparse.ArgumentParser(prog="weibao", description="Weibao (维保) after-sales service platform")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, fn: Callable[[argparse.Namespace], int], help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(func=fn)
        return p

    p = add("serve", cmd_serve, "Run the web server (and, by default, the background worker inside it).")
    p.add_argument("--host", default=host, help=f"address to listen on (WEIBAO_HOST, default {host})")
    p.add_argument("--port", type=int, default=port, help=f"port (WEIBAO_PORT, default {port})")
    p.add_argument("--workers", type=int, default=0,
                   help="web processes for the scale shape; the worker then runs apart (`weibao worker`). 0 = embedded")
    p.add_argument("--threads", type=int, default=8, help="threads per web process")
    p.add_argument("--no-demo", action="store_true", help="do not load demo data on first start")

    p = add("worker", cmd_worker, "Run a background worker (the scale shape).")
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--no-periodic", action="store_true", help="do not run periodic tasks (all workers but one)")

    add("migrate", cmd_migrate, "Apply database migrations.")

    p = add("createadmin", cmd_createadmin, "Create an administrator (asks, unless given every option).")
    p.add_argument("--username")
    p.add_argument("--email")
    p.add_argument("--password")

    add("demo", cmd_demo, "Load the demo data set (safe to run twice).")
    add("check", cmd_check, "Self-check: database, queue, worker, holidays, font, mail. Exit 1 on FAIL.")
    add("version", cmd_version, "Print the version.")

    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Any = args.func
    return int(func(args) or 0)
