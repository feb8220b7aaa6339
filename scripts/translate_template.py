"""Translate template.yaml (SAM) into the plain CloudFormation that `sam deploy` would hand to
CloudFormation, offline: no AWS account, no credentials, no network.

Runs with the SAM CLI's virtual environment (.venv-sam), which has aws-sam-translator:

    .venv-sam/bin/python scripts/translate_template.py [--template template.yaml] [--out FILE]

Local code paths (CodeUri, ContentUri) and nested templates (TemplateURL) become placeholder S3
locations, as `sam package` would make them (lint nested templates such as infra/web-hosting.yaml
on their own). The output is JSON (stdout by default), ready
for `cfn-lint` and for tests/template/test_iam.py.
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER_BUCKET = "sam-artifacts-placeholder"

# AWS managed policies a SAM function may get implicitly; their ARNs are known, so no IAM call
# is needed. A policy *name* in a function's Policies outside this map fails translation loudly.
MANAGED_POLICIES = {
    name: f"arn:aws:iam::aws:policy/{path}{name}"
    for name, path in {
        "AWSLambdaBasicExecutionRole": "service-role/",
        "AWSXrayWriteOnlyAccess": "",
        "AWSLambdaSQSQueueExecutionRole": "service-role/",
    }.items()
}


class _OfflinePolicyLoader:
    def load(self) -> dict[str, str]:
        return dict(MANAGED_POLICIES)


def _placeholder_code(template: dict[str, Any]) -> dict[str, Any]:
    template = copy.deepcopy(template)
    for lid, res in (template.get("Resources") or {}).items():
        props = res.get("Properties") or {}
        rtype = res.get("Type")
        if rtype == "AWS::Serverless::Function" and isinstance(props.get("CodeUri", "x"), str):
            props["CodeUri"] = f"s3://{PLACEHOLDER_BUCKET}/{lid}.zip"
        elif rtype == "AWS::Serverless::LayerVersion" and isinstance(props.get("ContentUri"), str):
            props["ContentUri"] = f"s3://{PLACEHOLDER_BUCKET}/{lid}.zip"
        elif rtype == "AWS::CloudFormation::Stack" and not str(props.get("TemplateURL", "")).startswith("https://"):
            props["TemplateURL"] = f"https://{PLACEHOLDER_BUCKET}.s3.amazonaws.com/{lid}.template"
    globals_fn = (template.get("Globals") or {}).get("Function") or {}
    if isinstance(globals_fn.get("CodeUri"), str):
        globals_fn["CodeUri"] = f"s3://{PLACEHOLDER_BUCKET}/globals.zip"
    return template


def translate(
    template_path: Path, parameter_values: dict[str, Any] | None = None, region: str = "eu-west-1"
) -> dict[str, Any]:
    """The CloudFormation template SAM makes of `template_path`."""
    os.environ.setdefault("AWS_DEFAULT_REGION", region)  # pseudo parameters need a region, nothing else
    # Offline there is no feature-toggle config: each DeploymentPreference would warn that a toggle
    # is "not available" and is treated as off; none of them matters to this template.
    logging.getLogger("samtranslator.feature_toggle.feature_toggle").setLevel(logging.ERROR)
    from samtranslator.translator.transform import transform
    from samtranslator.yaml_helper import yaml_parse

    sam = yaml_parse(template_path.read_text(encoding="utf-8"))
    return transform(_placeholder_code(sam), dict(parameter_values or {}), _OfflinePolicyLoader())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--template", default=str(REPO_ROOT / "template.yaml"))
    parser.add_argument("--out", help="write here instead of stdout")
    parser.add_argument("--region", default="eu-west-1")
    args = parser.parse_args(argv)
    try:
        cfn = translate(Path(args.template), region=args.region)
    except Exception as exc:  # InvalidDocumentException carries the list of causes
        causes = getattr(exc, "causes", None) or [exc]
        for cause in causes:
            print(f"translate: {getattr(cause, 'message', cause)}", file=sys.stderr)
        return 1
    text = json.dumps(cfn, indent=1, sort_keys=False, default=str) + "\n"
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
