# aidoc — daily work. `just --list` shows every recipe.
# The same recipes run in CI (.ci/run calls scripts/test.sh).

set shell := ["bash", "-euo", "pipefail", "-c"]

# Run the whole stack locally on embedded defaults.
up *ARGS:
    cargo build --release --workspace --bins
    ./target/release/aidoc up {{ARGS}}

# Every test: format, lints, unit and integration tests, validators.
test:
    ./scripts/test.sh

fmt:
    cargo fmt --all

lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings

# Install the validators `just validate` uses (helm, kubectl-validate, promtool, …).
install-tools:
    ./scripts/install-tools.sh

# Deployment configuration validators (helm, kustomize, compose, nginx, promtool, shellcheck).
validate:
    ./scripts/validate-deployment-configs.sh

# Per service: release binary size, exec-to-ready time, idle RSS.
bench-footprint:
    cargo build --release --workspace --bins
    cargo bench -p aidoc-cli --bench footprint

# Parser text quality and speed against pdftotext, mutool and pandoc.
bench-parser:
    cargo bench -p aidoc-parser --bench corpus
