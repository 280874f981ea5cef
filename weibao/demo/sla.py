"""Demo SLA policy: the commitments of a typical maintenance contract, on the standard working calendar.

Report answered within 4 working hours (urgent ones within 2); a fault removed within 2 working days,
else a detailed solution plan and schedule within the next 2 (4 working days in all); usability
(customisation) requests done within 2 weeks, performance (upgrade) requests within a month; service
demands answered within 24 working hours. A working day on the standard calendar is 7.5 hours.
"""

from __future__ import annotations

from django.db import transaction

from weibao.sla.models import Calendar, EscalationAction, EscalationStep, Metric, Policy, Target

DAY = 450  # working minutes in a standard day (08:30–12:00, 13:30–17:30)
PRIORITIES = ["p1", "p2", "p3", "p4"]
FIRST_RESPONSE = {"p1": 120, "p2": 240, "p3": 240, "p4": 240}
TYPED = [  # (metric, request type, minutes) for every priority
    (Metric.RESOLUTION, "customisation", 10 * DAY),
    (Metric.RESOLUTION, "upgrade", 22 * DAY),
    (Metric.SOLUTION_PLAN, "service_request", 24 * 60),
]
STEPS = [
    (Metric.FIRST_RESPONSE, 80, 0, ["assignee"], EscalationAction.NOTIFY),
    (Metric.FIRST_RESPONSE, 100, 0, ["assignee", "team_lead", "service_manager"], EscalationAction.NOTIFY),
    (Metric.RESOLUTION, 50, 0, ["assignee"], EscalationAction.NOTIFY),
    (Metric.RESOLUTION, 80, 0, ["assignee", "team_lead"], EscalationAction.NOTIFY),
    (Metric.RESOLUTION, 100, 0, ["assignee", "team_lead", "service_manager"], EscalationAction.NOTIFY),
    (Metric.RESOLUTION, 100, 120, ["service_manager"], EscalationAction.RAISE_PRIORITY),
]


@transaction.atomic
def load() -> bool:
    if Policy.objects.filter(name="标准维护合同").exists():
        return False
    calendar = Calendar.objects.get(public_id="cal-standard")
    policy = Policy.objects.create(
        name="标准维护合同", calendar=calendar, is_default=not Policy.objects.filter(is_default=True).exists(),
        pause_statuses=["waiting_customer", "waiting_third_party"],
        description="报修后 4 小时内响应（紧急 2 小时）；2 个工作日内排除故障，否则再 2 个工作日内提交详细解决方案与计划。",
    )
    rows = [Target(policy=policy, metric=Metric.FIRST_RESPONSE, priority=p, minutes=m) for p, m in FIRST_RESPONSE.items()]
    rows += [Target(policy=policy, metric=Metric.SOLUTION_PLAN, priority=p, minutes=4 * DAY) for p in PRIORITIES]
    rows += [Target(policy=policy, metric=Metric.RESOLUTION, priority=p, minutes=2 * DAY) for p in PRIORITIES]
    rows += [Target(policy=policy, metric=m, priority=p, request_type=t, minutes=n) for m, t, n in TYPED for p in PRIORITIES]
    Target.objects.bulk_create(rows)
    EscalationStep.objects.bulk_create(
        EscalationStep(policy=policy, metric=m, percent=pct, extra_minutes=extra, notify=who, action=action)
        for m, pct, extra, who, action in STEPS
    )
    return True
