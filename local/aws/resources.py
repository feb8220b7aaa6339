"""`create_resources`: creates what template.yaml declares on the local AWS endpoint (bucket with
versioning, CORS and notifications; queues with redrive; the table with its GSIs, TTL and stream;
the event bus with its rules and their SQS targets, which moto's EventBridge delivers to on
PutEvents; KMS keys under their aliases; generated secrets)."""

from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import Iterable
from typing import Any

from botocore.exceptions import ClientError

from ..template import LocalTemplate
from .clients import client


def create_resources(
    endpoint_url: str, template: LocalTemplate | None = None, extra_cors_origins: Iterable[str] = ()
) -> LocalTemplate:
    """Create the bucket (+versioning, +CORS, +notifications), queues (+redrive) and table (+GSIs, TTL).

    Idempotent: running it again against the same endpoint changes nothing. `extra_cors_origins`
    are added to every bucket CORS rule (the local gateway's origins, so its page can upload).
    """
    if template is None:
        from .. import REPO_ROOT
        from ..template import load

        template = load(REPO_ROOT / "template.yaml", aws_url=endpoint_url)
    sqs, s3, ddb, sm = (client(s, endpoint_url) for s in ("sqs", "s3", "dynamodb", "secretsmanager"))

    for secret in template.secrets.values():
        # GenerateSecretString, as CloudFormation does it: a random value made once, kept on
        # later starts (the compose volume restores it; cursors signed before a restart still verify).
        if secret.generated:
            with contextlib.suppress(sm.exceptions.ResourceExistsException):
                sm.create_secret(Name=secret.name, SecretString=secrets.token_urlsafe(36))

    # Dead-letter queues first: a redrive policy names an existing queue's ARN.
    for spec in sorted(template.queues.values(), key=lambda q: q.dlq_id is not None):
        attributes = dict(spec.attributes)
        if spec.dlq_id:
            attributes["RedrivePolicy"] = json.dumps(
                {"deadLetterTargetArn": template.queue_arn(spec.dlq_id), "maxReceiveCount": spec.max_receive_count}
            )
        try:
            sqs.create_queue(QueueName=spec.name, Attributes=attributes)
        except ClientError as exc:
            if "QueueAlreadyExists" not in str(exc) and "QueueNameExists" not in str(exc):
                raise
            url = sqs.get_queue_url(QueueName=spec.name)["QueueUrl"]
            sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)

    for bucket in template.buckets.values():
        try:
            s3.create_bucket(Bucket=bucket.name)
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise
        if bucket.versioned:  # deletes and overwrites keep noncurrent versions, as in AWS (no lifecycle expiry here)
            s3.put_bucket_versioning(Bucket=bucket.name, VersioningConfiguration={"Status": "Enabled"})
        if bucket.cors_rules:
            rules = [
                {**r, "AllowedOrigins": _unique([*r["AllowedOrigins"], *extra_cors_origins])} for r in bucket.cors_rules
            ]
            s3.put_bucket_cors(Bucket=bucket.name, CORSConfiguration={"CORSRules": rules})
        if bucket.notifications:
            wanted = {"QueueConfigurations": [_queue_notification(n, template) for n in bucket.notifications]}
            current = s3.get_bucket_notification_configuration(Bucket=bucket.name)
            # Only when it changed: S3 (and moto) send an s3:TestEvent to the queue on every put.
            if _comparable(current.get("QueueConfigurations")) != _comparable(wanted["QueueConfigurations"]):
                s3.put_bucket_notification_configuration(Bucket=bucket.name, NotificationConfiguration=wanted)

    for table in template.tables.values():
        kwargs: dict[str, Any] = {
            "TableName": table.name,
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": table.attribute_definitions,
            "KeySchema": table.key_schema,
        }
        if table.global_secondary_indexes:
            kwargs["GlobalSecondaryIndexes"] = [
                {k: v for k, v in g.items() if k in ("IndexName", "KeySchema", "Projection")}
                for g in table.global_secondary_indexes
            ]
        stream = {"StreamEnabled": True, "StreamViewType": table.stream_view_type} if table.stream_view_type else None
        if stream:
            kwargs["StreamSpecification"] = stream
        try:
            ddb.create_table(**kwargs)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceInUseException":
                raise
            described = ddb.describe_table(TableName=table.name)["Table"]
            if stream and not described.get("StreamSpecification", {}).get("StreamEnabled"):
                ddb.update_table(TableName=table.name, StreamSpecification=stream)
        if table.ttl_attribute:
            ttl = ddb.describe_time_to_live(TableName=table.name)["TimeToLiveDescription"]
            if ttl.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
                ddb.update_time_to_live(
                    TableName=table.name,
                    TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute},
                )
    _create_buses(endpoint_url, template)
    _create_keys(endpoint_url, template)
    return template


def _create_buses(endpoint_url: str, template: LocalTemplate) -> None:
    """The event buses and their rules; moto's EventBridge delivers matching events to SQS targets
    on PutEvents (tests/local/test_local_streams.py)."""
    if not template.buses and not template.rules:
        return
    events = client("events", endpoint_url)
    for bus in template.buses.values():
        try:
            events.create_event_bus(Name=bus.name)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceAlreadyExistsException":
                raise
    for rule in template.rules.values():
        bus_name = template.buses[rule.bus_id].name if rule.bus_id else "default"
        events.put_rule(Name=rule.name, EventBusName=bus_name, EventPattern=json.dumps(rule.pattern), State="ENABLED")
        targets = [{"Id": queue_id, "Arn": template.queue_arn(queue_id)} for queue_id in rule.queue_ids]
        if targets:
            events.put_targets(Rule=rule.name, EventBusName=bus_name, Targets=targets)


def _create_keys(endpoint_url: str, template: LocalTemplate) -> None:
    """A symmetric KMS key under each alias the template gives one (the functions name keys by alias)."""
    aliased = [key for key in template.keys.values() if key.alias]
    if not aliased:
        return
    kms = client("kms", endpoint_url)
    existing = {a["AliasName"] for a in kms.list_aliases()["Aliases"]}
    for key in aliased:
        if key.alias in existing:
            continue
        key_id = kms.create_key(Description=f"local {key.logical_id}")["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName=key.alias, TargetKeyId=key_id)


def _queue_notification(n: Any, template: LocalTemplate) -> dict[str, Any]:
    conf: dict[str, Any] = {
        "Id": f"{n.queue_id or 'queue'}-notification",
        "QueueArn": template.queue_arn(n.queue_id) if n.queue_id else n.queue_arn,
        "Events": list(n.events),
    }
    rules = [{"Name": name, "Value": value} for name, value in (("prefix", n.prefix), ("suffix", n.suffix)) if value]
    if rules:
        conf["Filter"] = {"Key": {"FilterRules": rules}}
    return conf


def _comparable(confs: list[dict[str, Any]] | None) -> list[str]:
    out = []
    for c in confs or []:
        filter_rules = c.get("Filter", {}).get("Key", {}).get("FilterRules", [])
        rules = sorted((r["Name"].lower(), r["Value"]) for r in filter_rules)
        out.append(json.dumps([c["QueueArn"], sorted(c["Events"]), rules]))
    return sorted(out)


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
