#!/usr/bin/env bash
# Install what scripts/validate-deployment-configs.sh and the tests need.
# Idempotent: anything already present at the pinned version is skipped. Go
# binaries are built once into $(go env GOPATH)/bin and reused from there;
# s3s-fs (the S3 server of aidoc-storage's tests) into the test cache,
# target/testkit-cache/s3s/bin (or $AIDOC_TEST_CACHE/s3s/bin), where the tests
# look for it.
#
#   scripts/install-tools.sh
#
# Assumes root (or sudo-free apt), python3 with pip, cargo, go; npm is optional
# (dockerfile-utils). Uses only the package clients: apt-get, pip, cargo, go, npm.
set -euo pipefail

HELM_VERSION="${HELM_VERSION:-v3.22.0}"
KUBECTL_VALIDATE_VERSION="${KUBECTL_VALIDATE_VERSION:-v0.0.4}"
KUSTOMIZE_VERSION="${KUSTOMIZE_VERSION:-v5.7.1}"
DOCKERFILE_UTILS_VERSION="${DOCKERFILE_UTILS_VERSION:-0.16.3}"
# 0.15+ needs a newer Rust than the workspace's.
S3S_FS_VERSION="${S3S_FS_VERSION:-0.14.1}"
PIP_PACKAGES=(kubernetes-validate==1.37.0 check-jsonschema==0.39.0 dockerfile==3.4.0 pyyaml)
APT_PACKAGES=(prometheus shellcheck nginx)

log() { printf '\033[32m[install-tools]\033[0m %s\n' "$*"; }
skip() { printf '\033[2m[install-tools] %s\033[0m\n' "$*"; }

# ----------------------------------------------------------------- apt
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
        skip "apt $pkg: present"
    else
        missing+=("$pkg")
    fi
done
if [[ ${#missing[@]} -gt 0 ]]; then
    log "apt-get install ${missing[*]}"
    # Packages must not start daemons here (nginx, prometheus): only their
    # binaries are used. policy-rc.d is the Debian way to say so.
    policy=/usr/sbin/policy-rc.d
    added_policy=0
    if [[ ! -e $policy ]]; then
        printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; added_policy=1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
    [[ $added_policy == 1 ]] && rm -f "$policy"
fi

# ----------------------------------------------------------------- pip
for spec in "${PIP_PACKAGES[@]}"; do
    name="${spec%%==*}"; want="${spec#*==}"
    # pip show fails for a package that is not installed: no version then.
    have="$(python3 -m pip show "$name" 2>/dev/null | awk '/^Version:/ {print $2}' || true)"
    if [[ -n "$have" && ( "$spec" == "$name" || "$have" == "$want" ) ]]; then
        skip "pip $name $have: present"
    else
        log "pip install $spec"
        python3 -m pip install --quiet --disable-pip-version-check "$spec"
    fi
done

# ---------------------------------------------------------------- cargo
# s3s-fs: a real S3 server on a folder for aidoc-storage's tests. They find it
# here by themselves (and would install it here on first use otherwise).
repo="$(cd "$(dirname "$0")/.." && pwd)"
s3s_root="${AIDOC_TEST_CACHE:-$repo/target/testkit-cache}/s3s"
if [[ -x "$s3s_root/bin/s3s-fs" ]] && [[ "$("$s3s_root/bin/s3s-fs" --version 2>/dev/null)" == "s3s-fs $S3S_FS_VERSION" ]]; then
    skip "cargo s3s-fs $S3S_FS_VERSION: cached in $s3s_root/bin"
else
    log "cargo install s3s-fs@$S3S_FS_VERSION into $s3s_root (a few minutes, once)"
    # Built in cargo's own temporary folder, not in a target folder of the workspace.
    env -u CARGO_TARGET_DIR -u CARGO_BUILD_TARGET_DIR \
        cargo install --quiet --locked "s3s-fs@$S3S_FS_VERSION" --features binary --root "$s3s_root"
fi

# ------------------------------------------------------------------- go
gobin="$(go env GOPATH)/bin"
mkdir -p "$gobin"
export PATH="$PATH:$gobin"
# go_tool BINARY MODULE_PATH PACKAGE VERSION: go install unless the cached
# binary was built from that module version.
go_tool() {
    local bin="$1" module="$2" pkg="$3" version="$4"
    if [[ -x "$gobin/$bin" ]] && go version -m "$gobin/$bin" 2>/dev/null | grep -qE "^[[:space:]]+mod[[:space:]]+${module}[[:space:]]+${version}([[:space:]]|$)"; then
        skip "go $bin $version: cached in $gobin"
        return 0
    fi
    log "go install $pkg@$version (a few minutes, once)"
    go install "$pkg@$version"
}
pids=()
go_tool helm helm.sh/helm/v3 helm.sh/helm/v3/cmd/helm "$HELM_VERSION" & pids+=($!)
go_tool kubectl-validate sigs.k8s.io/kubectl-validate sigs.k8s.io/kubectl-validate "$KUBECTL_VALIDATE_VERSION" & pids+=($!)
# kubectl (with its built-in kustomize) may come from the machine image;
# otherwise the standalone kustomize serves `kustomize build`.
if ! command -v kubectl >/dev/null 2>&1; then
    go_tool kustomize sigs.k8s.io/kustomize/kustomize/v5 sigs.k8s.io/kustomize/kustomize/v5 "$KUSTOMIZE_VERSION" & pids+=($!)
else
    skip "kubectl: present ($(kubectl version --client 2>/dev/null | head -n 1))"
fi
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
[[ $status == 0 ]] || { echo "a go install failed" >&2; exit 1; }

# ------------------------------------------------------------------ npm
if command -v npm >/dev/null 2>&1; then
    if command -v dockerfile-utils >/dev/null 2>&1 \
        && npm ls -g --depth=0 "dockerfile-utils@$DOCKERFILE_UTILS_VERSION" >/dev/null 2>&1; then
        skip "npm dockerfile-utils $DOCKERFILE_UTILS_VERSION: present"
    else
        log "npm install -g dockerfile-utils@$DOCKERFILE_UTILS_VERSION"
        npm install -g --no-audit --no-fund "dockerfile-utils@$DOCKERFILE_UTILS_VERSION" >/dev/null
    fi
else
    skip "npm not found: Dockerfile lint (dockerfile-utils) will be skipped"
fi

log "done. Put $gobin on PATH (the validation script adds it itself)."
