"""Chinese by default whatever the browser says, English per user; time zone per user; catalogues complete."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from django.test import Client

from tests.factories import UserFactory
from weibao.accounts.services import api_token_create

ROOT = Path(__file__).resolve().parents[2] / "weibao"


def _signed_in(**fields: object) -> Client:
    client = Client()
    client.force_login(UserFactory(**fields), backend="weibao.accounts.backends.UsernameOrEmailBackend")
    return client


@pytest.mark.django_db
def test_ui_is_chinese_by_default_even_for_an_english_browser() -> None:
    page = Client().get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert page["Content-Language"] == "zh-hans"
    assert "登录维保" in page.content.decode()


@pytest.mark.django_db
def test_ui_is_english_for_a_user_who_chose_english() -> None:
    page = _signed_in(language="en").get("/accounts/me/")
    text = page.content.decode()
    assert page["Content-Language"] == "en"
    assert "My account" in text and "Create token" in text and "Sign out" in text
    assert "我的账户" not in text


@pytest.mark.django_db
def test_user_switches_language_on_the_account_page() -> None:
    client = _signed_in()
    assert "我的账户" in client.get("/accounts/me/").content.decode()
    response = client.post("/accounts/me/", {"save_preferences": "1", "language": "en", "timezone": "Europe/London"})
    assert response.status_code == 302
    assert "My account" in client.get("/accounts/me/").content.decode()


@pytest.mark.django_db
def test_bad_time_zone_is_refused_and_nothing_changes() -> None:
    user = UserFactory()
    client = Client()
    client.force_login(user, backend="weibao.accounts.backends.UsernameOrEmailBackend")
    page = client.post("/accounts/me/", {"save_preferences": "1", "language": "en", "timezone": "Mars/Olympus"})
    assert page.status_code == 200
    user.refresh_from_db()
    assert (user.language, user.timezone) == ("zh-hans", "Asia/Shanghai")


@pytest.mark.django_db
@pytest.mark.parametrize(("tz", "shown"), [("Asia/Shanghai", "2026-03-02 09:30"), ("Europe/Berlin", "2026-03-02 02:30")])
def test_times_are_shown_in_the_users_time_zone(tz: str, shown: str) -> None:
    user = UserFactory(timezone=tz)
    with time_machine.travel(datetime(2026, 3, 2, 1, 30, tzinfo=UTC), tick=False):
        api_token_create(actor=user, name="t")
    client = Client()
    client.force_login(user, backend="weibao.accounts.backends.UsernameOrEmailBackend")
    assert shown in client.get("/accounts/me/").content.decode()


@pytest.mark.django_db
def test_api_errors_follow_the_users_language() -> None:
    from rest_framework.test import APIClient

    english = UserFactory(language="en")
    bearer = APIClient()
    bearer.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_create(actor=english, name='x').raw}")
    assert bearer.get("/api/v1/systems/none").json()["message"] == "System not found."
    assert _signed_in(language="en").get("/api/v1/systems/none").json()["message"] == "System not found."
    assert _signed_in().get("/api/v1/systems/none").json()["message"] == "系统不存在。"


@pytest.mark.django_db
def test_an_api_client_asks_for_its_language_with_accept_language() -> None:
    from rest_framework.test import APIClient

    def bearer(language: str) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_create(actor=UserFactory(language=language), name='x').raw}")
        return client

    chinese, english = bearer("zh-hans"), bearer("en")
    response = chinese.get("/api/v1/systems/none", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert (response.json()["message"], response["Content-Language"]) == ("System not found.", "en")
    assert "Accept-Language" in response["Vary"]
    response = english.get("/api/v1/systems/none", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    assert (response.json()["message"], response["Content-Language"]) == ("系统不存在。", "zh-hans")
    # a language we do not have, a wildcard or a malformed header: the user's own
    for header in ("fr-FR", "*", "en;q=abc"):
        assert english.get("/api/v1/systems/none", HTTP_ACCEPT_LANGUAGE=header).json()["message"] == "System not found."
        assert chinese.get("/api/v1/systems/none", HTTP_ACCEPT_LANGUAGE=header).json()["message"] == "系统不存在。"
    # a browser's session calling /api/ (the SLA export, the suggestions) keeps the user's language, as its pages
    assert _signed_in().get("/api/v1/systems/none", HTTP_ACCEPT_LANGUAGE="en").json()["message"] == "系统不存在。"
    assert _signed_in(language="en").get("/api/v1/systems/none",
                                         HTTP_ACCEPT_LANGUAGE="zh-CN").json()["message"] == "System not found."
    # an anonymous program gets what it asks for
    anonymous = Client().get("/api/v1/systems", HTTP_ACCEPT_LANGUAGE="en")
    assert anonymous.status_code in (401, 403) and anonymous["Content-Language"] == "en"
    assert not re.search(r"[\u4e00-\u9fff]", anonymous.json()["message"])
    # the web UI does not follow the browser's header
    page = _signed_in().get("/accounts/me/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert page["Content-Language"] == "zh-hans" and "我的账户" in page.content.decode()


def _catalogues() -> list[Path]:
    return sorted(ROOT.glob("**/locale/en/LC_MESSAGES/django.po"))


def test_every_english_catalogue_is_complete_and_compiled() -> None:
    """A Chinese string without its English is a half-translated page; a stale .mo hides new strings."""
    catalogues = _catalogues()
    assert {p.relative_to(ROOT).parts[0] for p in catalogues} >= {"locale", "accounts", "customers", "core", "staff", "portal"}
    problems = []
    for po in catalogues:
        text = po.read_text(encoding="utf-8")
        for entry in text.split("\n\n")[1:]:
            if "#, fuzzy" in entry:
                problems.append(f"{po}: fuzzy entry {entry.splitlines()[-2:]}")
            msgstr = "".join(re.findall(r'^(?:msgstr(?:\[\d\])? )?"(.*)"$', entry.split("msgstr", 1)[-1].join(["msgstr", ""]), re.M))
            if re.search(r'^msgid "', entry, re.M) and not msgstr:
                problems.append(f"{po}: untranslated {entry.splitlines()[-2:]}")
        mo = po.with_suffix(".mo")
        if not mo.exists():
            problems.append(f"{mo} missing: run compilemessages")
    assert not problems, "\n".join(problems)


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext's msgfmt is not installed")
def test_compiled_catalogues_match_their_sources(tmp_path: Path) -> None:
    stale = []
    for po in _catalogues():
        out = tmp_path / "x.mo"
        subprocess.run(["msgfmt", "-o", str(out), str(po)], check=True)
        if out.read_bytes() != po.with_suffix(".mo").read_bytes():
            stale.append(str(po.with_suffix(".mo")))
    assert not stale, f"recompile (django-admin compilemessages): {stale}"


_PY_MSG = re.compile(r'(?<![\w.])(?:_|gettext|gettext_lazy|gettext_noop|ngettext|ngettext_lazy)\(\s*"((?:[^"\\]|\\.)*)"')
_TPL_MSG = re.compile(r"""\{%\s*(?:translate|trans)\s+(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")
_HAN = re.compile(r"[\u4e00-\u9fff]")


def _unescape(text: str) -> str:
    return text.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")


def _english_msgids() -> set[str]:
    ids: set[str] = set()
    for po in _catalogues():
        for match in re.finditer(r'^msgid ((?:".*"\n?)+)', po.read_text(encoding="utf-8"), re.M):
            ids.add(_unescape("".join(re.findall(r'"(.*)"', match.group(1)))))
    return ids


def test_every_chinese_source_string_has_its_english() -> None:
    """A string marked for translation in code or a template, with no English entry, shows Chinese to English users.

    Scans the literal messages of gettext calls and {% translate %} tags; a new string fails here until
    its English is added to an app's catalogue.
    """
    known = _english_msgids()
    missing: list[str] = []
    sources = [p for p in ROOT.rglob("*") if p.suffix in {".py", ".html", ".txt"} and "migrations" not in p.parts]
    for path in sources:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".py":
            found = [m.group(1) for m in _PY_MSG.finditer(text)]
        else:
            found = [m.group(1) or m.group(2) for m in _TPL_MSG.finditer(text)]
        for raw in found:
            message = _unescape(raw)
            if _HAN.search(message) and message not in known:
                missing.append(f"{path.relative_to(ROOT)}: {message[:80]}")
    assert not missing, f"{len(missing)} strings without English:\n" + "\n".join(sorted(set(missing)))
