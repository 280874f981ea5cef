from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail

from tests import factories as f
from tests.monitoring.factories import make_source, post_webhook
from tests.personas import World
from weibao.monitoring.models import Alarm, AlarmEvent, NotificationPolicy, Page, Rota, RotaLeave, RotaMember, RotaOverride
from weibao.monitoring.oncall import escalation_chain, on_call
from weibao.monitoring.paging import escalations_run

pytestmark = pytest.mark.django_db


def _rota(*users: Any) -> Rota:
    rota = Rota.objects.create(name="平台 7×24", start_date=date(2026, 11, 2), handover_time=time(9, 0), shift_days=7,
                               timezone="Asia/Shanghai")
    for i, user in enumerate(users):
        RotaMember.objects.create(rota=rota, user=user, position=i)
    return rota


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def test_turns_hand_over_weekly_at_nine_local_time() -> None:
    a, b, c = f.UserFactory(username="zhao"), f.UserFactory(username="qian"), f.UserFactory(username="sun")
    rota = _rota(a, b, c)
    assert on_call(rota, _at("2026-11-02T09:00:00+08:00")) == a
    assert on_call(rota, _at("2026-11-09T08:59:00+08:00")) == a
    assert on_call(rota, _at("2026-11-09T09:00:00+08:00")) == b
    assert on_call(rota, _at("2026-11-23T10:00:00+08:00")) == a  # three weeks later, round again
    assert [u.username for u in escalation_chain(rota, _at("2026-11-16T12:00:00+08:00"))] == ["sun", "zhao", "qian"]


def test_override_wins_and_people_on_leave_are_skipped() -> None:
    a, b, c = f.UserFactory(username="zhao"), f.UserFactory(username="qian"), f.UserFactory(username="sun")
    rota = _rota(a, b, c)
    RotaLeave.objects.create(user=a, starts_on=date(2026, 11, 3), ends_on=date(2026, 11, 4), reason="年假")
    assert on_call(rota, _at("2026-11-03T12:00:00+08:00")) == b
    RotaOverride.objects.create(rota=rota, user=c, starts_at=_at("2026-11-05T18:00:00+08:00"),
                                ends_at=_at("2026-11-06T09:00:00+08:00"), reason="调班")
    assert on_call(rota, _at("2026-11-05T20:00:00+08:00")) == c
    assert on_call(rota, _at("2026-11-06T09:30:00+08:00")) == a


def _firing(fp: str = "pg1") -> dict[str, Any]:
    return {"version": "4", "status": "firing", "alerts": [{"status": "firing", "fingerprint": fp, "startsAt": "2026-11-22T01:00:00Z",
            "labels": {"alertname": "DiskFull", "severity": "critical"}, "annotations": {"summary": "磁盘已满"}}]}


def test_unacknowledged_alarm_escalates_once_per_step_and_stops_when_acknowledged(
        world: World, django_capture_on_commit_callbacks: Any, api: Any) -> None:
    a, b = f.UserFactory(username="zhao", email="zhao@example.com"), f.UserFactory(username="qian", email="qian@example.com")
    rota = _rota(a, b)
    NotificationPolicy.objects.create(severity="critical", rota=rota, channels=["email"], escalate_after_minutes=10, max_steps=3)
    src = make_source(system=world.system_a)
    with time_machine.travel("2026-11-22T10:00:00+08:00", tick=False) as traveller:
        with django_capture_on_commit_callbacks(execute=True):
            post_webhook(src, _firing())
        alarm = Alarm.objects.get()
        assert list(Page.objects.values_list("step", "user__username")) == [(0, "zhao")]
        assert mail.outbox[-1].to == ["zhao@example.com"] and "/staff/monitoring/ack/" in mail.outbox[-1].body
        traveller.shift(timedelta(minutes=5))
        assert escalations_run() == 0
        traveller.shift(timedelta(minutes=6))
        assert escalations_run() == 1
        assert escalations_run() == 0  # the same step is never sent twice
        assert list(Page.objects.values_list("step", "user__username")) == [(0, "zhao"), (1, "qian")]
        # qian acknowledges through the API: no further escalation
        response = api(b).post(f"/api/v1/alarms/{alarm.public_id}/transitions", {"transition": "acknowledge"}, format="json")
        assert response.status_code == 200
        traveller.shift(timedelta(minutes=30))
        assert escalations_run() == 0
    assert Page.objects.count() == 2


