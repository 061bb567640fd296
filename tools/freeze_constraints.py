"""Print constraints.txt from the packages installed in the current environment (``make constraints``)."""

from __future__ import annotations

import subprocess
import sys

HEADER = """\
# Every version the tests passed on (Python 3.11, Linux x86_64, CPU only).
# The Makefile installs through this file: pip install -c constraints.txt -e '.[dev]'.
# torch==2.13.0 is the CPU build (2.13.0+cpu); never install torch without this file,
# or pip resolves a multi-GB CUDA build. Regenerate with: make constraints"""

freeze = subprocess.run(
    [sys.executable, "-m", "pip", "freeze", "--all", "--exclude-editable"], capture_output=True, text=True, check=True
).stdout.splitlines()
lines = []
for line in freeze:
    if not line or line.startswith(("dlscratch", "-e ", "wheel==")):
        continue
    if line.startswith("torch=="):
        line = "torch==" + line.split("==", 1)[1].split("+", 1)[0]  # the local label (+cpu) is the wheel's, not a pin
    lines.append(line)
print(HEADER)
print("\n".join(sorted(lines, key=str.lower)))
