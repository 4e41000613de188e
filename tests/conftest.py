"""Hypothesis profiles for every property and fuzz test; the testinfra pytest plugin.

``ci`` (the default) keeps each property test to a bounded number of examples and no
deadline (a loaded CI machine must not turn slowness into failures); ``long`` is for
hunting: ``pytest --hypothesis-profile long tests/...``.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# A fixture's set-up error (a server that did not start) in full once, not once per test;
# pytester runs that plugin's own test.
pytest_plugins = ("testinfra.pytest_plugin", "pytester")

settings.register_profile(
    "ci",
    max_examples=60,
    deadline=None,
    derandomize=False,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile(
    "long",
    max_examples=5000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile(os.environ.get("DNSSYNC_HYPOTHESIS_PROFILE", "ci"))
