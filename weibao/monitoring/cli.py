"""`weibao monitoring …`: add alarm sources from the command line (prints the webhook URL and token)."""

from __future__ import annotations

import argparse
import sys

# Models cannot be imported before django.setup(); the kinds are repeated here (a test checks they match).
SOURCE_KINDS = ["alertmanager", "grafana", "zabbix"]


def cmd_add_source(args: argparse.Namespace) -> int:
    from weibao.cli import _setup

    _setup()
    from weibao.core.errors import DomainError
    from weibao.customers.models import System
    from weibao.monitoring.sources import alarm_source_create

    system = None
    if args.system:
        system = System.objects.filter(public_id=args.system).first()
        if system is None and "/" in args.system:
            org, _sl, code = args.system.partition("/")
            system = System.objects.filter(organisation__code=org, code=code).first()
        if system is None:
            print(f"weibao: no system {args.system!r} (give its id or customer-code/system-code)", file=sys.stderr)
            return 1
    try:
        new = alarm_source_create(actor=None, kind=args.kind, name=args.name, system=system)
    except DomainError as exc:
        print(f"weibao: {exc.message}", file=sys.stderr)
        return 1
    print(f"Alarm source {new.source.name!r} ({new.source.get_kind_display()}) created.")
    print(f"Webhook URL: {new.webhook_url}")
    print(f"Token:       {new.token}")
    print("The token is shown only now. Send it as the header  Authorization: Bearer <token>")
    if args.kind == "alertmanager":
        print("\nAlertmanager receiver:\n  webhook_configs:\n"
              f"    - url: {new.webhook_url}\n      send_resolved: true\n"
              f"      http_config:\n        authorization:\n          type: Bearer\n          credentials: {new.token}")
    return 0


def cmd_list_sources(args: argparse.Namespace) -> int:
    from weibao.cli import _setup

    _setup()
    from weibao.monitoring.models import AlarmSource
    from weibao.monitoring.sources import webhook_url

    for source in AlarmSource.objects.order_by("name"):
        state = "" if source.is_active else " (disabled)"
        print(f"{source.name:<24} {source.kind:<12} {source.token_prefix}…  {webhook_url(source)}{state}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    group = subparsers.add_parser("monitoring", help="Monitoring: alarm sources.", description="Monitoring: alarm sources.")
    sub = group.add_subparsers(dest="monitoring_command", required=True, metavar="SUBCOMMAND")
    p = sub.add_parser("add-source", help="Add an alarm source; prints its webhook URL and token.")
    p.add_argument("--kind", required=True, choices=SOURCE_KINDS)
    p.add_argument("--name", required=True)
    p.add_argument("--system", help="default system for alarms that name none (id or customer-code/system-code)")
    p.set_defaults(func=cmd_add_source)
    p = sub.add_parser("list-sources", help="List alarm sources and their webhook URLs.")
    p.set_defaults(func=cmd_list_sources)
