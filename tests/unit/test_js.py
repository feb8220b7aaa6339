"""Every JavaScript unit test (tests/js: the page's pure modules and the cloud sign-in module)
under `node --test`, so `make test` covers them too."""

from tests.harness.node import run_node_tests


def test_node_unit_tests_pass() -> None:
    run_node_tests("tests/js/")
