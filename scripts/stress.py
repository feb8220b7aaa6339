"""`make test-stress`: run a test command several times in a row while a CPU burner keeps one core
busy, and report how many runs passed. A suite that waits for conditions passes every time; one
that waits for fixed times fails here first (issue #21).

    python scripts/stress.py --runs 3 -- .venv/bin/python -m pytest tests/browser tests/e2e
"""

from __future__ import annotations

import argparse
import multiprocessing
import subprocess
import sys
import time


def burn() -> None:
    """One core at 100 %, until terminated."""
    x = 0
    while True:
        x = (x * 1103515245 + 12345) & 0xFFFFFFFF


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--burners", type=int, default=1, help="cores to keep busy (default 1)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the test command, after --")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given")

    burners = [multiprocessing.Process(target=burn, daemon=True, name=f"burner-{n}") for n in range(args.burners)]
    results: list[tuple[int, float]] = []
    try:
        for burner in burners:
            burner.start()
        for run in range(1, args.runs + 1):
            print(f"\n=== stress run {run}/{args.runs} (CPU burners: {args.burners}) ===", flush=True)
            started = time.monotonic()
            code = subprocess.call(command)  # noqa: S603 - the command line make test-stress gives
            results.append((code, time.monotonic() - started))
    finally:
        for burner in burners:
            burner.terminate()
        for burner in burners:
            burner.join(timeout=10)
            if burner.is_alive():
                burner.kill()

    print("\n=== stress summary ===")
    for run, (code, seconds) in enumerate(results, 1):
        print(f"run {run}: {'passed' if code == 0 else f'FAILED (exit {code})'} in {seconds:.0f} s")
    passed = sum(code == 0 for code, _ in results)
    print(f"{passed}/{len(results)} runs passed")
    return 0 if passed == len(results) == args.runs else 1


if __name__ == "__main__":
    sys.exit(main())
