"""The property-based tests here (marked `fuzz`) run under the Hypothesis profiles of the parsers' tests:
200 examples each in the normal run, 5,000 with `pytest -m fuzz` (tests/knowledge/conftest.py)."""

from tests.knowledge.conftest import pytest_configure  # noqa: F401 - the same profiles, loaded the same way
