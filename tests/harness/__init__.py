"""The shared test harness: fakes of the ports, images, events, handlers, the HTTP client and
the local stack. Suites load its fixtures through ``pytest_plugins`` (tests/conftest.py)."""
