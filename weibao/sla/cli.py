"""`weibao sla ...`: due-time preview and holiday import (the same functions the API and clocks use)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    group = sub.add_parser("sla", help="Service levels: due-time preview, holidays.", description="Service levels.")
    cmds = group.add_subparsers(dest="sla_command", required=True, metavar="SUBCOMMAND")

    p = cmds.add_parser("due", help="Print the due time of a working-time duration on a calendar.",
                        description="Print the due time of a working-time duration on a calendar.")
    p.add_argument("--calendar", required=True, help="calendar name or id")
    p.add_argument("--start", required=True, help="ISO 8601; without an offset it is read in the calendar's zone")
    amount = p.add_mutually_exclusive_group(required=True)
    amount.add_argument("--minutes")
    amount.add_argument("--hours")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_due)

    p = cmds.add_parser("holidays", help="Holiday and make-up workday data.", description="Holiday data.")
    hcmds = p.add_subparsers(dest="holidays_command", required=True, metavar="ACTION")
    imp = hcmds.add_parser("import", help="Import a CSV (date,kind,name) or iCalendar (.ics) file; all or nothing.",
                           description="Import a CSV (date,kind,name) or iCalendar (.ics) file; all or nothing.")
    imp.add_argument("file", type=Path)
    imp.add_argument("--region", default="CN")
    imp.set_defaults(func=cmd_holidays_import)
    lst = hcmds.add_parser("list", help="List the holidays and make-up workdays of a year.", description="List a year.")
    lst.add_argument("year", type=int)
    lst.add_argument("--region", default="CN")
    lst.set_defaults(func=cmd_holidays_list)


def _fail(exc: Any) -> int:
    print(f"error: {exc.message}", file=sys.stderr)
    for field, messages in exc.details.items():
        print(f"  {field}: {' '.join(str(m) for m in (messages if isinstance(messages, list) else [messages]))}", file=sys.stderr)
    return 2


def cmd_due(args: argparse.Namespace) -> int:
    from weibao.cli import _setup

    _setup()
    from zoneinfo import ZoneInfo

    from weibao.core.errors import DomainError
    from weibao.sla.calendars import calendar_find, parse_due_request, sla_due_at

    try:
        calendar = calendar_find(args.calendar)
        start, minutes = parse_due_request(calendar, args.start, args.minutes, args.hours)
        due = sla_due_at(calendar, start, minutes)
    except DomainError as exc:
        return _fail(exc)
    local = due.astimezone(ZoneInfo(calendar.time_zone))
    if args.json:
        print(json.dumps({"calendar": calendar.public_id, "start": start.isoformat(), "minutes": minutes,
                          "due": local.isoformat(), "due_utc": due.isoformat()}, ensure_ascii=False))
    else:
        print(local.isoformat())
    return 0


def cmd_holidays_import(args: argparse.Namespace) -> int:
    from weibao.cli import _setup

    _setup()
    from weibao.core.errors import DomainError
    from weibao.sla.services import holidays_import_file

    try:
        data = args.file.read_bytes()
    except OSError as exc:
        print(f"error: cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    try:
        result = holidays_import_file(actor=None, filename=args.file.name, data=data, region=args.region)
    except DomainError as exc:
        return _fail(exc)
    print(f"imported: {result.created} new, {result.updated} changed; years {', '.join(map(str, result.years))}")
    return 0


def cmd_holidays_list(args: argparse.Namespace) -> int:
    from weibao.cli import _setup

    _setup()
    from weibao.sla.models import HolidayDate

    rows = HolidayDate.objects.filter(region=args.region, date__year=args.year)
    if not rows:
        print(f"no holiday data for {args.year}: its dates run as ordinary weekdays")
    for h in rows:
        print(f"{h.date}  {h.kind:<15} {h.name}")
    return 0
