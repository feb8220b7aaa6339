"""Read ``template.yaml`` into what the local stack needs: functions with their HttpApi routes, SQS
triggers and DynamoDB stream triggers, and the bucket, queues, table (with its stream), event bus
and rules, and KMS keys to create in moto, with every value the functions' environment refers to
resolved to a plain local string.

Only the intrinsic functions the template uses are understood (Ref, GetAtt, Sub, Join, Select,
Split, If with its Conditions); anything else is reported instead of guessed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from . import ACCOUNT_ID, REGION

DEFAULT_NAME_PREFIX = "image-api-local"
# `{{resolve:secretsmanager:...}}` has no local Secrets Manager behind it: every such reference
# becomes this fixed development value (long enough for any HMAC key check).
LOCAL_SECRET_VALUE = "local-development-secret-not-for-production"  # noqa: S105 - local only

_NO_VALUE = object()
# Resource types whose !Ref is a name given by one of their properties.
_NAMED_BY_PROPERTY = {
    "AWS::Events::EventBus": "Name",
    "AWS::KMS::Alias": "AliasName",
}  # !Ref AWS::NoValue: the property is removed
_DYNAMIC_REF = re.compile(r"\{\{resolve:(secretsmanager|ssm|ssm-secure):[^}]*\}\}")
_SUB_VAR = re.compile(r"\$\{([^}]+)\}")


class TemplateError(ValueError):
    """The template uses something the local stack cannot reproduce."""


# ---------------------------------------------------------------- YAML with CloudFormation tags


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader that turns short tags (!Ref X, !GetAtt A.B, !Sub ...) into their long form."""


