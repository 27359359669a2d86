"""`make fuzz`: Schemathesis over every operation of the OpenAPI document against a fresh local stack,
many examples per operation, then the totals (requests, operations, 5xx) from the run's report.

Run: python -m devtools.fuzz [EXAMPLES_PER_OPERATION]   (default 80: about 2,000 requests)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from devtools.template import ROOT

REPORT = ROOT / ".local" / "fuzz.json"


def main(argv: list[str]) -> int:
    examples = argv[0] if argv else "80"
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.unlink(missing_ok=True)
    env = {**os.environ, "FUZZ_EXAMPLES": examples, "FUZZ_REPORT": str(REPORT)}
    status = subprocess.call([sys.executable, "-m", "pytest", "tests/integration/test_fuzz.py", "-q",
                              "-p", "no:xdist", "-p", "no:logging"], cwd=ROOT, env=env)
    if REPORT.exists():
        report = json.loads(REPORT.read_text())
        print(f"fuzz: {report['requests']} requests over {report['operations']} operations, "
              f"{report['server_errors']} server errors (5xx); answers by status: {report['statuses']}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
