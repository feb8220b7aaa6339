"""What the deployed stack promises beyond IAM: identity, web hosting, operations. Read from the
template as written (template.yaml, infra/web-hosting.yaml) and from its SAM translation."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest

from .conftest import REPO_ROOT


def _res(t: dict[str, Any], rtype: str) -> dict[str, dict[str, Any]]:
    return {lid: r for lid, r in t["Resources"].items() if r["Type"] == rtype}


def _functions(sam: dict[str, Any]) -> list[str]:
    return sorted(_res(sam, "AWS::Serverless::Function"))


# ---------------------------------------------------------------- identity


def test_no_function_claims_to_run_under_sam_local(sam_template: dict[str, Any]) -> None:
    # AWS_SAM_LOCAL=true makes a function take the owner from an unverified token (imageapi.http.api:
    # only `sam local` sets it, in its own containers); the deployed stack must never set it.
    env_blocks = [sam_template.get("Globals", {}).get("Function", {}).get("Environment", {})]
    env_blocks += [
        r["Properties"].get("Environment", {}) for r in _res(sam_template, "AWS::Serverless::Function").values()
    ]
    for block in env_blocks:
        assert "AWS_SAM_LOCAL" not in block.get("Variables", {})


_SECRET_NAME_PARTS = ("SECRET", "PASSWORD", "TOKEN", "PRIVATE_KEY", "CREDENTIAL", "API_KEY")


def _environments(t: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every function's environment variables as written (Globals under the name "Globals")."""
    blocks = {"Globals": t.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})}
    for rtype in ("AWS::Serverless::Function", "AWS::Lambda::Function"):
        for lid, r in _res(t, rtype).items():
            blocks[lid] = r.get("Properties", {}).get("Environment", {}).get("Variables", {})
    return blocks


def _secret_in_environment(variables: dict[str, Any], secret_ids: set[str]) -> list[str]:
    """Variables that would put a secret's value into a function's configuration (readable by
    anyone allowed lambda:GetFunctionConfiguration): a dynamic reference to a secret store, or a
    secret-looking name whose value is not a reference to a secret resource (its ARN)."""
    found = []
    for name, value in variables.items():
        text = repr(value)
        if "{{resolve:secretsmanager" in text or "{{resolve:ssm-secure" in text:
            found.append(name)
            continue
        names_a_secret = any(part in name.upper() for part in _SECRET_NAME_PARTS)
        if names_a_secret and not _all_refs_to_secrets(value, secret_ids):
            found.append(name)
    return found


def _all_refs_to_secrets(value: Any, secret_ids: set[str]) -> bool:
    """`!If [cond, !Ref Secret, ""]` and the like: every branch is a secret's ARN or empty."""
    if isinstance(value, dict):
        if "Ref" in value:
            return value["Ref"] in secret_ids or value["Ref"] == "AWS::NoValue"
        if "Fn::If" in value:
            return all(_all_refs_to_secrets(branch, secret_ids) for branch in value["Fn::If"][1:])
        return False
    return value == ""


def test_no_function_environment_holds_a_secret(sam_template: dict[str, Any]) -> None:
    """Secrets reach functions as ARNs; the functions read the value at run time (issue #21)."""
    secret_ids = set(_res(sam_template, "AWS::SecretsManager::Secret"))
    for block, variables in _environments(sam_template).items():
        assert _secret_in_environment(variables, secret_ids) == [], block
    assert sam_template["Globals"]["Function"]["Environment"]["Variables"]["CURSOR_SECRET_ARN"] == {
        "Ref": "CursorSecret"
    }


def test_the_secret_check_catches_a_secret_in_the_environment() -> None:
    secret_ids = {"CursorSecret"}
    leaked = {
        "CURSOR_SECRET": {"Fn::Sub": "{{resolve:secretsmanager:${CursorSecret}:SecretString}}"},
        "DB_PASSWORD": "hunter2",
        "API_TOKEN": {"Ref": "TokenParameter"},
        "OTHER": "{{resolve:ssm-secure:/app/key}}",
    }
    assert sorted(_secret_in_environment(leaked, secret_ids)) == ["API_TOKEN", "CURSOR_SECRET", "DB_PASSWORD", "OTHER"]
    fine = {
        "CURSOR_SECRET_ARN": {"Ref": "CursorSecret"},
        "CDN_PRIVATE_KEY_SECRET": {"Fn::If": ["UseCdn", {"Ref": "CursorSecret"}, ""]},
        "TABLE_NAME": {"Ref": "ImagesTable"},
    }
    assert _secret_in_environment(fine, secret_ids) == []


