"""SLA test set-up: a policy with distinct targets per priority on the standard calendar."""

from __future__ import annotations

from weibao.sla.models import Calendar, EscalationAction, EscalationStep, Metric, Policy, Target


def make_policy(*, default: bool = True, steps: bool = True) -> Policy:
    calendar = Calendar.objects.get(public_id="cal-standard")
    Policy.objects.filter(is_default=True).update(is_default=False)
    policy = Policy.objects.create(name="测试策略", calendar=calendar, is_default=default,
                                   pause_statuses=["waiting_customer", "waiting_third_party"])
    for priority, response, resolution in (("p1", 60, 240), ("p2", 120, 450), ("p3", 240, 900), ("p4", 240, 1800)):
        Target.objects.create(policy=policy, metric=Metric.FIRST_RESPONSE, priority=priority, minutes=response)
        Target.objects.create(policy=policy, metric=Metric.RESOLUTION, priority=priority, minutes=resolution)
    if steps:
        for percent, extra, who, action in ((50, 0, ["assignee"], EscalationAction.NOTIFY),
                                            (80, 0, ["assignee", "team_lead"], EscalationAction.NOTIFY),
                                            (100, 0, ["service_manager"], EscalationAction.NOTIFY),
                                            (100, 120, ["service_manager"], EscalationAction.RAISE_PRIORITY)):
            EscalationStep.objects.create(policy=policy, metric=Metric.RESOLUTION, percent=percent,
                                          extra_minutes=extra, notify=who, action=action)
    return policy
