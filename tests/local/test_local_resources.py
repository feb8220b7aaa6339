"""create_resources builds what the real template.yaml declares, idempotently; `python -m local`
starts and stops cleanly."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from typing import Any

import requests
from conftest import REPO_ROOT

from local.aws import client, create_resources
from local.stack import LocalStack
from local.template import load
from tests.harness.stopping import sigint_default


def test_real_template_resources_idempotent(stack: LocalStack, sqs: Any, s3: Any) -> None:
    template = load(REPO_ROOT / "template.yaml", aws_url=stack.aws_url, name_prefix="real-tmpl")
    origins = ["http://127.0.0.1:3999"]
    create_resources(stack.aws_url, template, extra_cors_origins=origins)
    create_resources(stack.aws_url, template, extra_cors_origins=origins)

    ddb = client("dynamodb", stack.aws_url)
    table = ddb.describe_table(TableName="real-tmpl")["Table"]
    assert [g["IndexName"] for g in table["GlobalSecondaryIndexes"]] == ["gsi1"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    ttl = ddb.describe_time_to_live(TableName="real-tmpl")["TimeToLiveDescription"]
    assert ttl["TimeToLiveStatus"] == "ENABLED" and ttl["AttributeName"] == "expires_at"

    queue_url = template.queue_url("IngestQueue")
    attrs = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    assert json.loads(attrs["RedrivePolicy"]) == {
        "deadLetterTargetArn": template.queue_arn("IngestDeadLetterQueue"),
        "maxReceiveCount": 5,
    }

    (conf,) = s3.get_bucket_notification_configuration(Bucket="real-tmpl")["QueueConfigurations"]
    assert conf["QueueArn"] == template.queue_arn("IngestQueue")
    assert conf["Filter"]["Key"]["FilterRules"][0]["Value"] == "incoming/"
    (rule,) = s3.get_bucket_cors(Bucket="real-tmpl")["CORSRules"]
    assert s3.get_bucket_versioning(Bucket="real-tmpl")["Status"] == "Enabled"
    assert rule["AllowedOrigins"] == ["http://localhost:3000", "http://127.0.0.1:3999"]

    # the notification was configured once: one s3:TestEvent, not two
    bodies = [
        m["Body"]
        for m in sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
    ]
    assert len([b for b in bodies if "s3:TestEvent" in b]) == 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_python_m_local_runs_until_interrupted(tmp_path: Any) -> None:
    port, moto_port = _free_port(), _free_port()
    env = {**os.environ, "PORT": str(port), "MOTO_PORT": str(moto_port)}
    errors = (tmp_path / "stderr.log").open("w+")
    proc = subprocess.Popen(
        [sys.executable, "-m", "local"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=errors,
        text=True,
        preexec_fn=sigint_default,  # Ctrl-C as from a terminal, whatever the CI runner ignores
    )
    try:
        deadline = time.monotonic() + 90  # generous: CI machines may be busy
        while True:
            try:
                token = requests.get(f"http://127.0.0.1:{port}/_local/token?sub=dev", timeout=3).json()["token"]
                break
            except (requests.ConnectionError, requests.Timeout):
                assert proc.poll() is None and time.monotonic() < deadline, "python -m local did not start"
                time.sleep(0.2)
        assert token.count(".") == 2
        assert requests.get(f"http://127.0.0.1:{port}/images", timeout=30).status_code == 401
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            out, _ = proc.communicate(timeout=90)  # as generous as the start: a busy machine is slow
        except subprocess.TimeoutExpired:
            # Still running: ask for every thread's stack (python -m local registers SIGUSR1 for
            # that) so a hang says where it is, then stop it.
            proc.send_signal(signal.SIGUSR1)
            time.sleep(2)
            proc.kill()
            proc.communicate()
            errors.seek(0)
            raise AssertionError("python -m local did not stop on SIGINT:\n" + errors.read()[-6000:]) from None
    assert proc.returncode == 0
    assert f"http://127.0.0.1:{port}/" in out and f"http://127.0.0.1:{moto_port}" in out and "TOKEN=" in out
