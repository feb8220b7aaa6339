"""Operations wiring of template.yaml (issue 16): gradual deploys with rollback on alarms, the API's
access logs, the versioned images bucket and its retention window, the encrypted alarm topic and
the concurrency ceilings. Read from the SAM template and from its CloudFormation translation."""

from __future__ import annotations

import re
import tomllib
from typing import Any

import pytest

from tests.template.conftest import REPO_ROOT

pytestmark = pytest.mark.template


def _sam_functions(sam: dict[str, Any]) -> list[str]:
    return [lid for lid, r in sam["Resources"].items() if r["Type"] == "AWS::Serverless::Function"]


def _api_functions(sam: dict[str, Any]) -> list[str]:
    return [
        lid
        for lid in _sam_functions(sam)
        if any(e["Type"] == "HttpApi" for e in (sam["Resources"][lid]["Properties"].get("Events") or {}).values())
    ]


def _sub_text(value: Any) -> str:
    sub = value["Fn::Sub"]
    return sub if isinstance(sub, str) else sub[0]


# ---------------------------------------------------------------- gradual deploys


def _invoked_functions(sam: dict[str, Any]) -> list[str]:
    """The functions API Gateway, an SQS queue, the table's stream or CloudFront (a function URL)
    invoke (a custom resource's is none of them)."""
    return [
        lid
        for lid in _sam_functions(sam)
        if "FunctionUrlConfig" in sam["Resources"][lid]["Properties"]
        or any(
            e["Type"] in ("HttpApi", "SQS", "DynamoDB")
            for e in (sam["Resources"][lid]["Properties"].get("Events") or {}).values()
        )
    ]


# RenderFunction (DeliveryMode=cdn, issue 20) deploys with a CodeDeploy role of its own: DeploymentRole
# names the API functions, which name the distribution, which names RenderFunction's URL (a cycle).
OWN_DEPLOYMENT_ROLE = {"RenderFunction": "RenderDeploymentRole"}


def test_every_invoked_function_deploys_gradually_behind_the_live_alias(sam_template: dict[str, Any]) -> None:
    param = sam_template["Parameters"]["DeploymentType"]
    assert param["Default"] == "Canary10Percent5Minutes" and "AllAtOnce" in param["AllowedValues"]
    invoked = _invoked_functions(sam_template)
    assert len(invoked) >= 10
    for lid in invoked:
        props = sam_template["Resources"][lid]["Properties"]
        assert props["AutoPublishAlias"] == "live", lid
        preference = props["DeploymentPreference"]
        assert preference["Type"] == {"Ref": "DeploymentType"}, lid
        role = OWN_DEPLOYMENT_ROLE.get(lid, "DeploymentRole")
        assert preference["Role"] == {"Fn::GetAtt": [role, "Arn"]}, lid
        assert preference.get("Enabled", True) is True, lid


def test_each_functions_own_alarms_roll_it_back(sam_template: dict[str, Any]) -> None:
    resources = sam_template["Resources"]
    api_alarm_name = _sub_text(resources["ApiServerErrorsAlarm"]["Properties"]["AlarmName"])
    api_functions = set(_api_functions(sam_template))
    assert len(api_functions) >= 9
    for lid in _invoked_functions(sam_template):
        alarms = resources[lid]["Properties"]["DeploymentPreference"]["Alarms"]
        assert {"Ref": f"{lid}Alarm"} in alarms, lid
        names = [_sub_text(a) for a in alarms if "Fn::Sub" in a]
        # API functions also roll back on the API's 5xx rate, named (a Ref would make a cycle).
        assert names == ([api_alarm_name] if lid in api_functions else []), lid


