from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def clean_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a fresh installation: no WEIBAO_* from the test process, a private data dir."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEIBAO_") and k != "DJANGO_SETTINGS_MODULE"}
    env["WEIBAO_DATA_DIR"] = str(data_dir)
    env["PYTHONPATH"] = str(REPO)
    env.update(extra)
    return env


def run_weibao(args: list[str], data_dir: Path, timeout: float = 60, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "weibao", *args], cwd=REPO, env=clean_env(data_dir, **extra),
        capture_output=True, text=True, timeout=timeout,
    )