def _construct_tag(loader: yaml.constructor.SafeConstructor, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "Condition":
        return {"Condition": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{tag_suffix}": value}


_CfnLoader.add_multi_constructor("!", _construct_tag)
_LOADER: Any = _CfnLoader
if yaml.__with_libyaml__:
    # libyaml's parser (PyYAML's wheels have it): 0.06 s for template.yaml instead of 0.47 s, paid by
    # every local stack start and template test. The same documents either way.

    class _CfnCLoader(yaml.CSafeLoader):
        """The same, on libyaml."""

    _CfnCLoader.add_multi_constructor("!", _construct_tag)
    _LOADER = _CfnCLoader


def load_yaml(path: str | Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        data = yaml.load(fh, Loader=_LOADER)  # noqa: S506 - SafeConstructor-based loaders
    if not isinstance(data, dict):
        raise TemplateError(f"{path}: not a CloudFormation template")
    return data


# ---------------------------------------------------------------- what the local stack uses


@dataclass(frozen=True)
class HttpRoute:
    method: str  # upper case, or "ANY"
    path: str  # "/images/{id}", or "$default"
    protected: bool  # False for `Auth: Authorizer: NONE`
    event_id: str

    @property
    def route_key(self) -> str:
        return "$default" if self.path == "$default" else f"{self.method} {self.path}"


@dataclass(frozen=True)
class SqsTrigger:
    event_id: str
    queue_id: str  # logical id of the queue
    batch_size: int
    report_batch_item_failures: bool
    batching_window_seconds: float


@dataclass(frozen=True)
class StreamTrigger:
    """A DynamoDB stream event source (issue 19): read as Lambda's event source mapping reads it."""

    event_id: str
    table_id: str  # logical id of the table
    batch_size: int
    batching_window_seconds: float
    report_batch_item_failures: bool
    bisect_on_error: bool
    filter_patterns: tuple[dict[str, Any], ...]  # FilterCriteria.Filters[].Pattern, parsed


@dataclass
class FunctionSpec:
    logical_id: str
    code_dir: Path
    handler: str  # "app.handler"
    memory_mb: int
    timeout_s: int
    environment: dict[str, str]  # function-level overrides only (Globals are in LocalTemplate)
    layer_dirs: list[Path] = field(default_factory=list)  # what Lambda would mount under /opt/python
    routes: list[HttpRoute] = field(default_factory=list)
    sqs_triggers: list[SqsTrigger] = field(default_factory=list)
    stream_triggers: list[StreamTrigger] = field(default_factory=list)
    function_url: bool = False  # FunctionUrlConfig: invoked through a Lambda function URL (RenderFunction)


@dataclass(frozen=True)
class QueueNotification:
    queue_id: str | None
    queue_arn: str
    events: list[str]
    prefix: str | None = None
    suffix: str | None = None


@dataclass
class BucketSpec:
    logical_id: str
    name: str
    cors_rules: list[dict[str, Any]]  # boto3 PutBucketCors shape
    notifications: list[QueueNotification]
    versioned: bool = False  # VersioningConfiguration Status: Enabled


@dataclass
class QueueSpec:
    logical_id: str
    name: str
    attributes: dict[str, str]  # CreateQueue attributes other than RedrivePolicy
    dlq_id: str | None = None
    max_receive_count: int | None = None


@dataclass
class TableSpec:
    logical_id: str
    name: str
    attribute_definitions: list[dict[str, str]]
    key_schema: list[dict[str, str]]
    global_secondary_indexes: list[dict[str, Any]]
    ttl_attribute: str | None
    stream_view_type: str | None = None  # StreamSpecification.StreamViewType


@dataclass(frozen=True)
class BusSpec:
    logical_id: str
    name: str


@dataclass(frozen=True)
class RuleSpec:
    logical_id: str
    name: str
    bus_id: str | None  # logical id of the bus (None: the default bus)
    pattern: dict[str, Any]
    queue_ids: tuple[str, ...]  # SQS targets (logical ids)


@dataclass(frozen=True)
class KeySpec:
    """A KMS key and the alias the functions name it by."""

    logical_id: str
    alias: str | None


@dataclass(frozen=True)
class SecretSpec:
    logical_id: str
    name: str
    generated: bool  # GenerateSecretString: the stack makes its value (else something puts it later)


@dataclass
class LocalTemplate:
    path: Path
    parameters: dict[str, str | list[str]]
    environment: dict[str, str]  # Globals.Function.Environment.Variables, resolved
    functions: dict[str, FunctionSpec]
    buckets: dict[str, BucketSpec]
    queues: dict[str, QueueSpec]
    tables: dict[str, TableSpec]
    jwt_audience: list[str]
    api_cors: dict[str, Any]  # HttpApi CorsConfiguration, resolved (AllowOrigins etc.)
    aws_url: str
    secrets: dict[str, SecretSpec] = field(default_factory=dict)
    # HttpApi DefaultRouteSettings and RouteSettings (route key -> settings), resolved: throttling.
    api_default_route_settings: dict[str, Any] = field(default_factory=dict)
    api_route_settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    buses: dict[str, BusSpec] = field(default_factory=dict)
    rules: dict[str, RuleSpec] = field(default_factory=dict)
    keys: dict[str, KeySpec] = field(default_factory=dict)

    @property
    def routes(self) -> list[tuple[HttpRoute, FunctionSpec]]:
        return [(r, fn) for fn in self.functions.values() for r in fn.routes]

    def queue_name(self, logical_id: str) -> str:
        return self.queues[logical_id].name

    def queue_url(self, logical_id: str) -> str:
        return f"{self.aws_url.rstrip('/')}/{ACCOUNT_ID}/{self.queue_name(logical_id)}"

    def queue_arn(self, logical_id: str) -> str:
        return f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{self.queue_name(logical_id)}"


# ---------------------------------------------------------------- resolution of intrinsics


class _Resolver:
    """Evaluates intrinsic functions with local values for parameters and resources."""

    def __init__(
        self,
        tpl: dict[str, Any],
        params: dict[str, str | list[str]],
        names: dict[str, str],
        aws_url: str,
        stack_name: str,
    ) -> None:
        self.resources: dict[str, Any] = tpl.get("Resources", {})
        self.conditions: dict[str, Any] = tpl.get("Conditions") or {}
        self._evaluated: dict[str, bool] = {}
        self.params = params
        self.names = names  # logical id -> local physical name
        self.aws_url = aws_url.rstrip("/")
        self.pseudo = {
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": stack_name,
            "AWS::StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT_ID}:stack/{stack_name}/local",
        }

    def condition(self, name: str) -> bool:
        if name not in self._evaluated:
            if name not in self.conditions:
                raise TemplateError(f"unknown condition {name!r}")
            self._evaluated[name] = bool(self.resolve(self.conditions[name]))
        return self._evaluated[name]

    def ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name in self.params:
            return self.params[name]
        if name in self.pseudo:
            return self.pseudo[name]
        if name not in self.resources:
            raise TemplateError(f"!Ref to unknown name {name!r}")
        rtype = self.resources[name].get("Type", "")
        local = self.names.get(name, name)
        if rtype == "AWS::SQS::Queue":
            return f"{self.aws_url}/{ACCOUNT_ID}/{local}"
        if rtype in _NAMED_BY_PROPERTY:  # the bus by its Name, an alias by its AliasName
            named = (self.resources[name].get("Properties") or {}).get(_NAMED_BY_PROPERTY[rtype])
            return _to_str(self.resolve(named)) if named is not None else local
        if rtype == "AWS::SecretsManager::Secret":
            return f"arn:aws:secretsmanager:{REGION}:{ACCOUNT_ID}:secret:{local}"
        return local

    def get_att(self, name: str, attr: str) -> str:
        if name not in self.resources:
            raise TemplateError(f"!GetAtt to unknown resource {name!r}")
        rtype = self.resources[name].get("Type", "")
        local = self.names.get(name, name)
        if rtype == "AWS::DynamoDB::Table" and attr == "StreamArn":
            # moto labels a stream with its creation time: the local stream poller finds the real
            # ARN through DescribeTable; this value only names the table.
            return f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{local}/stream/local"
        if rtype == "AWS::Events::EventBus" and attr == "Arn":
            return f"arn:aws:events:{REGION}:{ACCOUNT_ID}:event-bus/{self.ref(name)}"
        if rtype == "AWS::Events::Rule" and attr == "Arn":
            return f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/{local}"
        if rtype == "AWS::KMS::Key" and attr == "Arn":
            return f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/{local}"
        arns = {
            "AWS::SQS::Queue": f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{local}",
            "AWS::S3::Bucket": f"arn:aws:s3:::{local}",
            "AWS::DynamoDB::Table": f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{local}",
            "AWS::Serverless::Function": f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{local}",
        }
        if attr == "Arn" and rtype in arns:
            return arns[rtype]
        if rtype == "AWS::SQS::Queue" and attr == "QueueName":
            return local
        if rtype == "AWS::SQS::Queue" and attr == "QueueUrl":
            return f"{self.aws_url}/{ACCOUNT_ID}/{local}"
        if rtype == "AWS::CloudFront::Distribution" and attr == "DomainName":
            # No CloudFront locally: the stack serves its stand-in (local/edge/cdn.py) and points the
            # functions at it (CDN_BASE_URL); this name only keeps the template resolvable.
            return f"{local.lower()}.cloudfront.localhost"
        raise TemplateError(f"!GetAtt {name}.{attr} has no local value")

    def sub(self, value: str | list[Any]) -> str:
        if isinstance(value, list):
            text, variables = value[0], {k: self.resolve(v) for k, v in (value[1] or {}).items()}
        else:
            text, variables = value, {}

        def replace(match: re.Match[str]) -> str:
            expr = match.group(1)
            if expr.startswith("!"):  # ${!Literal} is an escaped literal
                return "${" + expr[1:] + "}"
            if expr in variables:
                return _to_str(variables[expr])
            if "." in expr and expr.split(".", 1)[0] in self.resources:
                return self.get_att(*expr.split(".", 1))
            return _to_str(self.ref(expr))

        return _SUB_VAR.sub(replace, text)

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [r for r in (self.resolve(v) for v in value) if r is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::GetAtt":
                parts = arg.split(".", 1) if isinstance(arg, str) else arg
                return self.get_att(parts[0], parts[1])
            if key == "Fn::Sub":
                return self.sub(arg)
            if key == "Fn::Join":
                sep, items = arg
                flat: list[str] = []
                for item in self.resolve(items):
                    flat.extend(item if isinstance(item, list) else [_to_str(item)])
                return sep.join(flat)
            if key == "Fn::Select":
                index, items = self.resolve(arg)
                return items[int(index)]
            if key == "Fn::Split":
                sep, text = arg
                return _to_str(self.resolve(text)).split(sep)
            if key == "Fn::If":
                name, if_true, if_false = arg
                return self.resolve(if_true if self.condition(name) else if_false)
            if key == "Fn::Equals":
                left, right = (_to_str(v) for v in self.resolve(arg))
                return left == right
            if key == "Fn::Not":
                return not self.resolve(arg[0])
            if key == "Fn::And":
                return all(self.resolve(a) for a in arg)
            if key == "Fn::Or":
                return any(self.resolve(a) for a in arg)
            if key == "Condition":
                return self.condition(arg)
            if key.startswith("Fn::"):
                raise TemplateError(f"{key} is not supported by the local stack")
        resolved = {k: self.resolve(v) for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not _NO_VALUE}

    def active(self, resource: dict[str, Any]) -> bool:
        """False for a resource whose `Condition` is false."""
        return "Condition" not in resource or self.condition(resource["Condition"])


def _to_str(value: Any) -> str:
    if isinstance(value, list):  # a CommaDelimitedList used as a string
        return ",".join(_to_str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _local_env(resolver: _Resolver, variables: dict[str, Any] | None) -> dict[str, str]:
    env: dict[str, str] = {}
    for name, raw in (variables or {}).items():
        value = resolver.resolve(raw)
        if value is _NO_VALUE:
            continue
        text = _to_str(value)
        env[name] = _DYNAMIC_REF.sub(LOCAL_SECRET_VALUE, text)
    return env


def _parameters(tpl: dict[str, Any], overrides: dict[str, str] | None) -> dict[str, str | list[str]]:
    params: dict[str, str | list[str]] = {}
    for name, spec in (tpl.get("Parameters") or {}).items():
        raw = (overrides or {}).get(name, spec.get("Default"))
        if raw is None:
            raise TemplateError(f"parameter {name} has no Default and no override")
        if spec.get("Type") == "CommaDelimitedList" or str(spec.get("Type", "")).startswith("List<"):
            params[name] = [p.strip() for p in _to_str(raw).split(",")]
        else:
            params[name] = _to_str(raw)
    return params


def _local_names(resources: dict[str, Any], prefix: str) -> dict[str, str]:
    """Physical names: one bucket/table is called `prefix`; queues `prefix-LogicalId`."""
    names: dict[str, str] = {}
    by_type: dict[str, list[str]] = {}
    for lid, res in resources.items():
        by_type.setdefault(res.get("Type", ""), []).append(lid)
    for rtype in ("AWS::S3::Bucket", "AWS::DynamoDB::Table"):
        ids = by_type.get(rtype, [])
        for lid in ids:
            names[lid] = prefix if len(ids) == 1 else f"{prefix}-{lid.lower()}"
    for lid in by_type.get("AWS::SQS::Queue", []):
        names[lid] = f"{prefix}-{lid}"
    for lid in by_type.get("AWS::SecretsManager::Secret", []):
        names[lid] = f"{prefix}-{lid}"
    return names


def _logical_id_of(value: Any) -> str | None:
    """The resource a `!GetAtt X.Arn` / `!Ref X` points at, if it is one."""
    if isinstance(value, dict) and len(value) == 1:
        ((key, arg),) = value.items()
        if key == "Ref" and isinstance(arg, str):
            return arg
        if key == "Fn::GetAtt":
            return (arg.split(".", 1) if isinstance(arg, str) else arg)[0]
    return None


# ---------------------------------------------------------------- extraction


def load(
    path: str | Path,
    *,
    aws_url: str = "http://127.0.0.1:5070",
    parameter_overrides: dict[str, str] | None = None,
    name_prefix: str = DEFAULT_NAME_PREFIX,
) -> LocalTemplate:
    """Parse `path` and resolve it for a local stack whose AWS endpoint is `aws_url`."""
    path = Path(path).resolve()
    tpl = load_yaml(path)
    resources: dict[str, Any] = tpl.get("Resources") or {}
    params = _parameters(tpl, parameter_overrides)
    names = _local_names(resources, name_prefix)
    resolver = _Resolver(tpl, params, names, aws_url, name_prefix)

    fn_globals = (tpl.get("Globals") or {}).get("Function") or {}
    environment = _local_env(resolver, (fn_globals.get("Environment") or {}).get("Variables"))

    jwt_audience: list[str] = []
    api_cors: dict[str, Any] = {}
    default_route_settings: dict[str, Any] = {}
    route_settings: dict[str, dict[str, Any]] = {}
    default_protected: dict[str, bool] = {}
    for lid, res in resources.items():
        if res.get("Type") != "AWS::Serverless::HttpApi" or not resolver.active(res):
            continue
        props = res.get("Properties") or {}
        auth = props.get("Auth") or {}
        default_protected[lid] = bool(auth.get("DefaultAuthorizer"))
        for authorizer in (auth.get("Authorizers") or {}).values():
            jwt_conf = authorizer.get("JwtConfiguration") or {}
            aud = resolver.resolve(jwt_conf.get("audience", []))
            jwt_audience.extend(aud if isinstance(aud, list) else [aud])
        if props.get("CorsConfiguration"):
            api_cors = resolver.resolve(props["CorsConfiguration"])
        default_route_settings = resolver.resolve(props.get("DefaultRouteSettings") or {})
        route_settings = resolver.resolve(props.get("RouteSettings") or {})

    functions: dict[str, FunctionSpec] = {}
    buckets: dict[str, BucketSpec] = {}
    queues: dict[str, QueueSpec] = {}
    tables: dict[str, TableSpec] = {}
    buses: dict[str, BusSpec] = {}
    rules: dict[str, RuleSpec] = {}
    keys: dict[str, KeySpec] = {}
    secrets: dict[str, SecretSpec] = {}
    for lid, res in resources.items():
        rtype, props = res.get("Type"), res.get("Properties") or {}
        if not resolver.active(res):
            continue
        if rtype == "AWS::Serverless::Function":
            functions[lid] = _function(lid, props, fn_globals, path.parent, resolver, default_protected)
        elif rtype == "AWS::S3::Bucket":
            buckets[lid] = _bucket(lid, names[lid], props, resolver)
        elif rtype == "AWS::SQS::Queue":
            queues[lid] = _queue(lid, names[lid], props)
        elif rtype == "AWS::DynamoDB::Table":
            tables[lid] = _table(lid, names[lid], props)
        elif rtype == "AWS::Events::EventBus":
            buses[lid] = BusSpec(lid, _to_str(resolver.ref(lid)))
        elif rtype == "AWS::Events::Rule":
            rules[lid] = _rule(lid, names.get(lid, f"{name_prefix}-{lid}"), props, resolver)
        elif rtype == "AWS::KMS::Key":
            keys.setdefault(lid, KeySpec(lid, None))
        elif rtype == "AWS::KMS::Alias":
            key_id = _logical_id_of(props.get("TargetKeyId"))
            if key_id:
                keys[key_id] = KeySpec(key_id, _to_str(resolver.ref(lid)))
        elif rtype == "AWS::SecretsManager::Secret":
            secrets[lid] = SecretSpec(lid, names[lid], generated="GenerateSecretString" in props)

    return LocalTemplate(
        path=path,
        parameters=params,
        environment=environment,
        functions=functions,
        buckets=buckets,
        queues=queues,
        tables=tables,
        buses=buses,
        rules=rules,
        keys=keys,
        jwt_audience=jwt_audience,
        api_cors=api_cors,
        aws_url=aws_url.rstrip("/"),
        api_default_route_settings=default_route_settings,
        api_route_settings=route_settings,
        secrets=secrets,
    )


def _function(
    lid: str,
    props: dict[str, Any],
    fn_globals: dict[str, Any],
    base: Path,
    resolver: _Resolver,
    default_protected: dict[str, bool],
) -> FunctionSpec:
    def prop(name: str, default: Any = None) -> Any:
        return props.get(name, fn_globals.get(name, default))

    code_uri = prop("CodeUri")
    if not isinstance(code_uri, str):
        raise TemplateError(f"{lid}: CodeUri must be a local directory")
    spec = FunctionSpec(
        logical_id=lid,
        code_dir=(base / code_uri).resolve(),
        handler=prop("Handler", "app.handler"),
        memory_mb=int(prop("MemorySize", 128)),
        timeout_s=int(prop("Timeout", 3)),
        environment=_local_env(resolver, (props.get("Environment") or {}).get("Variables")),
        # SAM adds a function's Layers to the Globals ones.
        layer_dirs=_layer_dirs([*(fn_globals.get("Layers") or []), *(props.get("Layers") or [])], base, resolver),
        function_url="FunctionUrlConfig" in props,
    )
    any_api_protected = any(default_protected.values())
    for event_id, event in (props.get("Events") or {}).items():
        etype, eprops = event.get("Type"), event.get("Properties") or {}
        if etype == "HttpApi":
            api_id = _logical_id_of(eprops.get("ApiId"))
            protected = default_protected.get(api_id, any_api_protected) if api_id else any_api_protected
            authorizer = (eprops.get("Auth") or {}).get("Authorizer")
            if authorizer == "NONE":
                protected = False
            elif authorizer:
                protected = True
            method = str(eprops.get("Method", "ANY")).upper()
            spec.routes.append(
                HttpRoute(
                    method="ANY" if method in ("ANY", "*") else method,
                    path=eprops.get("Path", "$default"),
                    protected=protected,
                    event_id=event_id,
                )
            )
        elif etype == "DynamoDB":
            table_id = _logical_id_of(eprops.get("Stream"))
            if not table_id:
                raise TemplateError(f"{lid}.{event_id}: DynamoDB Stream must be a table's StreamArn")
            filters = ((eprops.get("FilterCriteria") or {}).get("Filters")) or []
            spec.stream_triggers.append(
                StreamTrigger(
                    event_id=event_id,
                    table_id=table_id,
                    batch_size=int(eprops.get("BatchSize", 100)),
                    batching_window_seconds=float(eprops.get("MaximumBatchingWindowInSeconds", 0)),
                    report_batch_item_failures="ReportBatchItemFailures" in (eprops.get("FunctionResponseTypes") or []),
                    bisect_on_error=bool(eprops.get("BisectBatchOnFunctionError", False)),
                    filter_patterns=tuple(json.loads(f["Pattern"]) for f in filters),
                )
            )
        elif etype == "SQS":
            queue_id = _logical_id_of(eprops.get("Queue"))
            if not queue_id:
                raise TemplateError(f"{lid}.{event_id}: SQS Queue must reference a queue resource")
            spec.sqs_triggers.append(
                SqsTrigger(
                    event_id=event_id,
                    queue_id=queue_id,
                    batch_size=int(eprops.get("BatchSize", 10)),
                    report_batch_item_failures="ReportBatchItemFailures" in (eprops.get("FunctionResponseTypes") or []),
                    batching_window_seconds=float(eprops.get("MaximumBatchingWindowInSeconds", 0)),
                )
            )
    return spec


def _layer_dirs(layers: list[Any], base: Path, resolver: _Resolver) -> list[Path]:
    """Where each local layer's importable code is: `<ContentUri>/python` if the layer has that
    Lambda layout, else ContentUri itself (SAM builds it from requirements.txt and the sources)."""
    dirs: list[Path] = []
    for layer in layers:
        lid = _logical_id_of(layer)
        res = resolver.resources.get(lid or "", {})
        uri = (res.get("Properties") or {}).get("ContentUri")
        if res.get("Type") != "AWS::Serverless::LayerVersion" or not isinstance(uri, str):
            continue  # a layer from another account or stack has no local source
        root = (base / uri).resolve()
        dirs.append(root / "python" if (root / "python").is_dir() else root)
    return list(dict.fromkeys(dirs))


def _bucket(lid: str, name: str, props: dict[str, Any], resolver: _Resolver) -> BucketSpec:
    cors_rules = []
    for rule in resolver.resolve((props.get("CorsConfiguration") or {}).get("CorsRules") or []):
        out: dict[str, Any] = {"AllowedMethods": rule["AllowedMethods"], "AllowedOrigins": rule["AllowedOrigins"]}
        for src, dst in (("AllowedHeaders", "AllowedHeaders"), ("ExposedHeaders", "ExposeHeaders"), ("Id", "ID")):
            if rule.get(src):
                out[dst] = rule[src]
        if "MaxAge" in rule:
            out["MaxAgeSeconds"] = int(rule["MaxAge"])
        cors_rules.append(out)
    notifications = []
    for conf in (props.get("NotificationConfiguration") or {}).get("QueueConfigurations") or []:
        rules = ((conf.get("Filter") or {}).get("S3Key") or {}).get("Rules") or []
        by_name = {r["Name"].lower(): resolver.resolve(r["Value"]) for r in rules}
        notifications.append(
            QueueNotification(
                queue_id=_logical_id_of(conf.get("Queue")),
                queue_arn=_to_str(resolver.resolve(conf["Queue"])),
                events=[conf["Event"]],
                prefix=by_name.get("prefix"),
                suffix=by_name.get("suffix"),
            )
        )
    versioning = resolver.resolve(props.get("VersioningConfiguration") or {})
    return BucketSpec(
        logical_id=lid,
        name=name,
        cors_rules=cors_rules,
        notifications=notifications,
        versioned=versioning.get("Status") == "Enabled",
    )


_QUEUE_ATTRIBUTES = (
    "VisibilityTimeout",
    "MessageRetentionPeriod",
    "DelaySeconds",
    "MaximumMessageSize",
    "ReceiveMessageWaitTimeSeconds",
    "FifoQueue",
    "ContentBasedDeduplication",
)


def _queue(lid: str, name: str, props: dict[str, Any]) -> QueueSpec:
    attributes = {k: _to_str(props[k]) for k in _QUEUE_ATTRIBUTES if k in props}
    spec = QueueSpec(logical_id=lid, name=name, attributes=attributes)
    redrive = props.get("RedrivePolicy")
    if isinstance(redrive, str):
        redrive = json.loads(redrive)
    if redrive:
        spec.dlq_id = _logical_id_of(redrive.get("deadLetterTargetArn"))
        spec.max_receive_count = int(redrive.get("maxReceiveCount", 1))
    return spec


def _table(lid: str, name: str, props: dict[str, Any]) -> TableSpec:
    ttl = props.get("TimeToLiveSpecification") or {}
    return TableSpec(
        logical_id=lid,
        name=name,
        attribute_definitions=props.get("AttributeDefinitions") or [],
        key_schema=props.get("KeySchema") or [],
        global_secondary_indexes=props.get("GlobalSecondaryIndexes") or [],
        ttl_attribute=ttl.get("AttributeName") if ttl.get("Enabled", True) else None,
        stream_view_type=(props.get("StreamSpecification") or {}).get("StreamViewType"),
    )


def _rule(lid: str, name: str, props: dict[str, Any], resolver: _Resolver) -> RuleSpec:
    pattern = resolver.resolve(props.get("EventPattern") or {})
    queue_ids = []
    for target in props.get("Targets") or []:
        target_id = _logical_id_of(target.get("Arn"))
        if target_id and resolver.resources.get(target_id, {}).get("Type") == "AWS::SQS::Queue":
            queue_ids.append(target_id)
        else:
            raise TemplateError(f"{lid}: only SQS queues of the template are local rule targets")
    return RuleSpec(
        logical_id=lid,
        name=name,
        bus_id=_logical_id_of(props.get("EventBusName")),
        pattern=pattern if isinstance(pattern, dict) else json.loads(pattern),
        queue_ids=tuple(queue_ids),
    )
