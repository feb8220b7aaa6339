"""The page's pure JavaScript modules (blurhash, S3 XML errors, problems, form rules) under
`node --test`, so `make test` covers them too."""

from tests.support import run_node_tests


def test_node_unit_tests_pass() -> None:
    run_node_tests("tests/browser/js/")
