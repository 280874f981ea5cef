"""The typed readers behind every WEIBAO_* variable."""

from __future__ import annotations

import pytest

from weibao.config.env import Env, EnvError


def test_bool_reader() -> None:
    env = Env({"A": "Yes", "B": "0", "C": " on ", "D": "maybe"})
    assert env.bool("A", False) is True and env.bool("B", True) is False and env.bool("C", False) is True
    assert env.bool("MISSING", True) is True
    with pytest.raises(EnvError, match="D='maybe'"):
        env.bool("D", False)


def test_int_reader_with_minimum() -> None:
    env = Env({"N": "12", "Z": "0", "X": "1.5"})
    assert env.int("N", 1) == 12 and env.int("MISSING", 7) == 7
    with pytest.raises(EnvError, match="Z"):
        env.int("Z", 1, minimum=1)
    with pytest.raises(EnvError, match="X"):
        env.int("X", 1)


def test_url_choice_timezone_and_list_readers() -> None:
    env = Env({"U": "redis://h:6379/0", "BADU": "ftp://h", "L": "zh-hans", "BADL": "fr", "TZ": "Mars/Base", "HOSTS": "a, b,,c "})
    assert env.url("U", "", ["redis"]) == "redis://h:6379/0"
    with pytest.raises(EnvError, match="BADU"):
        env.url("BADU", "", ["redis", "sqlite"])
    assert env.choice("L", "en", ["zh-hans", "en"]) == "zh-hans"
    with pytest.raises(EnvError, match="BADL"):
        env.choice("BADL", "en", ["zh-hans", "en"])
    with pytest.raises(EnvError, match="TZ"):
        env.timezone("TZ", "Asia/Shanghai")
    assert env.timezone("MISSING", "Asia/Shanghai") == "Asia/Shanghai"
    assert env.list("HOSTS", []) == ["a", "b", "c"]


def test_every_variable_read_by_the_code_is_documented() -> None:
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    used = set()
    for path in (root / "weibao").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"(?:env\.\w+|environ\.get|getenv|EnvError)\(\s*\"(WEIBAO_[A-Z0-9_]+)\"", text))
        used |= set(re.findall(r"environ\[\"(WEIBAO_[A-Z0-9_]+)\"\]", text))
    documented = set(re.findall(r"`(WEIBAO_[A-Z0-9_]+)`", (root / "docs" / "configuration.md").read_text(encoding="utf-8")))
    assert "WEIBAO_DEBUG" in used and "WEIBAO_HOST" in used  # the scan finds readers
    assert used - documented == set(), "document these in docs/configuration.md"
