#!/usr/bin/env bash
# Prints the directory holding a working python3.12 (what `sam build` needs for python3.12
# functions), or explains what is missing and fails.
set -euo pipefail
candidates=()
command -v python3.12 >/dev/null 2>&1 && candidates+=("$(command -v python3.12)")
for dir in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12*/bin /usr/local/bin /usr/bin; do
  [ -x "$dir/python3.12" ] && candidates+=("$dir/python3.12")
done
for python in "${candidates[@]}"; do
  if "$python" -c 'import sys; assert sys.version_info[:2] == (3, 12)' >/dev/null 2>&1; then
    dirname "$(readlink -f "$python")"
    exit 0
  fi
done
echo "python3.12 not found: sam build needs it for the python3.12 runtime." >&2
echo "Install it (for example 'pyenv install 3.12') or put it on PATH, then run again." >&2
exit 1
