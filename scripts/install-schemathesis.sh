#!/usr/bin/env bash
# Installs the pinned schemathesis (API fuzzing against the OpenAPI document)
# into a virtualenv under the cargo target dir; prints the path of its `st`.
# Idempotent: a venv with the pinned version is reused.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=4.32.5
target="${CARGO_TARGET_DIR:-$PWD/target}"
venv="$target/schemathesis-venv"
st="$venv/bin/st"

if [ -x "$st" ] && "$venv/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('schemathesis') != '$VERSION')" 2>/dev/null; then
  echo "$st"
  exit 0
fi
rm -rf "$venv"
python3 -m venv "$venv" >&2
"$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$VERSION" >&2
"$st" --version >&2
echo "$st"