def test_authorizer_defaults_to_the_stacks_cognito_pool(sam_template: dict[str, Any]) -> None:
    conds = sam_template["Conditions"]
    assert conds["UseCognitoIssuer"] == {"Fn::Equals": [{"Ref": "JwtIssuer"}, ""]}
    assert sam_template["Parameters"]["JwtIssuer"]["Default"] == ""
    jwt = sam_template["Resources"]["HttpApi"]["Properties"]["Auth"]["Authorizers"]["JwtAuthorizer"]
    issuer = jwt["JwtConfiguration"]["issuer"]["Fn::If"]
    assert issuer[0] == "UseCognitoIssuer"
    assert issuer[1] == {"Fn::Sub": "https://cognito-idp.${AWS::Region}.${AWS::URLSuffix}/${UserPool}"}
    assert issuer[2] == {"Ref": "JwtIssuer"}
    assert "UserPoolClient" in repr(jwt["JwtConfiguration"]["audience"])
    assert "JwtAudience" in repr(jwt["JwtConfiguration"]["audience"])


def test_app_client_is_public_code_flow_with_callbacks(sam_template: dict[str, Any]) -> None:
    client = sam_template["Resources"]["UserPoolClient"]["Properties"]
    assert client["GenerateSecret"] is False
    assert client["AllowedOAuthFlows"] == ["code"]
    assert "openid" in client["AllowedOAuthScopes"]
    assert "ALLOW_USER_PASSWORD_AUTH" not in client["ExplicitAuthFlows"]
    for key in ("CallbackURLs", "LogoutURLs"):
        cond, custom, default = client[key]["Fn::If"]
        assert (cond, custom) == ("HasAuthCallbackUrls", {"Ref": "AuthCallbackUrls"})
        assert default == [{"Fn::GetAtt": ["WebHosting", "Outputs.SiteUrl"]}, "http://localhost:3000/"]
    assert sam_template["Resources"]["UserPool"]["Properties"]["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"]
    for output in (
        "UserPoolId",
        "UserPoolClientId",
        "CognitoDomain",
        "WebUrl",
        "WebBucketName",
        "WebDistributionId",
        "ApiUrl",
        "Region",
    ):
        assert output in sam_template["Outputs"], output


# ---------------------------------------------------------------- web hosting


