"""The AWS endpoint room: what stands in for S3, DynamoDB, SQS (and the other services moto serves)
on one loopback port, and the resources template.yaml declares on it.

- `endpoint`: moto's server app, DynamoDB made atomic per request (`dynamo_fast` keeps it fast with a
  real collection), on a background thread;
- `s3browser`, `s3post`: what S3 does for browsers (POST policies, CORS, presigned expiry);
- `resources`: create what the template declares; `clients`: boto3 clients for the endpoint;
  `inprocess`: a request to moto's app in this process, without a socket;
- `snapshot`: save and restore the endpoint's data (the compose image's volume).
"""

from .clients import client
from .endpoint import LocalAwsServer
from .resources import create_resources

__all__ = ["LocalAwsServer", "client", "create_resources"]
