"""Publish web/ to the deployed stack: `make deploy-web` (CONFIG_ENV=prod for the prod stack).

1. reads the stack's outputs (CloudFormation DescribeStacks): ApiUrl, UserPoolId, UserPoolClientId,
   CognitoDomain, WebUrl, WebBucketName, WebDistributionId, Region;
2. writes the page's config.json from them (never the repository's web/config.json, which stays
   the local-development one): {"apiUrl", "region", "auth": {"mode": "cognito", ...}};
3. uploads web/ to the web bucket (content types, cache headers; removes files no longer in web/);
4. invalidates the CloudFront distribution;
5. warns when the page's origin is missing from the stack's CorsAllowOrigins parameter.

The stack name and region come from samconfig.toml's environment (default: `default`), or from
--stack / --region. Credentials are boto3's usual ones (AWS_PROFILE, environment, SSO...).
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import sys
import time
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
WEB_DIR = REPO_ROOT / "web"
SCOPES = ["openid", "email", "profile"]
# Files of web/ never published (editor and OS litter).
SKIP_NAMES = {".DS_Store", "Thumbs.db"}
SKIP_SUFFIXES = (".map", "~", ".swp")

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".webmanifest": "application/manifest+json",
    ".txt": "text/plain; charset=utf-8",
}


class DeployError(RuntimeError):
    pass


def samconfig_env(config_env: str, path: Path = REPO_ROOT / "samconfig.toml") -> tuple[str | None, str | None]:
    """(stack_name, region) of one samconfig.toml environment."""
    if not path.exists():
        return None, None
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    env = data.get(config_env) or {}
    stack = (env.get("global", {}).get("parameters", {}) or {}).get("stack_name") or (
        env.get("deploy", {}).get("parameters", {}) or {}
    ).get("stack_name")
    region = (env.get("deploy", {}).get("parameters", {}) or {}).get("region") or (
        env.get("global", {}).get("parameters", {}) or {}
    ).get("region")
    return stack, region


def describe_stack(cloudformation: Any, stack: str) -> tuple[dict[str, str], dict[str, str]]:
    """(outputs, parameters) of a deployed stack."""
    try:
        (desc,) = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except Exception as exc:  # botocore ClientError: "Stack with id X does not exist", no credentials...
        raise DeployError(f"cannot read stack {stack!r}: {exc}") from exc
    if not str(desc.get("StackStatus", "")).endswith("_COMPLETE") or "ROLLBACK" in desc.get("StackStatus", ""):
        raise DeployError(f"stack {stack!r} is {desc.get('StackStatus')}; deploy it first (`sam deploy`)")
    outputs = {o["OutputKey"]: o["OutputValue"] for o in desc.get("Outputs") or []}
    params = {
        p["ParameterKey"]: p.get("ResolvedValue", p.get("ParameterValue", "")) for p in desc.get("Parameters") or []
    }
    return outputs, params


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def build_config(outputs: dict[str, str], region: str | None = None) -> dict[str, Any]:
    """The page's config.json (read by web/app.js; its "auth" part by web/auth/pkce.js)."""
    missing = [k for k in ("ApiUrl", "UserPoolId", "UserPoolClientId", "CognitoDomain", "WebUrl") if not outputs.get(k)]
    if missing:
        raise DeployError(f"the stack has no output {', '.join(missing)}: is it this project's template?")
    region = outputs.get("Region") or region
    issuer = outputs.get("JwtIssuerUrl", "")
    if issuer and "cognito-idp." not in issuer:
        raise DeployError(
            f"the API trusts {issuer}, not the stack's Cognito pool: write config.json by hand "
            "(auth.authorizeEndpoint / tokenEndpoint, see docs/deploy.md) or use --config-file"
        )
    site = outputs["WebUrl"] if outputs["WebUrl"].endswith("/") else outputs["WebUrl"] + "/"
    return {
        "apiUrl": outputs["ApiUrl"].rstrip("/"),
        "region": region,
        "auth": {
            "mode": "cognito",
            "region": region,
            "userPoolId": outputs["UserPoolId"],
            "clientId": outputs["UserPoolClientId"],
            "domain": outputs["CognitoDomain"],
            "redirectUri": site,
            "logoutUri": site,
            "scopes": SCOPES,
        },
    }


def cors_warnings(outputs: dict[str, str], params: dict[str, str]) -> list[str]:
    """What is missing for the page's origin to call the API and upload to the images bucket."""
    site_origin = origin_of(outputs.get("WebUrl", ""))
    allowed = [o.strip() for o in params.get("CorsAllowOrigins", "").split(",") if o.strip()]
    if site_origin in allowed or "*" in allowed:
        return []
    wanted = ",".join([*allowed, site_origin])
    return [
        f"CorsAllowOrigins does not include {site_origin}: the page cannot call the API or upload yet. Run\n"
        f"  sam deploy --parameter-overrides CorsAllowOrigins={wanted} ...  (keep your other overrides; "
        f"or add it to samconfig.toml's parameter_overrides) -- see docs/deploy.md"
    ]