def test_web_bucket_is_private_behind_cloudfront_oac(web_template: dict[str, Any]) -> None:
    (bucket,) = _res(web_template, "AWS::S3::Bucket").values()
    assert all(bucket["Properties"]["PublicAccessBlockConfiguration"].values())
    (policy,) = _res(web_template, "AWS::S3::BucketPolicy").values()
    allow = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    assert [s["Principal"] for s in allow] == [{"Service": "cloudfront.amazonaws.com"}]
    assert "AWS:SourceArn" in allow[0]["Condition"]["StringEquals"]
    (dist,) = _res(web_template, "AWS::CloudFront::Distribution").values()
    conf = dist["Properties"]["DistributionConfig"]
    assert conf["DefaultRootObject"] == "index.html"
    (origin,) = conf["Origins"]
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["WebOriginAccessControl", "Id"]}
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    assert conf["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    for behaviour in [conf["DefaultCacheBehavior"], *conf["CacheBehaviors"]]:
        assert behaviour["ResponseHeadersPolicyId"] == {"Ref": "WebSecurityHeaders"}


def test_security_headers(web_template: dict[str, Any]) -> None:
    policy = web_template["Resources"]["WebSecurityHeaders"]["Properties"]["ResponseHeadersPolicyConfig"]
    headers = policy["SecurityHeadersConfig"]
    csp = headers["ContentSecurityPolicy"]["ContentSecurityPolicy"]["Fn::Sub"]
    directives = {d.split()[0]: d.split()[1:] for d in (p.strip() for p in csp.split(";")) if d}
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "${ConnectSources}" in directives["connect-src"]
    assert "${ImageSources}" in directives["img-src"]
    assert not any("unsafe" in v for vs in directives.values() for v in vs)
    assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    assert headers["ContentTypeOptions"]["Override"] is True
    assert headers["FrameOptions"]["FrameOption"] == "DENY"
    assert headers["ReferrerPolicy"]["ReferrerPolicy"] == "strict-origin-when-cross-origin"


def test_csp_sources_name_the_api_sign_in_and_images_bucket(sam_template: dict[str, Any]) -> None:
    params = sam_template["Resources"]["WebHosting"]["Properties"]["Parameters"]
    connect = repr(params["ConnectSources"])
    assert "execute-api" in connect and "WebApiOrigin" in connect
    assert "amazoncognito.com" in connect
    assert "${ImagesBucket}.s3.${AWS::Region}" in connect and "${ImagesBucket}.s3.${AWS::URLSuffix}" in connect
    assert "${ImagesBucket}" in repr(params["ImageSources"])
    assert sam_template["Resources"]["WebHosting"]["Properties"]["TemplateURL"] == "infra/web-hosting.yaml"


def test_the_template_keeps_one_images_bucket_for_the_local_stack(sam_template: dict[str, Any]) -> None:
    """local/template.py names buckets by count: the web bucket lives in the nested stack."""
    assert list(_res(sam_template, "AWS::S3::Bucket")) == ["ImagesBucket"]


# ---------------------------------------------------------------- operations


def test_every_function_has_a_log_group_with_retention(sam_template: dict[str, Any]) -> None:
    groups = _res(sam_template, "AWS::Logs::LogGroup")
    by_name = {g["Properties"]["LogGroupName"]["Fn::Sub"]: g for g in groups.values()}
    for fn in _functions(sam_template):
        group = by_name.get(f"/aws/lambda/${{{fn}}}")
        assert group, f"{fn} has no AWS::Logs::LogGroup named /aws/lambda/${{{fn}}}"
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def _metric_dims(alarm: dict[str, Any]) -> list[tuple[str, str, Any]]:
    p = alarm["Properties"]
    if "Metrics" in p:
        return [
            (
                m["MetricStat"]["Metric"]["Namespace"],
                m["MetricStat"]["Metric"]["MetricName"],
                m["MetricStat"]["Metric"].get("Dimensions"),
            )
            for m in p["Metrics"]
            if "MetricStat" in m
        ]
    return [(p["Namespace"], p["MetricName"], p.get("Dimensions"))]


def test_every_function_alarms_on_errors_and_throttles(sam_template: dict[str, Any]) -> None:
    alarms = _res(sam_template, "AWS::CloudWatch::Alarm")
    for fn in _functions(sam_template):
        watched = {
            name
            for alarm in alarms.values()
            for ns, name, dims in _metric_dims(alarm)
            if ns == "AWS/Lambda" and dims == [{"Name": "FunctionName", "Value": {"Ref": fn}}]
        }
        assert watched >= {"Errors", "Throttles"}, f"{fn}: no alarm on { ({'Errors', 'Throttles'} - watched) }"


def test_dlq_and_api_alarms_notify_the_topic(sam_template: dict[str, Any]) -> None:
    alarms = _res(sam_template, "AWS::CloudWatch::Alarm")
    dlq = alarms["IngestDeadLetterQueueAlarm"]["Properties"]
    assert (dlq["MetricName"], dlq["Threshold"], dlq["ComparisonOperator"]) == (
        "ApproximateNumberOfMessagesVisible",
        0,
        "GreaterThanThreshold",
    )
    assert dlq["Dimensions"][0]["Value"] == {"Fn::GetAtt": ["IngestDeadLetterQueue", "QueueName"]}
    api = _metric_dims(alarms["ApiServerErrorsAlarm"])
    assert ("AWS/ApiGateway", "5xx", [{"Name": "ApiId", "Value": {"Ref": "HttpApi"}}]) in api
    for lid, alarm in alarms.items():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}], lid
    sub = sam_template["Resources"]["AlarmEmailSubscription"]
    assert sub["Condition"] == "HasAlarmEmail" and sub["Properties"]["Protocol"] == "email"


