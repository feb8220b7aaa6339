"""Least privilege, read from the CloudFormation that SAM makes of template.yaml.

1. No IAM statement grants a wildcard resource or a wildcard action unless it is in ALLOWED_WILDCARDS
   (with the reason written next to it).
2. Only the AWS managed policies SAM attaches by itself are attached, each for a stated reason.
3. Every function's grants are exactly the ones in EXPECTED: the DynamoDB actions it needs on the
   table (and index), and the S3 actions per key prefix. A new function, or a new grant, fails
   here until this table says it is intended.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = pytest.mark.template

# (action, resource) pairs that may be wildcards, and why.
ALLOWED_WILDCARDS: dict[tuple[str, str], str] = {
    ("xray:PutTraceSegments", "*"): "X-Ray has no resource-level permissions",
    ("xray:PutTelemetryRecords", "*"): "X-Ray has no resource-level permissions",
    ("xray:GetSamplingRules", "*"): "X-Ray has no resource-level permissions",
    ("xray:GetSamplingTargets", "*"): "X-Ray has no resource-level permissions",
    ("xray:GetSamplingStatisticSummaries", "*"): "X-Ray has no resource-level permissions",
}

# AWS managed policies a function role may carry, and why. SAM attaches these itself.
ALLOWED_MANAGED_POLICIES = {
    "service-role/AWSLambdaBasicExecutionRole": "logs:CreateLogGroup/CreateLogStream/PutLogEvents (every SAM role)",
    "AWSXrayWriteOnlyAccess": "Tracing: Active (X-Ray actions have no resource-level permissions)",
    # sqs:* on every queue: allowed only with a permissions boundary that narrows SQS to named queues,
    # checked in test_sqs_poller_is_bounded_to_its_queue.
    "service-role/AWSLambdaSQSQueueExecutionRole": "the SQS event source mapping polls the queue",
    # Stream reads on every table: allowed only with a permissions boundary that narrows DynamoDB to
    # the images table's stream, checked in test_stream_reader_is_bounded_to_the_tables_stream.
    "service-role/AWSLambdaDynamoDBExecutionRole": "the DynamoDB stream event source mapping reads the stream",
}

T = "table"
IDX = "table/index/*"
B = "bucket"
INC, ORIG, REND = "bucket/incoming/*", "bucket/originals/*", "bucket/renditions/*"
EDGE = "bucket/renditions/*/edge/*"  # the edge renditions (issue 20): only what the renderer stores
DISTRIBUTION = "sub:arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${RenditionsDistribution}"
CDN_KEY = "ref:CdnSigningKeySecret"
# The functions that embed signed rendition URLs: with DeliveryMode=cdn they read the CDN's private
# key, with DeliveryMode=s3 they may read renditions (a presigned URL needs its signer's read grant).
# Both sides of the Fn::If are listed; the template grants exactly one of them.
SIGNS_RENDITIONS = {("secretsmanager:GetSecretValue", CDN_KEY), ("s3:GetObject", REND)}

# function -> the set of (action, resource) it is granted, resources abbreviated as above.
EXPECTED: dict[str, set[tuple[str, str]]] = {
    "UploadFunction": {
        *(("dynamodb:" + a, T) for a in ("GetItem", "PutItem", "UpdateItem", "BatchWriteItem")),
        ("s3:PutObject", INC),
        *SIGNS_RENDITIONS,
    },
    "ListFunction": {
        ("secretsmanager:GetSecretValue", "ref:CursorSecret"),  # the list cursors' HMAC key (issue #21)
        ("dynamodb:Query", T),
        ("dynamodb:Query", IDX),
        ("dynamodb:BatchGetItem", T),
        ("dynamodb:BatchGetItem", IDX),
        *SIGNS_RENDITIONS,
    },
    "ImageFunction": {
        # Query: delete finds the image's prediction records (one per task and model version);
        # PutItem: the trash item and the restored record.
        *(("dynamodb:" + a, T) for a in ("GetItem", "PutItem", "DeleteItem", "UpdateItem", "BatchWriteItem", "Query")),
        ("s3:ListBucket", B),
        # Versions: restore removes delete markers, a permanent delete removes every version.
        ("s3:ListBucketVersions", B),
        *(("s3:" + a, p) for a in ("DeleteObject", "DeleteObjectVersion") for p in (INC, ORIG, REND)),
        *SIGNS_RENDITIONS,
        # DeliveryMode=cdn: a delete drops the image's cached renditions from the CDN.
        ("cloudfront:CreateInvalidation", DISTRIBUTION),
    },
    "UpdateFunction": {
        *(("dynamodb:" + a, T) for a in ("GetItem", "UpdateItem", "DeleteItem", "BatchWriteItem")),
        ("s3:GetObject", ORIG),
        ("s3:PutObject", REND),
        # A PATCH of the size drops the old version's edge renditions (list and delete them).
        ("s3:DeleteObject", REND),
        ("s3:ListBucket", B),
        *SIGNS_RENDITIONS,
    },
    "DownloadFunction": {
        ("dynamodb:GetItem", T),
        ("dynamodb:UpdateItem", T),
        ("s3:GetObject", ORIG),
        ("s3:GetObject", REND),
        ("s3:PutObject", REND),
        ("s3:ListBucket", B),
    },
    "CompatFunction": {
        ("secretsmanager:GetSecretValue", "ref:CursorSecret"),  # the list cursors' HMAC key (issue #21)
        *(("dynamodb:" + a, T) for a in ("GetItem", "PutItem", "UpdateItem", "Query", "BatchWriteItem")),
        ("s3:PutObject", INC),
    },
    "AnalyseFunction": {("dynamodb:GetItem", T)},
    "MetaFunction": set(),
    # UpdateItem: the per-owner rate-limit counter (fair sharing, one conditional ADD per request)
    "PredictFunction": {
        ("dynamodb:GetItem", T),
        ("dynamodb:PutItem", T),
        ("dynamodb:UpdateItem", T),
        ("s3:GetObject", ORIG),
    },
    "IngestFunction": {
        *(("dynamodb:" + a, T) for a in ("GetItem", "UpdateItem", "PutItem", "DeleteItem")),
        ("s3:GetObject", INC),
        ("s3:DeleteObject", INC),
        ("s3:PutObject", ORIG),
        ("s3:PutObject", REND),
        ("s3:DeleteObject", ORIG),
        ("s3:DeleteObject", REND),
        ("s3:ListBucket", B),
    },
    # Events and webhooks (issue 19). The management routes: endpoints and their count, the delivery
    # log, the rate-limit counter; seal a new secret; queue test events and redeliveries.
    "WebhooksFunction": {
        *(("dynamodb:" + a, T) for a in ("GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query")),
        ("kms:Encrypt", "getatt:WebhookSecretsKey.Arn"),
        ("sqs:SendMessage", "getatt:DeliveryQueue.Arn"),
        ("secretsmanager:GetSecretValue", "ref:CursorSecret"),  # the delivery log's cursors
    },
    # The stream -> the bus; a batch that ages out is reported to the events dead-letter queue.
    "EventsPublisherFunction": {
        ("events:PutEvents", "getatt:EventBus.Arn"),
        ("sqs:SendMessage", "getatt:EventsDeadLetterQueue.Arn"),
    },
    # Endpoints (read, failure streak, disable) and the delivery log; open secrets; queue the tasks
    # of a fan-out and the last failure's copy in the dead-letter queue. No S3, no images.
    "WebhookDeliveryFunction": {
        *(("dynamodb:" + a, T) for a in ("GetItem", "PutItem", "UpdateItem", "Query")),
        ("kms:Decrypt", "getatt:WebhookSecretsKey.Arn"),
        ("sqs:SendMessage", "getatt:DeliveryQueue.Arn"),
        ("sqs:SendMessage", "getatt:DeliveryDeadLetterQueue.Arn"),
    },
    # The CDN's renderer of first misses (issue 20): reads the record and the original, writes only
    # edge renditions (Get: the presigned 302 of one over 4.7 MB; Delete: an image deleted while it
    # rendered). Its async self-invoke is a policy of its own (test_the_renderer_may_invoke_only_itself).
    "RenderFunction": {
        ("dynamodb:GetItem", T),
        ("s3:GetObject", ORIG),
        *(("s3:" + a, EDGE) for a in ("PutObject", "GetObject", "DeleteObject")),
        ("s3:ListBucket", B),
    },
    # The deploy-time custom resource that generates the CDN key pair: it writes the private key.
    "CdnKeysFunction": {("secretsmanager:PutSecretValue", CDN_KEY)},
}

# s3:ListBucket is only ever granted with an s3:prefix condition naming these prefixes.
LIST_PREFIXES = {"incoming/*", "originals/*", "renditions/*"}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _resource_key(resource: Any) -> str:
    """An abbreviation of a Resource, the way EXPECTED writes it; unknown shapes stay recognisable."""
    if resource == "*":
        return "*"
    if isinstance(resource, dict):
        if isinstance(resource.get("Ref"), str):
            return f"ref:{resource['Ref']}"
        if resource.get("Fn::GetAtt") in (["ImagesTable", "Arn"], "ImagesTable.Arn"):
            return T
        if resource.get("Fn::GetAtt"):
            attr = resource["Fn::GetAtt"]
            return f"getatt:{attr if isinstance(attr, str) else '.'.join(attr)}"
        if "Fn::Sub" in resource:
            text = resource["Fn::Sub"] if isinstance(resource["Fn::Sub"], str) else resource["Fn::Sub"][0]
            if text == "${ImagesTable.Arn}/index/*":
                return IDX
            m = re.fullmatch(r"arn:\$\{AWS::Partition\}:s3:::\$\{ImagesBucket\}(/.*)?", text)
            if m:
                return B + (m.group(1) or "")
            return f"sub:{text}"
    return repr(resource)


def _statements(statements: Any) -> list[dict[str, Any]]:
    """The statements of a policy, both sides of a conditional (`Fn::If`) statement included."""
    out = []
    for st in _as_list(statements):
        if isinstance(st, dict) and "Fn::If" in st:
            out.extend(s for s in st["Fn::If"][1:] if s != {"Ref": "AWS::NoValue"})
        else:
            out.append(st)
    return out


def _roles(cfn: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {lid: r for lid, r in cfn["Resources"].items() if r["Type"] == "AWS::IAM::Role"}


def _functions(cfn: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {lid: r for lid, r in cfn["Resources"].items() if r["Type"] == "AWS::Lambda::Function"}


def _role_of(function: dict[str, Any]) -> str:
    role = function["Properties"]["Role"]
    assert isinstance(role, dict) and role.get("Fn::GetAtt"), f"unexpected Role {role!r}"
    attr = role["Fn::GetAtt"]
    return attr[0] if isinstance(attr, list) else attr.split(".")[0]


def _grant_statements(cfn: dict[str, Any]):
    """(where, statement) for every identity policy statement: role inline policies, IAM policies and
    managed policies (permissions boundaries are ceilings, not grants: checked separately)."""
    boundaries = {
        _as_list(r["Properties"].get("PermissionsBoundary", {}).get("Ref"))[0]
        for r in _roles(cfn).values()
        if isinstance(r["Properties"].get("PermissionsBoundary"), dict)
    }
    for lid, res in cfn["Resources"].items():
        props = res.get("Properties") or {}
        docs = []
        if res["Type"] == "AWS::IAM::Role":
            docs = [(f"{lid}.{p['PolicyName']}", p["PolicyDocument"]) for p in props.get("Policies") or []]
        elif res["Type"] == "AWS::IAM::Policy" or (res["Type"] == "AWS::IAM::ManagedPolicy" and lid not in boundaries):
            docs = [(lid, props["PolicyDocument"])]
        for where, doc in docs:
            for statement in _statements(doc.get("Statement", [])):
                yield where, statement


def test_no_unexpected_wildcards(translated: dict[str, Any]) -> None:
    problems = []
    for where, st in _grant_statements(translated):
        if st.get("Effect") != "Allow":
            continue
        if "NotAction" in st or "NotResource" in st:
            problems.append(f"{where}: NotAction/NotResource in a grant: {st}")
            continue
        for action in _as_list(st["Action"]):
            for resource in _as_list(st["Resource"]):
                key = _resource_key(resource)
                wild = "*" in action or key == "*"
                if wild and (action, key) not in ALLOWED_WILDCARDS:
                    problems.append(f"{where}: {action} on {key}")
    assert not problems, "wildcards outside ALLOWED_WILDCARDS:\n" + "\n".join(problems)


def test_only_expected_managed_policies(translated: dict[str, Any]) -> None:
    problems = []
    for lid, role in _roles(translated).items():
        for arn in role["Properties"].get("ManagedPolicyArns") or []:
            text = arn if isinstance(arn, str) else arn.get("Fn::Sub", "")
            name = re.sub(r"^arn:(aws|\$\{AWS::Partition\}):iam::aws:policy/", "", text)
            if name not in ALLOWED_MANAGED_POLICIES:
                problems.append(f"{lid}: {arn}")
    assert not problems, "managed policies outside ALLOWED_MANAGED_POLICIES:\n" + "\n".join(problems)


def test_sqs_poller_is_bounded_to_its_queue(translated: dict[str, Any]) -> None:
    """AWSLambdaSQSQueueExecutionRole grants sqs:* on every queue; a role that carries it must have a
    permissions boundary that allows SQS on named queue ARNs only."""
    resources = translated["Resources"]
    checked = 0
    for lid, role in _roles(translated).items():
        arns = [a for a in role["Properties"].get("ManagedPolicyArns") or [] if isinstance(a, str)]
        if not any(a.endswith("AWSLambdaSQSQueueExecutionRole") for a in arns):
            continue
        boundary = role["Properties"].get("PermissionsBoundary")
        assert isinstance(boundary, dict) and "Ref" in boundary, f"{lid} polls SQS without a permissions boundary"
        doc = resources[boundary["Ref"]]["Properties"]["PolicyDocument"]
        sqs_allowed = []
        for st in _as_list(doc["Statement"]):
            if st["Effect"] != "Allow":
                continue
            if "NotAction" in st:
                assert any(a in ("sqs:*",) for a in _as_list(st["NotAction"])), f"{lid}: boundary lets SQS through"
                continue
            for action in _as_list(st["Action"]):
                if action.startswith("sqs:"):
                    assert "*" not in action, f"{lid}: boundary allows {action}"
                    sqs_allowed.extend(_resource_key(r) for r in _as_list(st["Resource"]))
            assert all(not str(a).startswith("sqs:") for a in _as_list(st["Action"])) or "*" not in _as_list(
                st["Resource"]
            ), f"{lid}: boundary allows SQS on *"
        assert sqs_allowed and all(k.startswith("getatt:") and k.endswith(".Arn") for k in sqs_allowed), sqs_allowed
        checked += 1
    assert checked >= 1, "IngestFunction's role should carry the SQS poller policy"


def test_stream_reader_is_bounded_to_the_tables_stream(translated: dict[str, Any]) -> None:
    """AWSLambdaDynamoDBExecutionRole grants stream reads on every table; a role that carries it must
    have a permissions boundary that allows DynamoDB on the images table's stream only."""
    resources = translated["Resources"]
    checked = 0
    for lid, role in _roles(translated).items():
        arns = [a for a in role["Properties"].get("ManagedPolicyArns") or [] if isinstance(a, str)]
        if not any(a.endswith("AWSLambdaDynamoDBExecutionRole") for a in arns):
            continue
        boundary = role["Properties"].get("PermissionsBoundary")
        assert isinstance(boundary, dict) and "Ref" in boundary, f"{lid} reads a stream without a permissions boundary"
        doc = resources[boundary["Ref"]]["Properties"]["PolicyDocument"]
        for st in _as_list(doc["Statement"]):
            if "NotAction" in st:
                assert _as_list(st["NotAction"]) == ["dynamodb:*"], f"{lid}: boundary lets DynamoDB through"
                continue
            assert all(a.startswith("dynamodb:") and "*" not in a for a in _as_list(st["Action"])), st
            assert [_resource_key(r) for r in _as_list(st["Resource"])] == ["getatt:ImagesTable.StreamArn"], st
        checked += 1
    assert checked == 1, "EventsPublisherFunction's role should carry the stream reader policy"


