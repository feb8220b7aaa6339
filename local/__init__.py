"""Docker-free local stack: moto's server (with S3 POST policy enforcement), the local gateway
that runs the handlers in-process, a local JWT issuer and the SQS poller (SPEC §6).

Start everything with ``python -m local`` (what ``make dev`` runs) or, from tests,
``with LocalStack() as stack: ...`` (see ``local.stack``).
"""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

# moto derives the account from the access key; these are moto's defaults.
ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
ACCESS_KEY_ID = "testing"
SECRET_ACCESS_KEY = "testing"  # noqa: S105 - moto test credentials, not a secret

__all__ = ["ACCESS_KEY_ID", "ACCOUNT_ID", "REGION", "REPO_ROOT", "SECRET_ACCESS_KEY"]