def test_translation_wires_the_aliases_to_codedeploy_and_the_callers(
    sam_template: dict[str, Any], translated: dict[str, Any]
) -> None:
    resources = translated["Resources"]
    for lid in _invoked_functions(sam_template):
        assert resources[lid]["Type"] == "AWS::Lambda::Function"
        alias = resources[f"{lid}Aliaslive"]
        update = alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]
        assert update["DeploymentGroupName"] == {"Ref": f"{lid}DeploymentGroup"}
        group = resources[f"{lid}DeploymentGroup"]["Properties"]
        assert group["ServiceRoleArn"] == {"Fn::GetAtt": [OWN_DEPLOYMENT_ROLE.get(lid, "DeploymentRole"), "Arn"]}
        # A conditional function's deployment group has its condition (PassthroughCondition).
        assert resources[f"{lid}DeploymentGroup"].get("Condition") == resources[lid].get("Condition"), lid
        assert group["AlarmConfiguration"]["Enabled"] is True
        assert {"Name": {"Ref": f"{lid}Alarm"}} in group["AlarmConfiguration"]["Alarms"]
        assert {"DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"} <= set(group["AutoRollbackConfiguration"]["Events"])
        assert group["DeploymentConfigName"]["Fn::Sub"][1] == {"ConfigName": "Canary10Percent5Minutes"}
    # SAM made no CodeDeploy role of its own (ours is least privilege, tests/template/test_iam.py).
    assert "CodeDeployServiceRole" not in resources

    # Callers invoke the alias, never $LATEST: API integrations, their permissions, the SQS mapping.
    api = next(r for r in resources.values() if r["Type"] == "AWS::ApiGatewayV2::Api")
    uris = [
        _sub_text(op["x-amazon-apigateway-integration"]["uri"])
        for item in api["Properties"]["Body"]["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "x-amazon-apigateway-integration" in op
    ]
    assert uris and all(re.search(r"\$\{\w+Aliaslive\}/invocations$", u) for u in uris), uris
    permissions = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::Lambda::Permission"]
    assert permissions and all(p["FunctionName"]["Ref"].endswith("Aliaslive") for p in permissions)
    mappings = {
        r["Properties"]["FunctionName"]["Ref"]: r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::Lambda::EventSourceMapping"
    }
    assert set(mappings) == {
        "IngestFunctionAliaslive",
        "EventsPublisherFunctionAliaslive",
        "WebhookDeliveryFunctionAliaslive",
    }
    assert mappings["IngestFunctionAliaslive"]["ScalingConfig"] == {
        "MaximumConcurrency": {"Ref": "IngestMaxConcurrency"}
    }
    assert mappings["WebhookDeliveryFunctionAliaslive"]["ScalingConfig"] == {
        "MaximumConcurrency": {"Ref": "DeliveryMaxConcurrency"}
    }


def test_the_codedeploy_role_shifts_only_this_stacks_aliases(sam_template: dict[str, Any]) -> None:
    role = sam_template["Resources"]["DeploymentRole"]["Properties"]
    trust = role["AssumeRolePolicyDocument"]["Statement"]
    assert [(s["Principal"], s["Action"]) for s in trust] == [
        ({"Service": "codedeploy.amazonaws.com"}, "sts:AssumeRole")
    ]
    assert "ManagedPolicyArns" not in role
    statements = [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]
    lambda_st, alarms_st = statements
    assert set(lambda_st["Action"]) == {
        "lambda:GetAlias",
        "lambda:UpdateAlias",
        "lambda:GetProvisionedConcurrencyConfig",
    }
    assert sorted(_sub_text(r) for r in lambda_st["Resource"]) == sorted(
        f"${{{f}.Arn}}*" for f in _invoked_functions(sam_template) if f not in OWN_DEPLOYMENT_ROLE
    )
    assert alarms_st["Action"] == "cloudwatch:DescribeAlarms"
    assert _sub_text(alarms_st["Resource"]).endswith(":${AWS::AccountId}:alarm:*")
    for function, role_id in OWN_DEPLOYMENT_ROLE.items():
        own = sam_template["Resources"][role_id]
        assert own["Condition"] == sam_template["Resources"][function]["Condition"]
        lambda_own, alarms_own = [s for p in own["Properties"]["Policies"] for s in p["PolicyDocument"]["Statement"]]
        assert (
            set(lambda_own["Action"]) == set(lambda_st["Action"])
            and _sub_text(lambda_own["Resource"]) == f"${{{function}.Arn}}*"
        )
        assert alarms_own == alarms_st


def test_samconfig_chooses_the_deployment_per_environment(sam_template: dict[str, Any]) -> None:
    config = tomllib.loads((REPO_ROOT / "samconfig.toml").read_text(encoding="utf-8"))
    allowed = sam_template["Parameters"]["DeploymentType"]["AllowedValues"]

    def overrides(env: str) -> dict[str, str]:
        text = config[env]["deploy"]["parameters"]["parameter_overrides"]
        return dict(pair.split("=", 1) for pair in text.split())

    dev, prod = overrides("default"), overrides("prod")
    assert dev["DeploymentType"] in allowed and dev["DeploymentType"].startswith("Linear")
    assert prod["DeploymentType"] in allowed and prod["DeploymentType"].startswith("Canary")
    assert int(prod["FunctionReservedConcurrency"]) * len(_api_functions(sam_template)) <= 1000 - 100


# ---------------------------------------------------------------- access logs, storage, alarms, concurrency


def test_access_logs_keep_the_functions_retention(sam_template: dict[str, Any]) -> None:
    group = sam_template["Resources"]["ApiAccessLogGroup"]["Properties"]
    assert group["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    # The format itself (fields, no token or signature) is checked with the local gateway's log
    # in tests/local/test_local_accesslog.py.


def test_images_bucket_keeps_versions_for_the_retention_window(sam_template: dict[str, Any]) -> None:
    assert sam_template["Parameters"]["TrashRetentionDays"]["Default"] == 30
    bucket = sam_template["Resources"]["ImagesBucket"]["Properties"]
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    rules = {r.get("Prefix"): r for r in bucket["LifecycleConfiguration"]["Rules"] if r["Status"] == "Enabled"}
    for prefix in ("originals/", "renditions/"):
        assert rules[prefix]["NoncurrentVersionExpiration"] == {"NoncurrentDays": {"Ref": "TrashRetentionDays"}}
        assert rules[prefix]["ExpiredObjectDeleteMarker"] is True
    # Uploads are copied to originals/ by ingest: their old versions go after a day.
    assert rules["incoming/"]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 1}
    # Every prefix the functions write is covered, so no noncurrent version lives forever.
    assert set(rules) >= {"incoming/", "originals/", "renditions/"}


def test_alarm_topic_is_encrypted_with_a_key_cloudwatch_may_use(sam_template: dict[str, Any]) -> None:
    resources = sam_template["Resources"]
    assert resources["AlarmTopic"]["Properties"]["KmsMasterKeyId"] == {"Ref": "AlarmTopicKey"}
    key = resources["AlarmTopicKey"]["Properties"]
    assert key["EnableKeyRotation"] is True
    cloudwatch = [s for s in key["KeyPolicy"]["Statement"] if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}]
    assert len(cloudwatch) == 1
    assert set(cloudwatch[0]["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    assert cloudwatch[0]["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}


def test_concurrency_ceilings_are_a_parameter(sam_template: dict[str, Any], translated: dict[str, Any]) -> None:
    assert sam_template["Parameters"]["FunctionReservedConcurrency"]["Default"] == 0
    resources = translated["Resources"]
    for lid in _api_functions(sam_template):
        reserved = resources[lid]["Properties"]["ReservedConcurrentExecutions"]
        expected = "HasPredictReservedConcurrency" if lid == "PredictFunction" else "HasFunctionReservedConcurrency"
        assert reserved["Fn::If"][0] == expected, lid
    # The SQS consumer is capped at its event source instead (a reservation would throttle into the DLQ).
    assert "ReservedConcurrentExecutions" not in resources["IngestFunction"]["Properties"]
    # The CDN's renderer has a ceiling by default (issue 20): 0 turns it off.
    assert sam_template["Parameters"]["RenderReservedConcurrency"]["Default"] > 0
    reserved = resources["RenderFunction"]["Properties"]["ReservedConcurrentExecutions"]
    assert reserved == {
        "Fn::If": ["HasRenderReservedConcurrency", {"Ref": "RenderReservedConcurrency"}, {"Ref": "AWS::NoValue"}]
    }
