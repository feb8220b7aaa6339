"""The web page's cloud sign-in module (web/auth/pkce.js) under `node --test tests/template/js`."""

from tests.support import run_node_tests


def test_sign_in_module_unit_tests_pass() -> None:
    run_node_tests("tests/template/js")
