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

# Regenerate docs/openapi.json, the OpenAPI document of the REST API, from the code.
openapi:
    cargo run --quiet -p aidoc-gateway -- openapi > docs/openapi.json.new
    mv docs/openapi.json.new docs/openapi.json
    if [ -d web/node_modules ]; then cd web && npm run --silent gen:api; fi

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

# Parser text quality and speed against pdftotext, mutool and pandoc (each when installed;
# scoring wants the Python package rapidfuzz: without it edit distances take tens of minutes).
bench-parser:
    cargo bench -p aidoc-parser --bench corpus

# Retrieval quality (nDCG@10, Recall@10, MRR@10) of keyword, semantic and hybrid search:
# the shared corpus and bench/quality/docs, judged by bench/quality/queries.json.
# Quality does not depend on optimisation, so it runs on the dev build the tests use.
bench-quality:
    python3 bench/quality/check_queries.py
    cargo build --bins -p aidoc-gateway -p aidoc-api -p aidoc-indexer -p aidoc-parser -p aidoc-backup
    cargo bench --profile dev -p aidoc-cli --bench quality

# Search latency at >= 100 000 chunks through the gateway and as bare SQL (release build).
bench-search:
    cargo build --release --workspace --bins
    cargo bench -p aidoc-cli --bench search

# End-to-end ingest throughput (upload -> ready) of the shared corpus, by stage (release build).
bench-ingest:
    cargo build --release --workspace --bins
    cargo bench -p aidoc-cli --bench ingest

# Backup and restore times and sizes for the indexed shared corpus (database, full, verify, restore onto an empty
# system; S3 target). pg_dump/pg_restore and I/O dominate, so it runs on the dev build the tests use.
bench-backup:
    cargo build --bins -p aidoc-gateway -p aidoc-api -p aidoc-indexer -p aidoc-parser -p aidoc-backup
    cargo bench --profile dev -p aidoc-cli --bench backup
