"""Checkov, the infrastructure-as-code security scanner, over template.yaml and its nested stack.

Every check it runs either passes or is skipped next to the resource, in the template, with a
one-line reason (docs/security.md, "Security scanner"):

    Metadata:
      checkov:
        skip:
          - id: CKV_AWS_117
            comment: "why this check does not fit this resource"

Checkov runs offline (`--skip-download`, no update check) from its own virtual environment,
`.venv-checkov`, which `make test` installs (`make scan` prints the same report for people).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.template.conftest import REPO_ROOT, _cfn_yaml

pytestmark = pytest.mark.template

CHECKOV = REPO_ROOT / ".venv-checkov" / "bin" / "checkov"
TEMPLATES = [Path("template.yaml"), Path("infra/web-hosting.yaml")]
CHECK_ID = re.compile(r"^CKV2?_[A-Z0-9]+_\d+$")


def run_checkov(files: list[Path], cwd: Path = REPO_ROOT) -> dict[str, Any]:
    """Checkov's JSON report for `files` (the CloudFormation framework reads SAM templates too)."""
    if not CHECKOV.exists():
        pytest.skip("checkov's virtual environment is missing: run `make test` (or `make scan`)")
    # No network: no policy download from the vendor's platform, no PyPI version check.
    env = {**os.environ, "SKIP_PACKAGE_UPDATE_CHECK": "true", "BC_SKIP_MAPPING": "TRUE"}
    args = [str(CHECKOV), "--framework", "cloudformation", "--skip-download", "-o", "json"]
    for f in files:
        args += ["-f", str(f)]
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode in (0, 1), result.stderr[-4000:]  # 1: some check failed
    report = json.loads(result.stdout)
    reports = report if isinstance(report, list) else [report]
    merged: dict[str, Any] = {"passed_checks": [], "failed_checks": [], "skipped_checks": [], "parsing_errors": []}
    for r in reports:
        for key in merged:
            merged[key] += r.get("results", {}).get(key, [])
    return merged


def skip_problems(template: dict[str, Any], name: str) -> list[str]:
    """Every checkov skip in `template` that lacks a check id or a one-line reason."""
    problems = []
    for lid, res in (template.get("Resources") or {}).items():
        skips = ((res.get("Metadata") or {}).get("checkov") or {}).get("skip")
        if skips is None:
            continue
        if not isinstance(skips, list):
            problems.append(f"{name}:{lid}: checkov.skip must be a list")
            continue
        for skip in skips:
            cid = skip.get("id") if isinstance(skip, dict) else skip
            comment = skip.get("comment") if isinstance(skip, dict) else None
            if not isinstance(cid, str) or not CHECK_ID.match(cid):
                problems.append(f"{name}:{lid}: skip without a check id: {skip!r}")
            elif not isinstance(comment, str) or len(comment.strip()) < 10:
                problems.append(f"{name}:{lid}: {cid} is skipped without a reason")
            elif "\n" in comment.strip():
                problems.append(f"{name}:{lid}: {cid}'s reason is more than one line")
    return problems


def template_skips(template: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (lid, skip["id"])
        for lid, res in (template.get("Resources") or {}).items()
        for skip in ((res.get("Metadata") or {}).get("checkov") or {}).get("skip") or []
        if isinstance(skip, dict) and "id" in skip
    }


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    return run_checkov(TEMPLATES)


def _where(check: dict[str, Any]) -> str:
    return f"{check['file_path'].lstrip('/')}: {check['resource']}: {check['check_id']} {check.get('check_name', '')}"


def test_checkov_parses_both_templates(report: dict[str, Any]) -> None:
    assert not report["parsing_errors"], report["parsing_errors"]
    scanned = {c["file_path"].lstrip("/") for key in ("passed_checks", "skipped_checks") for c in report[key]}
    assert scanned == {str(t) for t in TEMPLATES}


