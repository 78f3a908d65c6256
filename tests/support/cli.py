"""The `tandem` command as a user runs it: a real process, with only the TANDEM_ settings given."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.clock import tandem_now
from tests.support.databases import ROOT

TANDEM = str(Path(sys.executable).parent / "tandem")


def tandem(
    *args: str, database_url: str | None = None, clocked: bool = False, **env: str
) -> subprocess.CompletedProcess[str]:
    """`tandem ARGS`; `clocked`: at the suite's clock, not the real one (for commands whose
    output depends on the date: tests/support/clocked.py)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("TANDEM_")}
    if database_url:
        environ["TANDEM_DATABASE_URL"] = database_url
    environ.update(env)
    command = [*tandem_now(), *args] if clocked else [TANDEM, *args]
    return subprocess.run(
        command, capture_output=True, text=True, env=environ, cwd=ROOT, timeout=120
    )
