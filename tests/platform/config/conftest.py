"""Fixtures shared by the tests of config: the loopback Sentry collector."""

from tests.platform.config.test_sentry import sentry_collector  # noqa: F401
