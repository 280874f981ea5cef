"""`weibao mail import` (eml, mbox, maildir), `weibao mail reprocess`, and the CLI wiring."""

from __future__ import annotations

import mailbox as stdlib_mailbox
from pathlib import Path
from typing import Any

import pytest

from tests.mail.factories import mailbox
from tests.mail.samples import make_mail
from weibao.cli import main
from weibao.mail import intake
from weibao.mail.models import InboundMessage, InboundStatus, Outcome

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_django_setup(monkeypatch: pytest.MonkeyPatch) -> None:
    # pytest-django already configured Django; the CLI's own setup would do it again.
    monkeypatch.setattr("weibao.cli._setup", lambda: None)


def _machine(i: int) -> bytes:
    return make_mail(subject=f"自动回复 {i}", headers={"Auto-Submitted": "auto-replied"})


def test_import_maildir_prints_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(intake, "human_mail", lambda **kw: Outcome.CREATED)
    md = stdlib_mailbox.Maildir(str(tmp_path / "md"), create=True)
    for i in range(3):
        md.add(_machine(i))
    md.add(make_mail(body="人写的邮件"))
    mailbox(name="服务台")
    assert main(["mail", "import", str(tmp_path / "md"), "--mailbox", "服务台"]) == 0
    out = capsys.readouterr().out
    assert "created: 1" in out and "machine: 3" in out and "quarantined: 0" in out and "total: 4" in out
    assert InboundMessage.objects.filter(mailbox__name="服务台").count() == 4
    # a second import of the same archive changes nothing
    assert main(["mail", "import", str(tmp_path / "md"), "--mailbox", "服务台"]) == 0
    assert "already imported: 4" in capsys.readouterr().out
    assert InboundMessage.objects.count() == 4


def test_import_mbox_and_single_eml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    box = stdlib_mailbox.mbox(str(tmp_path / "archive.mbox"), create=True)
    box.add(_machine(1))
    box.add(_machine(2))
    box.flush()
    (tmp_path / "one.eml").write_bytes(_machine(3))
    assert main(["mail", "import", str(tmp_path / "archive.mbox")]) == 0
    assert "machine: 2" in capsys.readouterr().out
    assert main(["mail", "import", str(tmp_path / "one.eml")]) == 0
    assert "machine: 1" in capsys.readouterr().out
    assert sorted(InboundMessage.objects.values_list("subject", flat=True)) == ["自动回复 1", "自动回复 2", "自动回复 3"]


def test_import_missing_path_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mail", "import", str(tmp_path / "nope")]) == 2
    assert "不存在" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["mail", "import", str(tmp_path), "--mailbox", "no-such-box"])


def test_reprocess_command_releases_quarantine(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    state: dict[str, Any] = {"fail": True}

    def human(**kw: Any) -> str:
        if state["fail"]:
            raise RuntimeError("暂时失败")
        return Outcome.JOINED

    monkeypatch.setattr(intake, "human_mail", human)
    (tmp_path / "a.eml").write_bytes(make_mail())
    main(["mail", "import", str(tmp_path / "a.eml")])
    assert "quarantined: 1" in capsys.readouterr().out
    state["fail"] = False
    assert main(["mail", "reprocess"]) == 0
    assert "processed: 1, still quarantined: 0" in capsys.readouterr().out
    assert InboundMessage.objects.get().status == InboundStatus.PROCESSED
