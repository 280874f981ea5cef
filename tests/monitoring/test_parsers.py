from __future__ import annotations

from pathlib import Path

import pytest

from tests.monitoring.factories import payload
from weibao.monitoring import cli
from weibao.monitoring.models import SourceKind
from weibao.monitoring.parsers import PayloadError, parse_alertmanager, parse_grafana, parse_zabbix


def test_alertmanager_grouped_firing_gives_one_alert_per_fingerprint(shared_data_dir: Path) -> None:
    alerts = parse_alertmanager(payload(shared_data_dir, "001_alertmanager_ticketing.json"))
    assert [a.fingerprint for a in alerts] == ["b936e68cc1b3ff53", "dfb1eae6ee89f28a", "b917ec9fe2a0ccf5"]
    assert all(a.firing and a.name == "HighCPUUsage" and a.severity == "warning" for a in alerts)
    assert alerts[0].ends_at is None  # Go's zero time means "still firing"
    assert alerts[0].starts_at is not None and alerts[0].starts_at.year == 2026


def test_alertmanager_mixed_group_keeps_each_alerts_own_status(shared_data_dir: Path) -> None:
    alerts = parse_alertmanager(payload(shared_data_dir, "004_alertmanager_ticketing.json"))
    assert sorted(a.firing for a in alerts) == [False, True, True]
    resolved = next(a for a in alerts if not a.firing)
    assert resolved.ends_at is not None


def test_alertmanager_chinese_annotations_survive(shared_data_dir: Path) -> None:
    alerts = parse_alertmanager(payload(shared_data_dir, "003_alertmanager_ticketing.json"))
    assert alerts[0].severity == "critical"
    assert "无法访问" in alerts[0].summary


def test_grafana_9_and_11_parse(shared_data_dir: Path) -> None:
    nine = parse_grafana(payload(shared_data_dir, "grafana_alert-9-multiple.json"))
    assert len(nine) == 3 and {a.name for a in nine} == {"Test alert", "Second webhook test"}
    resolved = parse_grafana(payload(shared_data_dir, "grafana_alert-9-resolved.json"))
    assert [a.firing for a in resolved] == [False]
    eleven = parse_grafana(payload(shared_data_dir, "grafana_alert_values_v11.json"))
    assert eleven[0].extra["values"]["A"] == 2473545728
    assert eleven[0].extra["dashboardURL"].startswith("https://play.grafana.org/d/")


def test_zabbix_flat_problem_and_ok_share_a_fingerprint(shared_data_dir: Path) -> None:
    problem = parse_zabbix(payload(shared_data_dir, "zabbix_alert.json"))[0]
    ok = parse_zabbix(payload(shared_data_dir, "zabbix_ok.json"))[0]
    assert problem.firing and not ok.firing
    assert problem.fingerprint == ok.fingerprint
    assert problem.severity == "warning"  # Zabbix "Average"


def test_zabbix_media_type_body() -> None:
    body = (b'{"event_id":"10528","event_value":"1","event_nseverity":"5","trigger_id":"14032","host":"db01",'
            b'"trigger_name":"MySQL is down","alert_subject":"Problem: MySQL is down","alert_message":"x",'
            b'"event_tags":"[{\\"tag\\":\\"weibao_system\\",\\"value\\":\\"hz/gov\\"}]"}')
    alert = parse_zabbix(body)[0]
    assert alert.firing and alert.severity == "critical" and alert.fingerprint == "zbx-14032-db01"
    assert alert.labels["weibao_system"] == "hz/gov"
    recovery = parse_zabbix(body.replace(b'"event_value":"1"', b'"event_value":"0"'))[0]
    assert not recovery.firing and recovery.fingerprint == alert.fingerprint


@pytest.mark.parametrize("body", [b"", b"not json", b"[]", b'{"alerts": 3}', b'{"alerts": [{"status": "weird"}]}',
                                  b'{"alerts": [{"status": "firing", "labels": {}}]}', "\xff".encode("latin-1"),
                                  b'{"version": "3", "alerts": []}'])
def test_alertmanager_rejects_malformed_bodies(body: bytes) -> None:
    with pytest.raises(PayloadError):
        parse_alertmanager(body)


def test_zabbix_rejects_unexpanded_macros() -> None:
    with pytest.raises(PayloadError):
        parse_zabbix(b'{"event_id":"1","trigger_id":"{TRIGGER.ID}","event_value":"1"}')


def test_cli_kinds_match_the_model() -> None:
    assert cli.SOURCE_KINDS == list(SourceKind.values)