def _grants_of_function(translated: dict[str, Any], function_id: str) -> set[tuple[str, str]]:
    role = _roles(translated)[_role_of(_functions(translated)[function_id])]
    grants: set[tuple[str, str]] = set()
    for policy in role["Properties"].get("Policies") or []:
        for st in _statements(policy["PolicyDocument"]["Statement"]):
            if st.get("Effect") != "Allow":
                continue
            for action in _as_list(st["Action"]):
                for resource in _as_list(st["Resource"]):
                    key = _resource_key(resource)
                    if action.startswith("xray:"):
                        continue
                    grants.add((action, key))
                    if action == "s3:ListBucket":
                        prefixes = set(_as_list(st.get("Condition", {}).get("StringLike", {}).get("s3:prefix", [])))
                        assert prefixes and prefixes <= LIST_PREFIXES, f"{function_id}: ListBucket prefixes {prefixes}"
    return grants


def test_every_function_is_in_the_table(translated: dict[str, Any]) -> None:
    assert set(_functions(translated)) == set(EXPECTED), (
        "functions and EXPECTED differ: add the new function's intended grants to EXPECTED in test_iam.py"
    )


@pytest.mark.parametrize("function_id", sorted(EXPECTED))
def test_function_grants_are_exactly_the_expected_ones(translated: dict[str, Any], function_id: str) -> None:
    if function_id not in _functions(translated):
        pytest.fail(f"{function_id} is in EXPECTED but not in the template")
    actual = _grants_of_function(translated, function_id)
    missing, extra = EXPECTED[function_id] - actual, actual - EXPECTED[function_id]
    assert not extra and not missing, f"{function_id}: unexpected {sorted(extra)}, missing {sorted(missing)}"


