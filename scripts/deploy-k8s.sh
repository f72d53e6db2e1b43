#!/usr/bin/env bash
# Deploy aidoc to Kubernetes from the kustomize overlays, in order:
# namespace -> secret -> config/storage/services -> PostgreSQL + MinIO (wait)
# -> bucket setup + migrations (wait) -> workloads (wait for rollout) -> Ingress.
#
#   scripts/deploy-k8s.sh [--overlay dev|prod|prod-managed] [--context CTX]
#                         [--secrets FILE | --generate-secrets]
#                         [--dry-run[=server|client]] [--timeout 300s]
#
#   --secrets FILE       apply a filled-in copy of deploy/k8s/secret.example.yaml
#   --generate-secrets   create aidoc-secrets with random values if it is
#                        missing (development namespaces)
#   --dry-run=server     send everything to the API server as a dry run
#   --dry-run=client     no cluster needed: render and list what each phase applies
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
overlay=dev; context=(); secrets_file=""; generate=0; dry_run=""; timeout=300s

if [[ -t 1 ]]; then G=$'\e[32m'; Y=$'\e[33m'; R=$'\e[31m'; B=$'\e[1m'; N=$'\e[0m'; else G=; Y=; R=; B=; N=; fi
info() { printf '%s[INFO]%s %s\n' "$G" "$N" "$*"; }
warn() { printf '%s[WARN]%s %s\n' "$Y" "$N" "$*"; }
error() { printf '%s[ERROR]%s %s\n' "$R" "$N" "$*" >&2; }
step() { printf '\n%s==> %s%s\n' "$B" "$*" "$N"; }
usage() { sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

while [[ $# -gt 0 ]]; do
    case "$1" in
        --overlay) overlay="$2"; shift 2 ;;
        --context) context=(--context "$2"); shift 2 ;;
        --secrets) secrets_file="$2"; shift 2 ;;
        --generate-secrets) generate=1; shift ;;
        --dry-run) dry_run=server; shift ;;
        --dry-run=server|--dry-run=client) dry_run="${1#--dry-run=}"; shift ;;
        --timeout) timeout="$2"; shift 2 ;;
        -h|--help) usage 0 ;;
        *) error "unknown argument: $1"; usage 64 ;;
    esac
done

dir="$ROOT/deploy/k8s/overlays/$overlay"
[[ -f "$dir/kustomization.yaml" ]] || { error "no overlay $overlay in deploy/k8s/overlays"; exit 64; }
command -v kubectl >/dev/null || { error "kubectl not found"; exit 69; }
k() { kubectl "${context[@]}" "$@"; }

work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT

step "render overlay $overlay"
kubectl kustomize "$dir" > "$work/all.yaml"
# Split the rendered stream into one file per phase, by kind and component.
awk -v out="$work" '
    function flush() {
        if (doc == "") return
        phase = "3-base"
        if (kind == "Namespace") phase = "1-namespace"
        else if (kind == "StatefulSet") phase = "4-data"
        else if (kind == "Job") phase = "5-setup"
        else if (kind ~ /^(Deployment|HorizontalPodAutoscaler|PodDisruptionBudget|CronJob)$/) phase = "6-apps"
        else if (kind == "Ingress") phase = "7-ingress"
        printf "---\n%s", doc >> (out "/" phase ".yaml")
        names[phase] = names[phase] sprintf("  %s/%s\n", kind, name)
        doc = ""; kind = ""; name = ""; inmeta = 0
    }
    /^---/ { flush(); next }
    /^kind: / { kind = $2 }
    /^metadata:/ { inmeta = 1 }
    inmeta && /^  name: / && name == "" { name = $2 }
    { doc = doc $0 "\n" }
    END { flush(); for (p in names) printf "%s", names[p] > (out "/" p ".list") }
' "$work/all.yaml"
namespace="$(awk '/^kind: Namespace/ {ns=1} ns && /^  name: / {print $2; exit}' "$work/all.yaml")"
info "namespace $namespace; $(grep -c '^kind:' "$work/all.yaml") objects"

