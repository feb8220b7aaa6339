# ruff: noqa: E501  (child scripts are embedded as strings; their lines are kept whole)
"""``make bench`` = ``python -m bench``: every figure of the performance issue with its target.

Prints one table (figure, value, target, PASS/MISS) and writes the same rows plus the raw
measurements to bench/results/latest.json. Method: docs/performance.md.

    python -m bench                       # everything (~10 minutes)
    python -m bench --only renditions,coldstart --quick
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import traceback
from datetime import UTC, datetime
from typing import Any

from bench.common import RESULTS, ROOT, Row, machine, markdown_table, print_table

SECTIONS = (
    "renditions",
    "memory",
    "coldstart",
    "readcost",
    "payloads",
    "e2e",
    "ml",
    "delivery",
    "scale",
    "formats",
    "clients",
    "events",
    "edge",
    "snapshot",
)


def _run_section(name: str, quick: bool) -> tuple[list[Row], dict[str, Any]]:
    if name == "renditions":
        from bench import renditions

        return renditions.run(rounds=2 if quick else 4, reps=2 if quick else 3, naive_rounds=1 if quick else 2)
    if name == "memory":
        from bench import memory

        return memory.run(runs=1 if quick else 3)
    if name == "coldstart":
        from bench import coldstart

        return coldstart.run(rounds=2 if quick else 5)
    if name == "readcost":
        from bench import readcost

        return readcost.run()
    if name == "payloads":
        from bench import payloads

        return payloads.run()
    if name == "e2e":
        from bench import e2e

        return e2e.run(
            uploads=3 if quick else 10, requests_per_route=100 if quick else 300, time_limit_s=10 if quick else 20
        )
    if name == "ml":
        return _ml(quick)
    if name == "delivery":
        from bench import delivery

        return delivery.run(rounds=3 if quick else 5)
    if name == "scale":
        from bench import scale

        return scale.run(samples=10 if quick else 30)
    if name == "formats":
        from bench import formats

        return formats.run(rounds=1 if quick else 3, reps=2 if quick else 3)
    if name == "events":
        from bench import events

        return events.run(events=50 if quick else 200, deliveries=100 if quick else 500)
    if name == "clients":
        from bench import clients

        return clients.run()
    if name == "edge":
        from bench import edge

        return edge.run(trials=5 if quick else 20, every=2 if quick else 5)
    if name == "snapshot":
        from bench import snapshot

        return snapshot.run(images=50 if quick else 200)
    raise ValueError(name)


def _ml(quick: bool) -> tuple[list[Row], dict[str, Any]]:
    """The ML engineer's OCR benchmark (bench/ml/bench_ocr.py), when present: run it, include its JSON."""
    script = ROOT / "bench" / "ml" / "bench_ocr.py"
    if not script.exists():
        return [], {}
    args = [sys.executable, str(script), "--runs", "3" if quick else "7", "--no-size"]
    proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        return [Row("7 ml", "bench/ml/bench_ocr.py", None, "", "report", None, note=proc.stderr[-300:])], {}
    data = json.loads((RESULTS / "ml.json").read_text())
    rows = []
    for key in ("imageml", "rapidocr"):
        if isinstance(data.get(key), dict) and "median_s" in data[key]:
            d = data[key]
            rows.append(
                Row(
                    "7 ml",
                    f"OCR 1280x720, {key}: median | cold | peak RSS",
                    f"{d['median_s'] * 1000:.0f} ms | {d.get('cold_s', 0) * 1000:.0f} ms | {d.get('maxrss_mib', 0):.0f} MiB",
                    "",
                    "report",
                )
            )
    return rows, data


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated subset of {','.join(SECTIONS)}")
    parser.add_argument("--quick", action="store_true", help="fewer rounds (a smoke run, not for the record)")
    parser.add_argument("--output", default=str(RESULTS / "latest.json"))
    args = parser.parse_args()
    wanted = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(wanted) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")

    started = time.perf_counter()
    rows: list[Row] = []
    details: dict[str, Any] = {}
    timings: dict[str, float] = {}
    for name in wanted:
        print(f"== {name}", flush=True)
        t0 = time.perf_counter()
        try:
            section_rows, section_details = _run_section(name, args.quick)
        except Exception as exc:  # one broken section must not hide the others' figures
            traceback.print_exc()
            section_rows = [Row(name, "section failed", None, "", "", False, note=f"{type(exc).__name__}: {exc}"[:300])]
            section_details = {"error": traceback.format_exc()[-3000:]}
        timings[name] = round(time.perf_counter() - t0, 1)
        for row in section_rows:
            row.key = name
        rows += section_rows
        details[name] = section_details
        print_table(section_rows)
        print(f"   ({timings[name]:.0f} s)", flush=True)

    print("\n== all figures")
    print_table(rows)
    missed = [r for r in rows if r.ok is False]
    total = time.perf_counter() - started
    print(f"\n{sum(r.ok is True for r in rows)} PASS, {len(missed)} MISS, {total:.0f} s")

    result = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "machine": machine(),
        "seconds": round(total, 1),
        "section_seconds": timings,
        "rows": [r.as_dict() for r in rows],
        "details": details,
        "markdown": markdown_table(rows),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = args.output
    if set(wanted) != set(SECTIONS) and os.path.exists(out):
        # A partial run updates its sections in the existing results and keeps the others.
        with open(out) as fh:
            previous = json.load(fh)
        labels = {
            "1 renditions": "renditions",
            "2 memory": "memory",
            "3 cold start": "coldstart",
            "4 read cost": "readcost",
            "5 bytes": "payloads",
            "6 end to end": "e2e",
            "7 ml": "ml",
            "8 delivery": "delivery",
            "9 scale": "scale",
            "10 clients": "clients",
            "11 events": "events",
            "12 edge": "edge",
            "13 compose stop": "snapshot",
        }
        kept = [
            r
            for r in previous.get("rows", [])
            if (r.get("key") or labels.get(r["section"], r["section"])) not in wanted
        ]
        result["rows"] = kept + result["rows"]
        result["details"] = {**{k: v for k, v in previous.get("details", {}).items() if k not in wanted}, **details}
        result["section_seconds"] = {**previous.get("section_seconds", {}), **timings}
        result["partial_update_of"] = previous.get("generated_at")
        order = {f"{i + 1} ": i for i in range(len(SECTIONS))}
        result["rows"].sort(key=lambda r: order.get(r["section"].split(" ", 1)[0] + " ", 99))
        all_rows = [Row(**{k: v for k, v in r.items() if k in Row.__dataclass_fields__}) for r in result["rows"]]
        result["markdown"] = markdown_table(all_rows)
    with open(out + ".tmp", "w") as fh:
        json.dump(result, fh, indent=1, default=str)
    os.replace(out + ".tmp", out)
    print(f"wrote {os.path.relpath(out, ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