def test_acknowledgement_link_needs_a_post_and_works_without_sign_in(
        world: World, django_capture_on_commit_callbacks: Any, web: Any) -> None:
    eng = world.users["engineer"]
    rota = _rota(eng)
    NotificationPolicy.objects.create(severity="critical", rota=rota, channels=["email"], escalate_after_minutes=10)
    src = make_source(system=world.system_a)
    with django_capture_on_commit_callbacks(execute=True):
        post_webhook(src, _firing())
    link = next(line for line in mail.outbox[-1].body.splitlines() if "/ack/" in line).split(": ", 1)[1]
    path = link.split("://", 1)[1].split("/", 1)[1]
    client = web(None)
    page = client.get("/" + path)
    assert page.status_code == 200 and "磁盘已满" in page.content.decode()
    assert Alarm.objects.get().status == "firing"  # a mail scanner following the link changes nothing
    done = client.post("/" + path)
    assert done.status_code == 200
    alarm = Alarm.objects.get()
    assert alarm.status == "acknowledged" and alarm.acknowledged_by == eng
    assert escalations_run(now=alarm.acknowledged_at + timedelta(hours=1)) == 0  # type: ignore[operator]
    assert client.post("/staff/monitoring/ack/forged-token/").status_code == 404


def _storm(*fingerprints: str, severity: str = "critical") -> dict[str, Any]:
    return {"version": "4", "status": "firing", "alerts": [
        {"status": "firing", "fingerprint": fp, "startsAt": "2026-11-22T01:00:00Z",
         "labels": {"alertname": f"Disk{fp}", "severity": severity, "instance": fp}, "annotations": {"summary": f"{fp} 磁盘已满"}}
        for fp in fingerprints]}


def test_an_alarm_storm_on_one_system_pages_once_and_later_alarms_join_the_open_page(
        world: World, django_capture_on_commit_callbacks: Any, api: Any) -> None:
    a, b = f.UserFactory(username="zhao", email="zhao@example.com"), f.UserFactory(username="qian", email="qian@example.com")
    rota = _rota(a, b)
    for severity in ("critical", "warning"):
        NotificationPolicy.objects.create(severity=severity, rota=rota, channels=["email"], escalate_after_minutes=10, max_steps=3)
    src = make_source(system=world.system_a)
    with time_machine.travel("2026-11-22T10:00:00+08:00", tick=False) as traveller:
        with django_capture_on_commit_callbacks(execute=True):
            post_webhook(src, _storm("n1", "n2", "n3", "n4", "n5"))
        assert Alarm.objects.filter(status="firing").count() == 5
        assert Page.objects.count() == 1 and len(mail.outbox) == 1
        assert "(+4)" in mail.outbox[0].subject and "另有 4 条" in mail.outbox[0].body
        paged = Page.objects.get().alarm
        folded = AlarmEvent.objects.filter(kind="page_coalesced")
        assert folded.count() == 4 and {e.data["into"] for e in folded} == {paged.public_id}

        traveller.shift(timedelta(minutes=5))  # the page is still waiting for an acknowledgement: a new alarm joins it
        with django_capture_on_commit_callbacks(execute=True):
            post_webhook(src, _storm("n6"))
            post_webhook(src, _storm("w1", severity="warning"))  # another severity is another page
        assert Page.objects.count() == 2 and AlarmEvent.objects.filter(kind="page_coalesced").count() == 5
        assert Page.objects.filter(alarm__severity="warning").count() == 1

        traveller.shift(timedelta(minutes=6))  # nobody acknowledged: the storm escalates once, not six times
        assert escalations_run() == 1  # (the warning's page is five minutes younger)
        assert list(Page.objects.filter(alarm=paged).values_list("step", "user__username")) == [(0, "zhao"), (1, "qian")]

        response = api(b).post(f"/api/v1/alarms/{paged.public_id}/transitions", {"transition": "acknowledge"}, format="json")
        assert response.status_code == 200
        with django_capture_on_commit_callbacks(execute=True):
            post_webhook(src, _storm("n7"))  # the paging alarm is acknowledged: a new alarm pages again
        assert Page.objects.filter(alarm__fingerprint="n7", step=0).exists()
