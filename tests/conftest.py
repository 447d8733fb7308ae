"""Settings for the whole suite.

On CI (``CI`` set, as CI services do) hypothesis runs derandomized: the property tests explore
the same examples on every run, so a red CI always means a change broke something, never that
this run drew a new counterexample. Locally they stay random (with hypothesis's example
database), which is where new counterexamples are found and then pinned as regular tests.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
