"""Run a benchmark script again in a fresh Python process and read the JSON it prints.

A figure taken in a process of its own is not disturbed by what the parent
has already imported, allocated or timed: the garbage collector's work, the
peak memory, a library's threads. The script is run as
``python script args...`` and prints its figures as JSON on its last line.

Standard library only: `bench_scalar` imports this module, and must not
import numpy (it would change the collector's work that it measures).
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any


def run_json(script: str, *args: str) -> Any:
    """Run ``python script *args`` in a fresh process; return the JSON of its last line.

    A child that fails raises ``CalledProcessError`` carrying its output.
    """
    done = subprocess.run(
        [sys.executable, script, *args], check=True, capture_output=True, text=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])