def test_only_the_functions_that_touch_pixels_or_objects_write_objects(translated: dict[str, Any]) -> None:
    """A cross-check of the table: nothing but ingest writes originals, and only ingest reads incoming."""
    for fn in EXPECTED:
        grants = _grants_of_function(translated, fn)
        if ("s3:PutObject", ORIG) in grants or ("s3:GetObject", INC) in grants:
            assert fn == "IngestFunction", fn


def test_the_renderer_may_invoke_only_itself(translated: dict[str, Any]) -> None:
    """RenderFunction's one grant outside its role's policies: invoking its own function (the async
    AVIF fill), nothing else; and only the renditions distribution may call its URL."""
    resources = translated["Resources"]
    policies = {lid: r for lid, r in resources.items() if r["Type"] == "AWS::IAM::Policy"}
    assert list(policies) == ["RenderFunctionSelfInvokePolicy"]
    policy = policies["RenderFunctionSelfInvokePolicy"]["Properties"]
    assert policy["Roles"] == [{"Ref": "RenderFunctionRole"}]
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Action"] == "lambda:InvokeFunction"
    assert statement["Resource"] == [{"Fn::GetAtt": ["RenderFunction", "Arn"]}, {"Fn::Sub": "${RenderFunction.Arn}:*"}]
    permissions = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::Lambda::Permission"]
    on_render = [p for p in permissions if p["FunctionName"] == {"Ref": "RenderFunctionAliaslive"}]
    assert sorted(p["Action"] for p in on_render) == ["lambda:InvokeFunction", "lambda:InvokeFunctionUrl"]
    for permission in on_render:
        assert permission["Principal"] == "cloudfront.amazonaws.com"
        assert _resource_key(permission["SourceArn"]) == DISTRIBUTION
    assert resources["RenderFunctionUrl"]["Properties"]["AuthType"] == "AWS_IAM"
