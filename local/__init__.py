"""Docker-free local stack (SPEC §6), in rooms named for what they stand in for:

- ``local.aws``: the AWS endpoint (moto's server, S3 POST policies, resources from the template);
- ``local.runtime``: what Lambda does around a handler (loading, environment, event-source pollers);
- ``local.edge``: API Gateway, the JWT authorizer, throttling, access logs, the CDN stand-in;
- ``local.containers``: the Docker engine, the Lambda image, ``make sam-dev``.

Under them, ``local.template`` (reads template.yaml) and ``local.server`` (a WSGI server on a
thread); over them, ``local.stack`` composes the stack and ``python -m local`` (``make dev``) runs
it. tests/unit/test_architecture.py keeps imports running downwards.
"""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

# moto derives the account from the access key; these are moto's defaults.
ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
ACCESS_KEY_ID = "testing"
SECRET_ACCESS_KEY = "testing"  # noqa: S105 - moto test credentials, not a secret

__all__ = ["ACCESS_KEY_ID", "ACCOUNT_ID", "REGION", "REPO_ROOT", "SECRET_ACCESS_KEY"]