def test_no_check_fails(report: dict[str, Any]) -> None:
    failed = sorted(_where(c) for c in report["failed_checks"])
    assert not failed, "fix these, or skip them next to the resource with a one-line reason:\n" + "\n".join(failed)


@pytest.mark.parametrize("path", TEMPLATES, ids=str)
def test_every_skip_has_a_one_line_reason(path: Path) -> None:
    problems = skip_problems(_cfn_yaml(REPO_ROOT / path), str(path))
    assert not problems, "\n".join(problems)


def test_every_skip_is_one_checkov_applies(report: dict[str, Any]) -> None:
    """A skip that matches no check checkov reports (a typo, a removed resource) is stale."""
    reported = {(c["resource"].split(".", 1)[1], c["check_id"]) for c in report["skipped_checks"]}
    declared = set()
    for path in TEMPLATES:
        declared |= template_skips(_cfn_yaml(REPO_ROOT / path))
    assert declared - reported == set(), f"stale skips: {sorted(declared - reported)}"
    assert reported - declared == set(), f"skipped outside the templates: {sorted(reported - declared)}"


def test_the_real_findings_are_fixed_not_skipped(report: dict[str, Any]) -> None:
    """The findings of issue 16 that matter here pass on their own."""
    passed = {(c["resource"], c["check_id"]) for c in report["passed_checks"]}
    for resource, check in [
        ("AWS::Serverless::HttpApi.HttpApi", "CKV_AWS_95"),  # access logs
        ("AWS::S3::Bucket.ImagesBucket", "CKV_AWS_21"),  # versioning
        ("AWS::SNS::Topic.AlarmTopic", "CKV_AWS_26"),  # encrypted topic
        ("AWS::Serverless::Function.UploadFunction", "CKV_AWS_115"),  # concurrency ceiling (parameter)
        ("AWS::KMS::Key.AlarmTopicKey", "CKV_AWS_7"),  # the topic key rotates
    ]:
        assert (resource, check) in passed, f"{resource} {check} does not pass"


def test_a_skip_without_a_reason_is_caught() -> None:
    template = {
        "Resources": {
            "Fine": {"Metadata": {"checkov": {"skip": [{"id": "CKV_AWS_1", "comment": "a reason long enough"}]}}},
            "NoComment": {"Metadata": {"checkov": {"skip": [{"id": "CKV_AWS_2"}]}}},
            "Blank": {"Metadata": {"checkov": {"skip": [{"id": "CKV_AWS_3", "comment": "  "}]}}},
            "TwoLines": {"Metadata": {"checkov": {"skip": [{"id": "CKV_AWS_4", "comment": "line one\nline two"}]}}},
            "BareId": {"Metadata": {"checkov": {"skip": ["CKV_AWS_5"]}}},
        }
    }
    problems = skip_problems(template, "t.yaml")
    assert len(problems) == 4 and not any("Fine" in p for p in problems), problems


def test_checkov_reports_a_failure_and_honours_a_skip(tmp_path: Path) -> None:
    """The scanner itself: an unencrypted topic fails, the same topic with a skip is skipped."""
    topic = "  Topic:\n    Type: AWS::SNS::Topic\n    Properties:\n      DisplayName: t\n"
    skip = '    Metadata:\n      checkov:\n        skip:\n          - id: CKV_AWS_26\n            comment: "a test"\n'
    (tmp_path / "bad.yaml").write_text("Resources:\n" + topic)
    (tmp_path / "skipped.yaml").write_text("Resources:\n" + topic + skip)
    result = run_checkov([Path("bad.yaml"), Path("skipped.yaml")], cwd=tmp_path)
    failed = {(c["file_path"].lstrip("/"), c["check_id"]) for c in result["failed_checks"]}
    skipped = {(c["file_path"].lstrip("/"), c["check_id"]) for c in result["skipped_checks"]}
    assert ("bad.yaml", "CKV_AWS_26") in failed
    assert ("skipped.yaml", "CKV_AWS_26") in skipped and ("skipped.yaml", "CKV_AWS_26") not in failed
