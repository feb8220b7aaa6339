"""boto3 clients for the local AWS endpoint, with moto's test credentials."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from .. import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY


def client(service: str, endpoint_url: str) -> Any:
    return boto3.client(  # type: ignore[call-overload]  # the stubs type only literal service names
        service,
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET_ACCESS_KEY,
        config=Config(retries={"max_attempts": 2}),
    )
