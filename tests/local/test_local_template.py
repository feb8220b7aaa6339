"""local.template against the real template.yaml and the fixture template."""

from __future__ import annotations

from conftest import FIXTURES, REPO_ROOT

from local.template import load


def test_real_template_functions_routes_and_triggers() -> None:
    t = load(REPO_ROOT / "template.yaml", aws_url="http://127.0.0.1:5070")
    routes = {r.route_key: (fn.logical_id, r.protected) for r, fn in t.routes}
    assert routes["POST /images"] == ("UploadFunction", True)
    assert routes["GET /images"] == ("ListFunction", True)
    assert routes["GET /images/{id}"][1] is True
    for public in ("GET /health", "GET /openapi.json", "GET /docs"):
        assert routes[public] == ("MetaFunction", False)
    for fn in t.functions.values():
        assert fn.handler == "app.handler"
        assert fn.code_dir.parent == REPO_ROOT / "functions"
    assert t.functions["MetaFunction"].memory_mb == 128
    ingest = t.functions["IngestFunction"]
    assert ingest.memory_mb == 1769 and ingest.timeout_s == 60
    (trigger,) = ingest.sqs_triggers
    assert (trigger.queue_id, trigger.batch_size, trigger.report_batch_item_failures) == ("IngestQueue", 1, True)
    assert trigger.batching_window_seconds == 0  # chosen for upload -> ready latency (docs/decisions.md)
    assert t.jwt_audience[0] == "image-api"  # tokens carry the first; all are accepted


def test_real_template_resources() -> None:
    t = load(REPO_ROOT / "template.yaml", aws_url="http://127.0.0.1:5070")
    (bucket,) = t.buckets.values()
    assert bucket.name == "image-api-local"
    (notification,) = bucket.notifications
    assert (notification.queue_id, notification.prefix, notification.events) == (
        "IngestQueue",
        "incoming/",
        ["s3:ObjectCreated:*"],
    )
    assert bucket.cors_rules[0]["AllowedMethods"] == ["POST", "GET"]
    assert bucket.cors_rules[0]["AllowedOrigins"] == ["http://localhost:3000"]
    assert bucket.versioned is True
    # Browser uploaders (Uppy's AWS S3 plugin) read these from S3's answer to a presigned POST.
    assert {"ETag", "Location"} <= set(bucket.cors_rules[0]["ExposeHeaders"])
    queue = t.queues["IngestQueue"]
    assert (queue.dlq_id, queue.max_receive_count) == ("IngestDeadLetterQueue", 5)
    (table,) = t.tables.values()
    assert table.name == "image-api-local" and table.ttl_attribute == "expires_at"
    assert [g["IndexName"] for g in table.global_secondary_indexes] == ["gsi1"]
    assert {k["AttributeName"] for k in table.key_schema} == {"pk", "sk"}


def test_real_template_environment_is_plain_strings() -> None:
    env = load(REPO_ROOT / "template.yaml", aws_url="http://127.0.0.1:5070").environment
    assert env["TABLE_NAME"] == "image-api-local"
    assert env["BUCKET_NAME"] == "image-api-local"
    assert env["MAX_UPLOAD_BYTES"] == "20971520"
    assert env["CORS_ALLOW_ORIGINS"] == "http://localhost:3000"
    # A secret reaches the functions as its ARN (the local Secrets Manager holds the value).
    assert env["CURSOR_SECRET_ARN"].endswith(":secret:image-api-local-CursorSecret")
    assert "CURSOR_SECRET" not in env
    assert env["POWERTOOLS_LOG_LEVEL"] == "INFO"
    assert all(isinstance(v, str) and "{{resolve" not in v for v in env.values())


def test_fixture_template_resolution_and_overrides() -> None:
    t = load(
        FIXTURES / "template.yaml",
        aws_url="http://127.0.0.1:9999",
        name_prefix="p",
        parameter_overrides={"MaxUploadBytes": "77"},
    )
    env = t.environment
    assert env["WORK_QUEUE_URL"] == "http://127.0.0.1:9999/123456789012/p-WorkQueue"
    assert env["WORK_QUEUE_ARN"] == "arn:aws:sqs:us-east-1:123456789012:p-WorkQueue"
    assert env["CORS_ALLOW_ORIGINS"] == "https://app.example.com,https://admin.example.com"
    assert env["GREETING"] == "hello from us-east-1"
    assert env["MAX_UPLOAD_BYTES"] == "77"
    assert t.functions["EchoFunction"].environment == {"ECHO_ONLY": "yes"}
    assert not any(b.versioned for b in t.buckets.values())  # no VersioningConfiguration: not versioned
    assert t.jwt_audience == ["test-api", "other-api"]
    routes = {r.route_key: r.protected for r, _ in t.routes}
    assert routes["GET /public"] is False and routes["GET /echo/{id}"] is True


def test_conditions_no_value_and_layers(tmp_path) -> None:
    (tmp_path / "layers" / "lib" / "python").mkdir(parents=True)
    (tmp_path / "template.yaml").write_text(
        """
Parameters:
  Mode: {Type: String, Default: ""}
Conditions:
  Empty: !Equals [!Ref Mode, ""]
  Full: !Not [!Condition Empty]
Globals:
  Function:
    Layers: [!Ref Lib]
    Environment:
      Variables:
        PICKED: !If [Empty, fallback, !Ref Mode]
        GONE: !If [Full, x, !Ref AWS::NoValue]
Resources:
  Lib:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: layers/lib/}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Layers: [arn:aws:lambda:us-east-1:123456789012:layer:other:1]
  OnlyWhenFull:
    Type: AWS::SQS::Queue
    Condition: Full
"""
    )
    t = load(tmp_path / "template.yaml")
    assert t.environment == {"PICKED": "fallback"}
    assert t.functions["Fn"].layer_dirs == [tmp_path / "layers" / "lib" / "python"]
    assert t.queues == {}
    t = load(tmp_path / "template.yaml", parameter_overrides={"Mode": "on"})
    assert t.environment == {"PICKED": "on", "GONE": "x"}
    assert list(t.queues) == ["OnlyWhenFull"]
