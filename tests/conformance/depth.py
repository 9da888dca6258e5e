"""How deep the schemathesis runs of the test suite go.

`make test` runs them at a depth that keeps the suite near 20 minutes on two cores; QA's
`make conformance` (TMF_CONFORMANCE=full) runs the same tests at full depth.
"""

from __future__ import annotations

import os

FULL = os.environ.get("TMF_CONFORMANCE", "") == "full"
# Cases per operation and phase. Eight took TMF620 v5's run with our spec 56 s alone, five 25 s
# (the stateful phase's chains grow with it).
MAX_EXAMPLES = 50 if FULL else 5
