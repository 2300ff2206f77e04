#!/usr/bin/env bash
# Prints the path of a Python 3.10 interpreter for the Rasa environment.
# Order: $TIER0_PYTHON310, python3.10 on PATH, pyenv's 3.10.x. Exits 1 with advice otherwise.
set -euo pipefail

is_310() { "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' >/dev/null 2>&1; }

if [[ -n "${TIER0_PYTHON310:-}" ]]; then
  if is_310 "$TIER0_PYTHON310"; then echo "$TIER0_PYTHON310"; exit 0; fi
  echo "TIER0_PYTHON310=$TIER0_PYTHON310 is not a working Python 3.10 interpreter." >&2
  exit 1
fi
if command -v python3.10 >/dev/null 2>&1 && is_310 "$(command -v python3.10)"; then
  command -v python3.10; exit 0
fi
pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
for candidate in "$pyenv_root"/versions/3.10.*/bin/python3.10; do
  if [[ -x "$candidate" ]] && is_310 "$candidate"; then echo "$candidate"; exit 0; fi
done
cat >&2 <<'MSG'
Rasa 3.6 needs Python 3.10, and none was found.
Install one (for example `pyenv install 3.10.13`, or your distribution's python3.10 package),
then either put python3.10 on PATH or set TIER0_PYTHON310=/path/to/python3.10 and run make again.
MSG
exit 1
