"""The `weibao` command: help on every subcommand, version, createadmin, demo (twice), check, bad environment."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.apps import apps

from tests.cli.conftest import run_weibao
from weibao import __version__
from weibao.accounts.models import Role, User
from weibao.cli import build_parser, main
from weibao.core.heartbeat import heartbeat_record

SUBCOMMANDS = ["serve", "worker", "migrate", "createadmin", "demo", "check", "version"]


def test_every_subcommand_has_help(capsys) -> None:
    registered = set(build_parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    assert set(SUBCOMMANDS) <= registered
    for name in sorted(registered):
        with pytest.raises(SystemExit) as exit_info:
            main([name, "--help"])
        assert exit_info.value.code == 0
        out = capsys.readouterr().out
        assert out.startswith(f"usage: weibao {name}"), name
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    serve_help = capsys.readouterr().out
    assert "--host" in serve_help and "--port" in serve_help and "--workers" in serve_help
    with pytest.raises(SystemExit):
        main(["worker", "--help"])
    assert "--no-periodic" in capsys.readouterr().out


def test_version(capsys) -> None:
    assert main(["version"]) == 0
    assert capsys.readouterr().out.strip() == f"weibao {__version__}"


def test_python_dash_m_weibao_runs_as_a_program(tmp_path: Path) -> None:
    result = run_weibao(["--help"], tmp_path)
    assert result.returncode == 0 and "createadmin" in result.stdout
    assert run_weibao([], tmp_path).returncode == 2  # a subcommand is required


@pytest.mark.django_db
def test_createadmin_non_interactive(capsys) -> None:
    assert main(["createadmin", "--username", "root", "--email", "root@example.cn", "--password", "a-long-admin-secret-9"]) == 0
    user = User.objects.get(username="root")
    assert user.role == Role.ADMIN and user.is_superuser and user.is_staff and user.check_password("a-long-admin-secret-9")
    assert "root" in capsys.readouterr().out


@pytest.mark.django_db
def test_createadmin_refuses_a_duplicate_and_a_weak_password(capsys) -> None:
    User.objects.create_user(username="root", role=Role.ADMIN)
    assert main(["createadmin", "--username", "ROOT", "--email", "r@example.cn", "--password", "a-long-admin-secret-9"]) == 1
    assert "already exists" in capsys.readouterr().err
    assert main(["createadmin", "--username", "second", "--email", "s@example.cn", "--password", "123"]) == 1
    assert "Password rejected" in capsys.readouterr().err
    assert main(["createadmin", "--username", "third", "--email", "t@example.cn", "--password", "password123"]) == 1
    assert list(User.objects.values_list("username", flat=True)) == ["root"]


def _row_counts() -> dict[str, int]:
    return {m._meta.label: m.objects.count() for m in apps.get_models() if m._meta.app_label not in ("sessions", "admin", "contenttypes", "auth")}


@pytest.mark.django_db
def test_demo_loads_once_and_a_second_run_changes_nothing(capsys) -> None:
    assert main(["demo"]) == 0
    first = capsys.readouterr().out
    assert "Demo data loaded." in first and "admin" in first and "hz_user" in first
    counts = _row_counts()
    assert counts["accounts.Organisation"] == 4 and counts["customers.System"] == 4
    assert User.objects.filter(role=Role.ENGINEER).count() == 4 and User.objects.filter(role=Role.MANAGER).exists()
    assert main(["demo"]) == 0
    assert "nothing changed" in capsys.readouterr().out
    assert _row_counts() == counts


@pytest.mark.django_db
def test_demo_logins_printed_really_sign_in() -> None:
    from django.test import Client

    from weibao.demo import DEMO_PASSWORD, demo_load, demo_logins

    demo_load()
    for username, _role in demo_logins():
        client = Client()
        response = client.post("/accounts/login/", {"username": username, "password": DEMO_PASSWORD})
        assert response.status_code == 302, username


LINE = re.compile(r"^(OK|WARN|FAIL)\s+\S.*$")


@pytest.mark.django_db
def test_check_prints_a_level_per_line_and_fails_only_on_fail(capsys) -> None:
    code = main(["check"])
    lines = capsys.readouterr().out.splitlines()
    assert lines and all(LINE.match(line) for line in lines), lines
    assert any(re.match(r"^WARN\s+worker heartbeat", line) for line in lines)
    assert any(re.match(r"^OK\s+database", line) for line in lines)
    assert code == (1 if any(line.startswith("FAIL") for line in lines) else 0)
    heartbeat_record()
    main(["check"])
    assert any(re.match(r"^OK\s+worker heartbeat", line) for line in capsys.readouterr().out.splitlines())


def test_check_fails_on_an_unreachable_database(tmp_path: Path) -> None:
    result = run_weibao(["check"], tmp_path, WEIBAO_DATABASE_URL="postgresql://weibao@127.0.0.1:9/nowhere")
    assert result.returncode == 1, result.stderr
    assert re.search(r"^FAIL\s+database\s+\S", result.stdout, re.M), result.stdout


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("WEIBAO_DEBUG", "maybe"),
        ("WEIBAO_DATABASE_URL", "mysql://db/weibao"),
        ("WEIBAO_TIME_ZONE", "Mars/Olympus_Mons"),
        ("WEIBAO_LOGIN_FAILURE_LIMIT", "lots"),
        ("WEIBAO_PORT", "eighty"),
    ],
)
def test_malformed_environment_stops_start_up_naming_the_variable(tmp_path: Path, name: str, value: str) -> None:
    result = run_weibao(["check"], tmp_path, **{name: value})
    assert result.returncode == 2
    assert name in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""
