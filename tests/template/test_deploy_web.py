"""scripts/deploy_web.py without AWS: the config it writes for the page (validated by the same rules
web/auth/pkce.js applies), the CORS warning, and the sync against moto's S3."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import uuid
from pathlib import Path

import boto3
import pytest

from .conftest import REPO_ROOT

_spec = importlib.util.spec_from_file_location("deploy_web", REPO_ROOT / "scripts" / "deploy_web.py")
deploy_web = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(deploy_web)

OUTPUTS = {
    "ApiUrl": "https://abc123.execute-api.eu-west-1.amazonaws.com",
    "Region": "eu-west-1",
    "UserPoolId": "eu-west-1_AbCdEfGhI",
    "UserPoolClientId": "1example23456789abcdefghij",
    "CognitoDomain": "image-api-dev-123456789012.auth.eu-west-1.amazoncognito.com",
    "JwtIssuerUrl": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEfGhI",
    "WebUrl": "https://d111111abcdef8.cloudfront.net/",
    "WebBucketName": "web-bucket",
    "WebDistributionId": "E2EXAMPLE",
}


def test_config_shape_matches_the_page_and_the_sign_in_module() -> None:
    config = deploy_web.build_config(OUTPUTS)
    assert config["apiUrl"] == OUTPUTS["ApiUrl"]
    assert config["region"] == "eu-west-1"
    assert config["auth"] == {
        "mode": "cognito",
        "region": "eu-west-1",
        "userPoolId": OUTPUTS["UserPoolId"],
        "clientId": OUTPUTS["UserPoolClientId"],
        "domain": OUTPUTS["CognitoDomain"],
        "redirectUri": OUTPUTS["WebUrl"],
        "logoutUri": OUTPUTS["WebUrl"],
        "scopes": ["openid", "email", "profile"],
    }


def test_generated_config_passes_the_modules_validation(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    config = deploy_web.build_config(OUTPUTS)
    script = tmp_path / "check.mjs"
    module = (REPO_ROOT / "web" / "auth" / "pkce.js").as_uri()
    script.write_text(
        f"import {{ validateConfig }} from {json.dumps(module)};\n"
        f"const cfg = validateConfig({json.dumps(config['auth'])});\n"
        "console.log(JSON.stringify(cfg));\n"
    )
    result = subprocess.run([node, str(script)], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["tokenEndpoint"].endswith(".amazoncognito.com/oauth2/token")


def test_missing_outputs_and_foreign_issuers_are_explained() -> None:
    with pytest.raises(deploy_web.DeployError, match="UserPoolClientId"):
        deploy_web.build_config({k: v for k, v in OUTPUTS.items() if k != "UserPoolClientId"})
    with pytest.raises(deploy_web.DeployError, match="not the stack's Cognito pool"):
        deploy_web.build_config({**OUTPUTS, "JwtIssuerUrl": "https://id.example.com/"})


def test_cors_warning_until_the_page_origin_is_allowed() -> None:
    (warning,) = deploy_web.cors_warnings(OUTPUTS, {"CorsAllowOrigins": "http://localhost:3000"})
    assert "CorsAllowOrigins=http://localhost:3000,https://d111111abcdef8.cloudfront.net" in warning
    allowed = {"CorsAllowOrigins": "http://localhost:3000,https://d111111abcdef8.cloudfront.net"}
    assert deploy_web.cors_warnings(OUTPUTS, allowed) == []


def test_samconfig_environments() -> None:
    assert deploy_web.samconfig_env("default") == ("image-api-dev", "eu-west-1")
    assert deploy_web.samconfig_env("prod") == ("image-api-prod", "eu-west-1")


def test_sync_uploads_the_page_with_generated_config_and_removes_stale_files(
    tmp_path: Path, moto_endpoint: str
) -> None:
    web = tmp_path / "web"
    (web / "js").mkdir(parents=True)
    (web / "index.html").write_text("<!doctype html>")
    (web / "js" / "app.js").write_text("export {}")
    (web / "config.json").write_text('{"auth": {"mode": "local"}}')  # the local one is never published
    (web / ".hidden").write_text("x")
    config = deploy_web.build_config(OUTPUTS)
    # The shared moto server, not moto's in-process mock: leaving mock_aws() resets every moto
    # backend in this process, including the one behind the other tests' local stacks.
    bucket = f"web-bucket-{uuid.uuid4().hex[:8]}"
    s3 = boto3.client("s3", region_name="eu-west-1", endpoint_url=moto_endpoint)
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_object(Bucket=bucket, Key="old.js", Body=b"stale")
    result = deploy_web.sync(s3, bucket, web, config)
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"])
    assert keys == ["config.json", "index.html", "js/app.js"]
    assert result["removed"] == ["old.js"]
    published = s3.get_object(Bucket=bucket, Key="config.json")
    assert json.loads(published["Body"].read()) == config
    assert published["CacheControl"] == "no-store"
    page = s3.head_object(Bucket=bucket, Key="index.html")
    assert page["ContentType"] == "text/html; charset=utf-8"
    assert s3.head_object(Bucket=bucket, Key="js/app.js")["ContentType"].startswith("text/javascript")


def test_describe_stack_reads_outputs_and_parameters() -> None:
    class FakeCfn:
        def describe_stacks(self, StackName):
            return {
                "Stacks": [
                    {
                        "StackStatus": "UPDATE_COMPLETE",
                        "Outputs": [{"OutputKey": "ApiUrl", "OutputValue": "https://x"}],
                        "Parameters": [{"ParameterKey": "CorsAllowOrigins", "ParameterValue": "a,b"}],
                    }
                ]
            }

    assert deploy_web.describe_stack(FakeCfn(), "s") == ({"ApiUrl": "https://x"}, {"CorsAllowOrigins": "a,b"})

    class RolledBack(FakeCfn):
        def describe_stacks(self, StackName):
            return {"Stacks": [{"StackStatus": "UPDATE_ROLLBACK_COMPLETE"}]}

    with pytest.raises(deploy_web.DeployError, match="ROLLBACK"):
        deploy_web.describe_stack(RolledBack(), "s")


def test_invalidation_covers_everything() -> None:
    class FakeCloudFront:
        def create_invalidation(self, DistributionId, InvalidationBatch):
            assert DistributionId == "E2EXAMPLE"
            assert InvalidationBatch["Paths"] == {"Quantity": 1, "Items": ["/*"]}
            return {"Invalidation": {"Id": "I1"}}

    assert deploy_web.invalidate(FakeCloudFront(), "E2EXAMPLE") == "I1"
