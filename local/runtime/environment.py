"""What the functions see locally: the template's environment variables resolved, boto3 pointed at
the local AWS endpoint with moto's test credentials (the same for in-process handlers and for
`sam local` containers)."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from .. import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY
from ..template import LocalTemplate

log = logging.getLogger("local.stack")

DEFAULT_AUDIENCE = "image-api"


def local_environment(
    template: LocalTemplate, aws_url: str, caller_env: Mapping[str, str] | None = None
) -> dict[str, str | None]:
    """What the functions see: the template's variables resolved locally, boto3 pointed at the
    local endpoint with test credentials. A None value means "unset"."""
    caller_env = os.environ if caller_env is None else caller_env
    env: dict[str, str | None] = dict(template.environment)
    for fn in template.functions.values():
        for name, value in fn.environment.items():
            # In-process functions share one os.environ: a per-function value applies to all.
            if env.get(name, value) != value:
                log.warning(
                    "%s sets %s differently from another function; the local stack uses %r", fn.logical_id, name, value
                )
            env[name] = value
    env.update(
        {
            "AWS_ENDPOINT_URL": aws_url,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
            "AWS_SESSION_TOKEN": None,
            "AWS_SECURITY_TOKEN": None,
            "AWS_PROFILE": None,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "POWERTOOLS_TRACE_DISABLED": "true",
            "AWS_XRAY_SDK_ENABLED": "false",
            "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR",
            "IMPORT_ALLOW_PRIVATE_NETWORKS": caller_env.get("IMPORT_ALLOW_PRIVATE_NETWORKS", "false"),
            # Webhook endpoints may be plain http locally (receivers on 127.0.0.1); https only in AWS.
            "WEBHOOK_ALLOW_HTTP": "true",
        }
    )
    env.setdefault("POWERTOOLS_SERVICE_NAME", "image-api")
    env.setdefault("POWERTOOLS_METRICS_NAMESPACE", "ServerlessImageApi")
    return env