def web_files(web_dir: Path) -> dict[str, Path]:
    """key -> file for everything under web/ that is published (config.json is generated instead)."""
    files = {}
    for path in sorted(web_dir.rglob("*")):
        if not path.is_file() or path.name in SKIP_NAMES or path.name.endswith(SKIP_SUFFIXES):
            continue
        rel = path.relative_to(web_dir)
        if any(part.startswith(".") for part in rel.parts):
            continue
        key = rel.as_posix()
        if key == "config.json":
            continue
        files[key] = path
    return files


def content_type(key: str) -> str:
    suffix = Path(key).suffix.lower()
    return CONTENT_TYPES.get(suffix) or mimetypes.guess_type(key)[0] or "application/octet-stream"


def cache_control(key: str) -> str:
    # The page's files keep their names across releases: browsers keep them a minute, CloudFront a
    # day or until the invalidation every deploy makes. config.json is never cached.
    return "no-store" if key == "config.json" else "public, max-age=60, s-maxage=86400"


def sync(s3: Any, bucket: str, web_dir: Path, config: dict[str, Any], *, delete: bool = True) -> dict[str, list[str]]:
    files = web_files(web_dir)
    uploaded = []
    for key, path in files.items():
        s3.put_object(
            Bucket=bucket,
            Key=key,
            Body=path.read_bytes(),
            ContentType=content_type(key),
            CacheControl=cache_control(key),
        )
        uploaded.append(key)
    s3.put_object(
        Bucket=bucket,
        Key="config.json",
        Body=(json.dumps(config, indent=2) + "\n").encode(),
        ContentType=content_type("config.json"),
        CacheControl=cache_control("config.json"),
    )
    uploaded.append("config.json")
    removed = []
    if delete:
        keep = set(uploaded)
        stale = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            stale.extend(o["Key"] for o in page.get("Contents", []) if o["Key"] not in keep)
        for i in range(0, len(stale), 1000):
            s3.delete_objects(
                Bucket=bucket, Delete={"Objects": [{"Key": k} for k in stale[i : i + 1000]], "Quiet": True}
            )
        removed = stale
    return {"uploaded": uploaded, "removed": removed}


def invalidate(cloudfront: Any, distribution_id: str) -> str:
    response = cloudfront.create_invalidation(
        DistributionId=distribution_id,
        InvalidationBatch={
            "Paths": {"Quantity": 1, "Items": ["/*"]},
            "CallerReference": f"deploy-web-{time.time_ns()}",
        },
    )
    return response["Invalidation"]["Id"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Publish web/ with its config.json to the deployed stack.")
    parser.add_argument("--config-env", default="default", help="samconfig.toml environment (default: default)")
    parser.add_argument("--stack", help="stack name (default: samconfig.toml's)")
    parser.add_argument("--region", help="region (default: samconfig.toml's, else boto3's)")
    parser.add_argument("--web-dir", default=str(WEB_DIR))
    parser.add_argument("--config-file", help="publish this config.json instead of one built from the outputs")
    parser.add_argument("--print-config", action="store_true", help="print config.json and stop (no upload)")
    parser.add_argument("--no-delete", action="store_true", help="keep objects that are no longer in web/")
    args = parser.parse_args(argv)

    import boto3  # only here: the pure functions above are tested without AWS

    stack, region = samconfig_env(args.config_env)
    stack, region = args.stack or stack, args.region or region
    if not stack:
        print("deploy-web: no stack name (samconfig.toml or --stack)", file=sys.stderr)
        return 2
    session = boto3.session.Session(region_name=region)
    try:
        outputs, params = describe_stack(session.client("cloudformation"), stack)
        config = (
            json.loads(Path(args.config_file).read_text(encoding="utf-8"))
            if args.config_file
            else build_config(outputs, session.region_name)
        )
        if args.print_config:
            print(json.dumps(config, indent=2))
            return 0
        result = sync(
            session.client("s3"), outputs["WebBucketName"], Path(args.web_dir), config, delete=not args.no_delete
        )
        inval = invalidate(session.client("cloudfront"), outputs["WebDistributionId"])
    except DeployError as exc:
        print(f"deploy-web: {exc}", file=sys.stderr)
        return 1
    print(
        f"uploaded {len(result['uploaded'])} files to s3://{outputs['WebBucketName']}/"
        f" (removed {len(result['removed'])}); CloudFront invalidation {inval}"
    )
    print(f"the page: {outputs['WebUrl']}")
    for warning in cors_warnings(outputs, params):
        print(f"WARNING: {warning}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