if [[ "$dry_run" == client ]]; then
    for list in "$work"/*.list; do
        step "phase $(basename "$list" .list)"; cat "$list"
    done
    info "client dry run: nothing applied"
    exit 0
fi

step "cluster"
if ! k cluster-info >/dev/null 2>&1; then
    error "no cluster reachable (kubectl ${context[*]} cluster-info); use --dry-run=client to render only"
    exit 69
fi
info "$(k config current-context 2>/dev/null || echo in-cluster) is reachable"
apply_args=(); [[ -n "$dry_run" ]] && apply_args=(--dry-run=server) && warn "server-side dry run: nothing is persisted"

apply_phase() {
    local file="$work/$1.yaml"
    [[ -f "$file" ]] || return 0
    step "apply $1"
    k apply "${apply_args[@]}" -f "$file"
}

apply_phase 1-namespace

step "secret aidoc-secrets"
if [[ -n "$secrets_file" ]]; then
    k apply "${apply_args[@]}" -n "$namespace" -f "$secrets_file"
elif k -n "$namespace" get secret aidoc-secrets >/dev/null 2>&1; then
    info "aidoc-secrets exists: kept"
elif [[ $generate == 1 ]]; then
    command -v openssl >/dev/null || { error "openssl is needed for --generate-secrets"; exit 69; }
    rand() { openssl rand -hex "$1"; }
    pg="$(rand 24)"
    k -n "$namespace" create secret generic aidoc-secrets "${apply_args[@]}" \
        --from-literal=postgres-password="$pg" \
        --from-literal=database-url="postgres://aidoc:$pg@aidoc-postgres:5432/aidoc" \
        --from-literal=minio-root-user="aidoc-root-$(rand 4)" \
        --from-literal=minio-root-password="$(rand 24)" \
        --from-literal=storage-access-key="aidoc-$(rand 6)" \
        --from-literal=storage-secret-key="$(rand 24)" \
        --from-literal=jwt-secret="$(rand 32)" \
        --from-literal=admin-password="$(rand 12)"
    info "generated; admin password: kubectl -n $namespace get secret aidoc-secrets -o jsonpath='{.data.admin-password}' | base64 -d"
else
    error "Secret aidoc-secrets is missing in $namespace: pass --secrets FILE (from deploy/k8s/secret.example.yaml) or --generate-secrets"
    exit 1
fi

apply_phase 3-base
apply_phase 4-data
if [[ -z "$dry_run" && -f "$work/4-data.list" ]]; then
    step "wait for PostgreSQL and MinIO"
    while read -r obj; do
        k -n "$namespace" rollout status "$obj" --timeout "$timeout"
    done < <(awk '{print $1}' "$work/4-data.list")
fi

if [[ -f "$work/5-setup.yaml" ]]; then
    # Jobs are immutable: replace the previous run.
    while read -r obj; do
        [[ -z "$dry_run" ]] && k -n "$namespace" delete "$obj" --ignore-not-found --wait=true >/dev/null
    done < <(awk '{print $1}' "$work/5-setup.list")
    apply_phase 5-setup
    if [[ -z "$dry_run" ]]; then
        step "wait for bucket setup and migrations"
        while read -r obj; do
            if ! k -n "$namespace" wait --for=condition=complete "$obj" --timeout "$timeout"; then
                error "$obj did not complete; logs:"
                k -n "$namespace" logs "$obj" --all-containers --tail 50 || true
                exit 1
            fi
        done < <(awk '{print $1}' "$work/5-setup.list")
    fi
fi

apply_phase 6-apps
if [[ -z "$dry_run" ]]; then
    step "wait for rollouts"
    while read -r obj; do
        if ! k -n "$namespace" rollout status "$obj" --timeout "$timeout"; then
            error "$obj did not roll out; recent events:"
            k -n "$namespace" get events --sort-by=.lastTimestamp | tail -n 20 || true
            exit 1
        fi
    done < <(awk '$1 ~ /^Deployment\// {print $1}' "$work/6-apps.list")
fi
apply_phase 7-ingress

step "done"
[[ -z "$dry_run" ]] && k -n "$namespace" get pods -o wide
info "overlay $overlay deployed to namespace $namespace${dry_run:+ (dry run)}"