def test_tracing_and_metrics_namespace(sam_template: dict[str, Any]) -> None:
    fn = sam_template["Globals"]["Function"]
    assert fn["Tracing"] == "Active"
    assert fn["Environment"]["Variables"]["POWERTOOLS_METRICS_NAMESPACE"]
    assert fn["Runtime"] == "python3.12" and fn["Architectures"] == [{"Ref": "Architecture"}]


def test_architecture_is_a_parameter_every_function_and_layer_follows(sam_template: dict[str, Any]) -> None:
    """arm64 in AWS by default; the local container build passes the machine's own."""
    assert sam_template["Parameters"]["Architecture"]["Default"] == "arm64"
    layers = _res(sam_template, "AWS::Serverless::LayerVersion")
    assert layers
    for lid, layer in layers.items():
        assert layer["Properties"]["CompatibleArchitectures"] == [{"Ref": "Architecture"}], lid
        assert layer["Metadata"]["BuildArchitecture"] == {"Ref": "Architecture"}, lid
    for lid, fn in _res(sam_template, "AWS::Serverless::Function").items():
        assert "Architectures" not in fn["Properties"], f"{lid} overrides the global Architectures"
    # sam build gives a makefile build no architecture: the ML layer's Makefile defaults to the same.
    makefile = (REPO_ROOT / "layers" / "ml" / "Makefile").read_text()
    assert "LAMBDA_ARCHITECTURE ?= arm64" in makefile


def test_predict_concurrency_parameters_are_wired(sam_template: dict[str, Any], translated: dict[str, Any]) -> None:
    for name in ("PredictReservedConcurrency", "PredictProvisionedConcurrency"):
        assert sam_template["Parameters"][name]["Default"] == 0
    if "PredictFunction" not in sam_template["Resources"]:
        pytest.skip("no PredictFunction yet")
    props = sam_template["Resources"]["PredictFunction"]["Properties"]
    assert props["ReservedConcurrentExecutions"]["Fn::If"][0] == "HasPredictReservedConcurrency"
    assert props["ProvisionedConcurrencyConfig"]["Fn::If"][0] == "HasPredictProvisionedConcurrency"
    alias = translated["Resources"]["PredictFunctionAliaslive"]["Properties"]
    assert alias["ProvisionedConcurrencyConfig"]["Fn::If"][0] == "HasPredictProvisionedConcurrency"


def test_translated_template_passes_cfn_lint(tmp_path, translated: dict[str, Any]) -> None:
    import json

    out = tmp_path / "translated.json"
    out.write_text(json.dumps(translated))
    cfn_lint = REPO_ROOT / ".venv" / "bin" / "cfn-lint"
    result = subprocess.run(
        [str(cfn_lint), str(out), str(REPO_ROOT / "infra" / "web-hosting.yaml")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_heic_layer_is_switchable_and_reaches_every_pixel_function(sam_template: dict[str, Any]) -> None:
    """EnableHeic=false leaves the HEIC layer out of the stack and of every function (issue 13)."""
    params, resources = sam_template["Parameters"], sam_template["Resources"]
    assert params["EnableHeic"]["Default"] == "true" and params["EnableHeic"]["AllowedValues"] == ["true", "false"]
    assert sam_template["Conditions"]["HeicEnabled"] == {"Fn::Equals": [{"Ref": "EnableHeic"}, "true"]}
    layer = resources["HeifLayer"]
    assert layer["Condition"] == "HeicEnabled" and layer["Properties"]["ContentUri"] == "layers/heif/"
    heic_ref = {"Fn::If": ["HeicEnabled", {"Ref": "HeifLayer"}, {"Ref": "AWS::NoValue"}]}
    pixel_functions = [n for n, r in resources.items() if {"Ref": "PillowLayer"} in r["Properties"].get("Layers", [])]
    assert len(pixel_functions) >= 3
    for name in pixel_functions:
        assert heic_ref in resources[name]["Properties"]["Layers"], name
    env = sam_template["Globals"]["Function"]["Environment"]["Variables"]
    assert env["HEIC_ENABLED"] == {"Ref": "EnableHeic"}
    for var, param in [("MAX_ANIMATION_FRAMES", "MaxAnimationFrames"), ("MAX_ANIMATION_PIXELS", "MaxAnimationPixels")]:
        assert env[var] == {"Ref": param}
