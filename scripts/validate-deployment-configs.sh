#!/usr/bin/env bash
# Validate every deployment artefact of aidoc with the real tools, offline:
# Dockerfile, Compose, nginx edge, kustomize overlays, Helm chart,
# Prometheus/Grafana/OTel config, metric names, scripts, default passwords.
#
#   scripts/validate-deployment-configs.sh [--keep]   (--keep: keep the work dir)
#
# Prints one ✓/✗ line per check and a summary; exits 1 if any check failed.
# Tools: scripts/install-tools.sh installs all of them.
# Environment: K8S_VERSIONS (default "1.30.0 1.37.0") — schema versions;
# KUBECTL_VALIDATE_VERSION (default 1.30) — kubectl-validate's built-in set.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 2
K8S_VERSIONS="${K8S_VERSIONS:-1.30.0 1.37.0}"
KUBECTL_VALIDATE_VERSION="${KUBECTL_VALIDATE_VERSION:-1.30}"
if command -v go >/dev/null 2>&1; then PATH="$PATH:$(go env GOPATH)/bin"; fi
PATH="$PATH:$HOME/.local/bin"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/aidoc-validate.XXXXXX")"
chmod 0755 "$WORK"
if [[ "${1:-}" == "--keep" ]]; then echo "work dir: $WORK"; else trap 'rm -rf "$WORK"' EXIT; fi

if [[ -t 1 ]]; then G=$'\e[32m'; R=$'\e[31m'; Y=$'\e[33m'; B=$'\e[1m'; N=$'\e[0m'; else G=; R=; Y=; B=; N=; fi
passed=0; failed=0; warned=0; failures=()

# check NAME CMD...: run CMD, print ✓ or ✗ with the tail of its output.
check() {
    local name="$1"; shift
    local log="$WORK/log.$((passed + failed))"
    if "$@" >"$log" 2>&1; then
        passed=$((passed + 1)); printf '%s✓%s %s\n' "$G" "$N" "$name"
    else
        failed=$((failed + 1)); failures+=("$name"); printf '%s✗ %s%s\n' "$R" "$name" "$N"
        tail -n 25 "$log" | sed 's/^/    /'
    fi
}
warn() { warned=$((warned + 1)); printf '%s⚠ %s%s\n' "$Y" "$*" "$N"; }
section() { printf '\n%s== %s%s\n' "$B" "$*" "$N"; }
have() { command -v "$1" >/dev/null 2>&1; }
# expect_fail CMD...: succeeds when CMD fails (negative tests).
expect_fail() { if "$@"; then echo "expected a failure, got success: $*"; return 1; fi; return 0; }
# render_to FILE CMD...: run CMD with its stdout in FILE.
render_to() { local out="$1"; shift; "$@" > "$out"; }

# ----------------------------------------------------------------- tools
section "tools"
missing=()
for tool in python3 helm kubernetes-validate check-jsonschema promtool shellcheck nginx; do
    have "$tool" || missing+=("$tool")
done
# kubectl's built-in kustomize, or the standalone kustomize binary.
if have kubectl; then KUSTOMIZE=(kubectl kustomize); elif have kustomize; then KUSTOMIZE=(kustomize build); else missing+=("kubectl|kustomize"); fi
if [[ ${#missing[@]} -gt 0 ]]; then
    printf '%s✗ missing tools: %s — run scripts/install-tools.sh%s\n' "$R" "${missing[*]}" "$N"
    exit 1
fi
printf '  helm %s | %s | kubernetes-validate %s | promtool %s | nginx %s | shellcheck %s\n' \
    "$(helm version --short 2>/dev/null)" \
    "${KUSTOMIZE[*]}" \
    "$(kubernetes-validate --version 2>/dev/null)" \
    "$(promtool --version 2>/dev/null | awk 'NR==1 {print $3}')" \
    "$(nginx -v 2>&1 | sed 's#.*/##')" \
    "$(shellcheck --version | awk '/^version/ {print $2}')"
HAVE_KUBECTL_VALIDATE=0
if have kubectl-validate; then HAVE_KUBECTL_VALIDATE=1; else warn "kubectl-validate not installed: second schema validator skipped"; fi
HAVE_DOCKERFILE_UTILS=0
if have dockerfile-utils; then HAVE_DOCKERFILE_UTILS=1; else warn "dockerfile-utils not installed: Dockerfile lint skipped"; fi
python3 -c 'import yaml' 2>/dev/null || { echo "python3 needs PyYAML (pip install pyyaml)"; exit 1; }

# Validate one rendered multi-document manifest file against every schema
# version; Prometheus Operator objects are split off and checked apart.
validate_manifests() {
    local file="$1" base
    base="$WORK/$(basename "$file" .yaml)"
    python3 - "$file" "$base" <<'PY' || return 1
import sys, yaml
src, base = sys.argv[1], sys.argv[2]
core, crds = [], []
for doc in yaml.safe_load_all(open(src)):
    if not doc:
        continue
    (crds if doc.get("apiVersion", "").startswith("monitoring.coreos.com/") else core).append(doc)
yaml.safe_dump_all(core, open(base + ".core.yaml", "w"), sort_keys=False)
yaml.safe_dump_all(crds, open(base + ".crds.yaml", "w"), sort_keys=False)
print(f"{len(core)} core objects, {len(crds)} Prometheus Operator objects")
PY
    local v
    for v in $K8S_VERSIONS; do
        kubernetes-validate --strict --quiet -k "$v" "$base.core.yaml" || return 1
        echo "kubernetes-validate --strict -k $v: ok"
    done
    if [[ $HAVE_KUBECTL_VALIDATE == 1 ]]; then
        kubectl-validate --version "$KUBECTL_VALIDATE_VERSION" "$base.core.yaml" || return 1
    fi
    check_crds "$base.crds.yaml" || return 1
    check_policy "$file"
}

# PrometheusRule groups through promtool; ServiceMonitor shape.
check_crds() {
    python3 - "$1" "$WORK" <<'PY' || return 1
import sys, yaml, subprocess
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
for i, d in enumerate(docs):
    kind = d["kind"]
    if kind == "PrometheusRule":
        path = f"{sys.argv[2]}/prometheusrule.{i}.yml"
        yaml.safe_dump({"groups": d["spec"]["groups"]}, open(path, "w"))
        subprocess.run(["promtool", "check", "rules", path], check=True)
    elif kind == "ServiceMonitor":
        eps = d["spec"]["endpoints"]
        assert eps and all(e.get("port") == "admin" for e in eps), "ServiceMonitor must scrape the admin port"
    else:
        raise SystemExit(f"no check for {kind}")
PY
}

# House rules on rendered manifests (restricted pod security, probes,
# resources, PDB per HPA, selectors that match, references that resolve).
check_policy() {
    python3 - "$1" <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
errors = []
by_kind = {}
for d in docs:
    by_kind.setdefault(d["kind"], []).append(d)
names = lambda kind: {d["metadata"]["name"] for d in by_kind.get(kind, [])}
SERVICES = {"gateway", "api", "parser", "indexer", "backup"}

def pod_of(d):
    spec = d["spec"]
    if d["kind"] == "Pod":
        return d["metadata"], spec
    if d["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]["metadata"], spec["template"]["spec"]

configmaps, secrets = names("ConfigMap"), names("Secret")
for d in docs:
    if d["kind"] not in ("Deployment", "StatefulSet", "Job", "CronJob", "Pod"):
        continue
    where = f'{d["kind"]}/{d["metadata"]["name"]}'
    meta, pod = pod_of(d)
    psc = pod.get("securityContext", {})
    if psc.get("runAsNonRoot") is not True:
        errors.append(f"{where}: pod securityContext.runAsNonRoot must be true")
    if psc.get("seccompProfile", {}).get("type") != "RuntimeDefault":
        errors.append(f"{where}: seccompProfile RuntimeDefault missing")
    if pod.get("automountServiceAccountToken") is not False:
        errors.append(f"{where}: automountServiceAccountToken must be false")
    for c in pod.get("initContainers", []) + pod["containers"]:
        cw = f'{where}/{c["name"]}'
        sc = c.get("securityContext", {})
        if sc.get("allowPrivilegeEscalation") is not False:
            errors.append(f"{cw}: allowPrivilegeEscalation must be false")
        if sc.get("readOnlyRootFilesystem") is not True:
            errors.append(f"{cw}: readOnlyRootFilesystem must be true")
        if "ALL" not in sc.get("capabilities", {}).get("drop", []):
            errors.append(f"{cw}: capabilities must drop ALL")
        res = c.get("resources", {})
        for part in ("requests", "limits"):
            if not {"cpu", "memory"} <= set(res.get(part, {})):
                errors.append(f"{cw}: resources.{part} needs cpu and memory")
        if c["image"].endswith(":latest") or ":" not in c["image"].rsplit("/", 1)[-1]:
            errors.append(f"{cw}: image {c['image']} has no pinned tag")
        for ef in c.get("envFrom", []):
            ref = ef.get("configMapRef", {}).get("name")
            if ref and ref not in configmaps:
                errors.append(f"{cw}: envFrom ConfigMap {ref} is not rendered")
    for v in pod.get("volumes", []):
        if "configMap" in v and v["configMap"]["name"] not in configmaps:
            errors.append(f'{where}: volume ConfigMap {v["configMap"]["name"]} is not rendered')
    comp = meta.get("labels", {}).get("app.kubernetes.io/component")
    if d["kind"] == "Deployment" and comp in SERVICES:
        c = pod["containers"][0]
        probes = {p: c.get(p, {}).get("httpGet", {}) for p in ("startupProbe", "livenessProbe", "readinessProbe")}
        if probes["readinessProbe"].get("path") != "/health/ready" or probes["livenessProbe"].get("path") != "/health/live":
            errors.append(f"{where}: readiness must probe /health/ready and liveness /health/live")
        if not all(p.get("port") == "admin" for p in probes.values()):
            errors.append(f"{where}: probes must use the admin port")
        if pod.get("terminationGracePeriodSeconds", 30) < 30:
            errors.append(f"{where}: terminationGracePeriodSeconds must be >= 30 (drain 20s)")
for sa in by_kind.get("ServiceAccount", []):
    if sa.get("automountServiceAccountToken") is not False:
        errors.append(f'ServiceAccount/{sa["metadata"]["name"]}: automountServiceAccountToken must be false')

# Selectors: every Service and PDB selects some pod template; each HPA
# targets a Deployment that also has a PDB.
templates = [pod_of(d)[0].get("labels", {}) for d in docs if d["kind"] in ("Deployment", "StatefulSet")]
def selects(sel):
    return any(all(t.get(k) == v for k, v in sel.items()) for t in templates)
for s in by_kind.get("Service", []):
    if not selects(s["spec"].get("selector", {})):
        errors.append(f'Service/{s["metadata"]["name"]}: selector matches no pod template')
pdb_selectors = [p["spec"]["selector"]["matchLabels"] for p in by_kind.get("PodDisruptionBudget", [])]
for p in pdb_selectors:
    if not selects(p):
        errors.append(f"PodDisruptionBudget selector {p} matches no pod template")
deployments = {d["metadata"]["name"]: d for d in by_kind.get("Deployment", [])}
for h in by_kind.get("HorizontalPodAutoscaler", []):
    target = h["spec"]["scaleTargetRef"]["name"]
    dep = deployments.get(target)
    if dep is None:
        errors.append(f"HPA {h['metadata']['name']}: no Deployment {target}")
        continue
    if "replicas" in dep["spec"]:
        errors.append(f"Deployment/{target}: drop spec.replicas when an HPA scales it")
    labels = dep["spec"]["template"]["metadata"]["labels"]
    if pdb_selectors and not any(all(labels.get(k) == v for k, v in p.items()) for p in pdb_selectors):
        errors.append(f"Deployment/{target}: autoscaled but no PodDisruptionBudget")
for ing in by_kind.get("Ingress", []):
    paths = {p["path"] for r in ing["spec"]["rules"] for p in r["http"]["paths"]}
    if not {"/", "/api", "/mcp", "/health"} <= paths:
        errors.append(f"Ingress/{ing['metadata']['name']}: needs paths /, /api, /mcp, /health (has {sorted(paths)})")
    svcs = {p["backend"]["service"]["name"] for r in ing["spec"]["rules"] for p in r["http"]["paths"]}
    if not svcs <= names("Service"):
        errors.append(f"Ingress/{ing['metadata']['name']}: backend Service missing")
nps = by_kind.get("NetworkPolicy", [])
if nps and not any(n["spec"]["podSelector"] in ({}, {"matchLabels": n["spec"]["podSelector"].get("matchLabels")})
                   and not n["spec"].get("ingress") and not n["spec"].get("egress")
                   and set(n["spec"].get("policyTypes", [])) == {"Ingress", "Egress"} for n in nps):
    errors.append("NetworkPolicies rendered without a default-deny policy")
print(f"{len(docs)} objects checked")
for e in errors:
    print("policy:", e)
sys.exit(1 if errors else 0)
PY
}

# ---------------------------------------------------------------- scripts
section "scripts (shellcheck)"
mapfile -t shell_scripts < <(
    { ls scripts/*.sh 2>/dev/null; ls deploy/nginx/*.sh compose/minio/*.sh deploy/k8s/base/minio/*.sh helm/aidoc/files/*.sh 2>/dev/null; } | sort -u)
for s in "${shell_scripts[@]}"; do
    check "shellcheck $s" shellcheck -x "$s"
done
sync_check() {
    local first="$1"; shift
    local f
    for f in "$@"; do cmp "$first" "$f" || { echo "$f differs from $first"; return 1; }; done
}
check "copies in sync: minio-setup.sh (compose, k8s, helm)" \
    sync_check compose/minio/minio-setup.sh deploy/k8s/base/minio/minio-setup.sh helm/aidoc/files/minio-setup.sh
check "copies in sync: postgres init SQL (compose, k8s)" \
    sync_check compose/postgres/init/01-extensions.sql deploy/k8s/base/postgres/01-extensions.sql

# ------------------------------------------------------------- Dockerfile
section "images (docker/Dockerfile)"
if [[ $HAVE_DOCKERFILE_UTILS == 1 ]]; then
    check "dockerfile-utils lint docker/Dockerfile" dockerfile-utils lint docker/Dockerfile
fi
dockerfile_contract() {
    python3 - <<'PY'
import sys
try:
    import dockerfile
except ImportError:
    sys.exit("python package 'dockerfile' missing (pip install dockerfile)")
cmds = dockerfile.parse_file("docker/Dockerfile")
stages, current, errors = {}, None, []
for c in cmds:
    if c.cmd == "FROM":
        current = c.value[2] if len(c.value) > 2 else c.value[0]
        stages[current] = {"from": c.value[0], "cmds": []}
    elif current:
        stages[current]["cmds"].append(c)
for name, st in stages.items():
    for c in st["cmds"]:
        for f in c.flags:
            if f.startswith("--from=") and f[7:] not in stages:
                errors.append(f"{name}: COPY --from={f[7:]} is not a stage")
    if st["from"] in stages and list(stages).index(st["from"]) > list(stages).index(name):
        errors.append(f"{name}: built FROM a later stage")
ports = {"gateway": {"8080", "9180"}, "api": {"50052", "9181"}, "parser": {"50051", "9182"},
         "indexer": {"50053", "9183"}, "backup": {"50054", "9184"}, "edge": {"8080"}}
def effective(name, cmd):
    seen = []
    while name in stages:
        seen += [c for c in stages[name]["cmds"] if c.cmd == cmd]
        name = stages[name]["from"]
    return seen
for svc, want in ports.items():
    if svc not in stages:
        errors.append(f"target {svc} missing"); continue
    users = effective(svc, "USER")
    if not users or users[0].value[0] != "10001:10001":
        errors.append(f"{svc}: must run as USER 10001:10001")
    exposed = {p for c in stages[svc]["cmds"] if c.cmd == "EXPOSE" for p in c.value}
    if exposed != want:
        errors.append(f"{svc}: EXPOSE {sorted(exposed)} != {sorted(want)}")
    hc = [c for c in stages[svc]["cmds"] if c.cmd == "HEALTHCHECK"]
    labels = " ".join(" ".join(c.value) for c in effective(svc, "LABEL"))
    for key in ("title", "version", "revision", "licenses", "source", "created"):
        if f"org.opencontainers.image.{key}" not in labels:
            errors.append(f"{svc}: OCI label org.opencontainers.image.{key} missing")
    if svc == "edge":
        continue
    binary = f"/usr/local/bin/aidoc-{svc}"
    if not hc or list(hc[0].value[:3]) != ["CMD", binary, "healthcheck"]:
        errors.append(f"{svc}: HEALTHCHECK must run `{binary} healthcheck`")
    ep = [c for c in stages[svc]["cmds"] if c.cmd == "ENTRYPOINT"]
    if not ep or list(ep[0].value) != [binary]:
        errors.append(f"{svc}: ENTRYPOINT must be {binary}")
    copies = [c for c in stages[svc]["cmds"] if c.cmd == "COPY" and "--from=builder" in c.flags]
    if not copies or copies[0].value[-1] != binary:
        errors.append(f"{svc}: must copy {binary} from the builder")
if "AIDOC_EMBEDDING__MODEL_DIR=/opt/aidoc/models" not in " ".join(" ".join(c.value) for c in effective("indexer", "ENV")).replace(" /opt", "=/opt").replace("==", "="):
    errors.append("indexer: ENV AIDOC_EMBEDDING__MODEL_DIR=/opt/aidoc/models missing")
web_runs = " ".join(" ".join(c.value) for c in stages.get("web", {}).get("cmds", []) if c.cmd == "RUN")
if "npm ci" not in web_runs or "npm run build" not in web_runs:
    errors.append("web: the stage must install with npm ci and build the UI with npm run build")
ui = [c for c in stages.get("edge", {}).get("cmds", []) if c.cmd == "COPY" and "--from=web" in c.flags]
if not ui or ui[0].value[0].rstrip("/") != "/web/dist" or ui[0].value[-1].rstrip("/") != "/usr/share/aidoc/web":
    errors.append("edge: must copy the built UI (/web/dist) to /usr/share/aidoc/web, the edge's web root")
if not any(c.cmd == "COPY" and "--from=pgclient" in c.flags for c in stages["backup"]["cmds"]):
    errors.append("backup: pg_dump/pg_restore 18 not copied in")
for c in cmds:
    if c.cmd == "ARG" and "=" in c.value[0] and c.value[0].split("=", 1)[1].endswith(":latest"):
        errors.append(f"ARG {c.value[0]}: pin a version, not :latest")
print(f"{len(stages)} stages: {', '.join(stages)}")
for e in errors:
    print("dockerfile:", e)
sys.exit(1 if errors else 0)
PY
}
check "Dockerfile contract (targets, uid 10001, HEALTHCHECK, ENTRYPOINT, ports, OCI labels, the UI in the edge)" dockerfile_contract
dockerignore_check() {
    local p
    for p in target .git node_modules; do grep -qE "(^|/)$p\$" .dockerignore || { echo ".dockerignore must exclude $p"; return 1; }; done
    for p in crates Cargo.toml Cargo.lock proto scripts deploy/nginx web; do
        if grep -qxE "/?$p/?" .dockerignore; then echo ".dockerignore excludes $p, which the build needs"; return 1; fi
    done
}
check ".dockerignore keeps the build context lean and complete" dockerignore_check

# ----------------------------------------------------------------- Compose
section "Docker Compose (compose/compose.yaml)"
check "compose-spec schema (check-jsonschema vendor.compose-spec)" \
    check-jsonschema --builtin-schema vendor.compose-spec compose/compose.yaml
compose_render() {
    # Interpolate like `docker compose config` would, with .env.example and
    # every empty secret filled in; also prove an empty secret is refused.
    python3 - "$WORK" <<'PY'
import os, re, sys, yaml
work = sys.argv[1]
env = {}
for line in open("compose/.env.example"):
    line = line.strip()
    if line and not line.startswith("#"):
        k, _, v = line.partition("=")
        env[k] = v
secrets = [k for k, v in env.items() if v == ""]
pattern = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")
def interpolate(text, values):
    missing = []
    def sub(m):
        name, op, arg = m.group(1), m.group(2), m.group(3)
        val = values.get(name)
        if op in (":?", "?") and (val is None or (op == ":?" and val == "")):
            missing.append(name); return ""
        if op in (":-",) and not val:
            return arg
        if op == "-" and val is None:
            return arg
        return val or ""
    return pattern.sub(sub, text.replace("$$", "\0")).replace("\0", "$"), missing
raw = open("compose/compose.yaml").read()
for m in pattern.finditer(raw):
    if m.group(1) in secrets and m.group(2) in (":-", "-"):
        sys.exit(f"secret {m.group(1)} has a default in compose.yaml: {m.group(0)}")
_, missing = interpolate(raw, env)
need = {"POSTGRES_PASSWORD", "MINIO_ROOT_PASSWORD", "AIDOC_AUTH__JWT_SECRET", "AIDOC_ADMIN_PASSWORD",
        "AIDOC_STORAGE__S3__SECRET_KEY", "GRAFANA_ADMIN_PASSWORD"}
if not need <= set(missing):
    sys.exit(f"these secrets have working defaults: {sorted(need - set(missing))}")
filled = dict(env, **{k: f"test-{k.lower()}" for k in secrets})
text, missing = interpolate(raw, filled)
if missing:
    sys.exit(f"unset after filling .env.example: {missing}")
open(f"{work}/compose.rendered.yaml", "w").write(text)
print(f"{len(secrets)} secrets required by .env.example: {', '.join(secrets)}")
PY
}
check "compose refuses to start without secrets; .env.example covers every variable" compose_render
check "compose-spec schema of the interpolated file" \
    check-jsonschema --builtin-schema vendor.compose-spec "$WORK/compose.rendered.yaml"
compose_semantics() {
    python3 - "$WORK/compose.rendered.yaml" <<'PY'
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
raw = yaml.safe_load(open("compose/compose.yaml"))
s, errors = c["services"], []
want = {"edge", "gateway-1", "gateway-2", "api", "parser", "indexer", "backup", "postgres", "minio",
        "minio-setup", "migrate-api", "migrate-indexer", "prometheus", "grafana", "otel-collector"}
if not want <= set(s):
    errors.append(f"services missing: {sorted(want - set(s))}")
for name, svc in s.items():
    for dep, cond in (svc.get("depends_on") or {}).items():
        if dep not in s:
            errors.append(f"{name}: depends on unknown {dep}")
        if cond.get("condition") not in ("service_healthy", "service_completed_successfully", "service_started"):
            errors.append(f"{name}: depends_on {dep} needs a condition")
        if cond.get("condition") == "service_healthy" and "healthcheck" not in s.get(dep, {}):
            errors.append(f"{name}: waits for {dep} healthy, but {dep} has no healthcheck")
    for port in svc.get("ports", []):
        if name != "edge" and not str(port).startswith("127.0.0.1:"):
            errors.append(f"{name}: port {port} must bind 127.0.0.1 (only the edge is public)")
    if "${" not in raw["services"][name].get("image", "${"):
        errors.append(f"{name}: image version is not overridable")
    for vol in svc.get("volumes", []):
        src = vol.split(":")[0] if isinstance(vol, str) else vol.get("source", "")
        if src and not src.startswith((".", "/")) and src not in (c.get("volumes") or {}):
            errors.append(f"{name}: named volume {src} not declared")
    if svc.get("networks", ["aidoc"]) != ["aidoc"]:
        errors.append(f"{name}: must join the one network aidoc")
for name in ("edge", "gateway-1", "gateway-2", "api", "parser", "indexer", "backup"):
    svc = s.get(name, {})
    if "healthcheck" not in svc or not svc.get("read_only"):
        errors.append(f"{name}: needs a healthcheck and read_only: true")
    if svc.get("cap_drop") != ["ALL"]:
        errors.append(f"{name}: must drop all capabilities")
for name in ("api", "indexer"):
    if s[name]["depends_on"].get(f"migrate-{name}", {}).get("condition") != "service_completed_successfully":
        errors.append(f"{name}: must wait for migrate-{name} to complete")
for name in ("prometheus", "grafana", "otel-collector"):
    if s.get(name, {}).get("profiles") != ["monitoring"]:
        errors.append(f"{name}: belongs to profile monitoring")
print(f"{len(s)} services checked")
for e in errors:
    print("compose:", e)
sys.exit(1 if errors else 0)
PY
}
check "compose semantics (depends_on, healthchecks, 127.0.0.1, volumes, profile, hardening)" compose_semantics

# -------------------------------------------------------------- nginx edge
section "nginx edge (deploy/nginx)"
nginx_test() {
    # $1: directory holding server.conf and gateways.conf of one environment.
    local env_dir="$1" out
    out="$WORK/nginx-$(basename "$(dirname "$env_dir")")-$(basename "$env_dir")"
    deploy/nginx/render.sh "$out/conf" --listen 127.0.0.1:18080 --root "$out/web" \
        --gateway 127.0.0.1:18081 --gateway 127.0.0.1:18082 || return 1
    # Keep the environment's own server.conf, with names that resolve here.
    grep -v '^#' "$env_dir/server.conf" | sed 's/^listen .*/listen 127.0.0.1:18080;/' > "$out/conf/env/server.conf"
    sed -E 's/server [^ :]+:/server 127.0.0.1:/' "$env_dir/gateways.conf" > "$out/conf/env/gateways.conf"
    nginx -t -p "$out/" -c "$out/conf/nginx.conf" -e "$out/error.log"
}
check "nginx -t: Compose environment (deploy/nginx/env)" nginx_test deploy/nginx/env
check "nginx -t: Kubernetes environment (deploy/k8s/base/edge)" nginx_test deploy/k8s/base/edge
nginx_limits() {
    local limit
    limit="$(awk '/location \/api\/v1\/documents/ {f=1} f && /client_max_body_size/ {gsub(/[;m]/, "", $2); print $2; exit}' deploy/nginx/aidoc.conf)"
    [[ "$limit" -ge 100 ]] || { echo "upload location allows ${limit}m, below the 100 MiB upload limit"; return 1; }
    grep -q 'AIDOC_GATEWAY__UPLOAD_LIMIT=100MiB' compose/.env.example || { echo ".env.example upload limit changed: update nginx"; return 1; }
    grep -q "proxy-body-size: \"${limit}m\"" deploy/k8s/base/ingress.yaml helm/aidoc/values.yaml || { echo "Ingress body size differs from nginx (${limit}m)"; return 1; }
    grep -q 'proxy_request_buffering off' deploy/nginx/aidoc.conf && grep -q 'proxy_buffering off' deploy/nginx/aidoc.conf
}
check "upload limit agrees: nginx, .env.example, Ingress annotations" nginx_limits

# -------------------------------------------------------------- Kubernetes
section "Kubernetes (deploy/k8s: kustomize overlays)"
validators="kubernetes-validate ${K8S_VERSIONS// /, }"
[[ $HAVE_KUBECTL_VALIDATE == 1 ]] && validators+=", kubectl-validate $KUBECTL_VALIDATE_VERSION"
for overlay in deploy/k8s/overlays/*/; do
    name="$(basename "$overlay")"
    rendered="$WORK/kustomize-$name.yaml"
    check "${KUSTOMIZE[*]} overlays/$name" render_to "$rendered" "${KUSTOMIZE[@]}" "$overlay"
    check "schemas ($validators) + policy: overlays/$name" validate_manifests "$rendered"
done
check "Secret template deploy/k8s/secret.example.yaml" validate_manifests deploy/k8s/secret.example.yaml

# ------------------------------------------------------------------- Helm
section "Helm (helm/aidoc)"
CHART=helm/aidoc
check "values.schema.json is a valid JSON Schema" check-jsonschema --check-metaschema "$CHART/values.schema.json"
for values in default "$CHART"/ci/*-values.yaml; do
    label="$(basename "$values" -values.yaml)"
    args=(); [[ "$values" != default ]] && args=(-f "$values")
    check "helm lint --strict ($label values)" helm lint --strict "$CHART" --kube-version 1.30.0 "${args[@]}"
    for v in $K8S_VERSIONS; do
        rendered="$WORK/helm-$label-$v.yaml"
        check "helm template ($label values, Kubernetes $v)" \
            render_to "$rendered" helm template aidoc "$CHART" --namespace aidoc --kube-version "$v" "${args[@]}"
    done
    check "schemas ($validators) + policy: helm template ($label values)" validate_manifests "$WORK/helm-$label-${K8S_VERSIONS##* }.yaml"
done
check "helm rejects a wrong type (schema): gateway.replicaCount=two" \
    expect_fail helm template aidoc "$CHART" --kube-version 1.30.0 --set gateway.replicaCount=two
check "helm rejects conflicting values (NOTES/validate): both PostgreSQL sources" \
    expect_fail helm template aidoc "$CHART" --kube-version 1.30.0 --set database.external.enabled=true
check "helm rejects a scaled backup singleton" \
    expect_fail helm template aidoc "$CHART" --kube-version 1.30.0 --set backup.replicaCount=2
helm_readme() {
    python3 - <<'PY'
import sys, yaml
values = yaml.safe_load(open("helm/aidoc/values.yaml"))
readme = open("helm/aidoc/README.md").read()
COMPONENTS = {"edge", "gateway", "api", "parser", "indexer", "backup"}
missing = []
def walk(node, path):
    if isinstance(node, dict) and node and not path.endswith(("annotations", "labels", "env", "podLabels", "podAnnotations", "nodeSelector", "affinity", "resources", "behavior", "requests", "limits")):
        for k, v in node.items():
            walk(v, f"{path}.{k}" if path else k)
    else:
        parts = path.split(".")
        generic = ".".join(["<component>"] + parts[1:])
        if f"`{path}`" not in readme and not (parts[0] in COMPONENTS and f"`{generic}`" in readme):
            missing.append(path)
walk(values, "")
for m in missing:
    print("README.md does not document", m)
sys.exit(1 if missing else 0)
PY
}
check "helm/aidoc/README.md documents every value" helm_readme
chart_copies() {
    cmp deploy/prometheus/alerts.yml helm/aidoc/files/alerts.yml && diff -r deploy/grafana/dashboards helm/aidoc/files/dashboards
}
check "chart copies in sync: alerts and dashboards" chart_copies

# -------------------------------------------------------------- monitoring
section "monitoring (deploy/prometheus, deploy/grafana, deploy/otel)"
check "promtool check config deploy/prometheus/prometheus.yml" promtool check config deploy/prometheus/prometheus.yml
check "promtool check rules deploy/prometheus/alerts.yml" promtool check rules deploy/prometheus/alerts.yml
check "promtool test rules deploy/prometheus/tests/alerts.test.yml" promtool test rules deploy/prometheus/tests/alerts.test.yml
alerts_tested() {
    python3 - <<'PY'
import sys, yaml
rules = yaml.safe_load(open("deploy/prometheus/alerts.yml"))
alerts = {r["alert"] for g in rules["groups"] for r in g["rules"] if "alert" in r}
tests = yaml.safe_load(open("deploy/prometheus/tests/alerts.test.yml"))
fired = {t["alertname"] for g in tests["tests"] for t in g.get("alert_rule_test", []) if t.get("exp_alerts")}
missing = sorted(alerts - fired)
print(f"{len(alerts)} alerts, {len(fired)} shown to fire")
if missing:
    print("alerts without a firing unit test:", ", ".join(missing)); sys.exit(1)
PY
}
check "every alert has a unit test that makes it fire" alerts_tested
grafana_check() {
    python3 - "$WORK" <<'PY'
import glob, json, re, subprocess, sys, yaml
work, errors, uids, rules = sys.argv[1], [], set(), []
ds = yaml.safe_load(open("deploy/grafana/provisioning/datasources/prometheus.yml"))["datasources"]
ds_uids = {d["uid"] for d in ds}
for path in sorted(glob.glob("deploy/grafana/dashboards/*.json")):
    d = json.load(open(path))
    if d["uid"] in uids:
        errors.append(f"{path}: duplicate uid {d['uid']}")
    uids.add(d["uid"])
    for p in d["panels"]:
        for t in p.get("targets", []):
            uid = t.get("datasource", {}).get("uid", "")
            if uid not in ds_uids and uid != "${datasource}":
                errors.append(f"{path}: panel {p['title']!r} uses unknown datasource {uid}")
            expr = re.sub(r"\$__(rate_interval|interval|range)", "5m", t["expr"])
            expr = re.sub(r"\$\{?\w+\}?", ".*", expr)
            rules.append({"record": f"dashboard:{len(rules)}", "expr": expr})
yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}, open(f"{work}/dashboard-queries.yml", "w"))
r = subprocess.run(["promtool", "check", "rules", f"{work}/dashboard-queries.yml"], capture_output=True, text=True)
if r.returncode:
    errors.append("a dashboard query does not parse:\n" + r.stdout + r.stderr)
want = {"aidoc-overview", "aidoc-api-performance", "aidoc-resources", "aidoc-ingestion", "aidoc-business"}
if not want <= uids:
    errors.append(f"dashboards missing: {sorted(want - uids)}")
print(f"{len(uids)} dashboards, {len(rules)} queries parsed by promtool")
for e in errors:
    print("grafana:", e)
sys.exit(1 if errors else 0)
PY
}
check "Grafana dashboards: JSON, unique uids, data sources, every query parses (promtool)" grafana_check
otel_check() {
    python3 - <<'PY'
import sys, yaml
c = yaml.safe_load(open("deploy/otel/collector.yaml"))
errors = []
for name, p in c["service"]["pipelines"].items():
    for kind in ("receivers", "processors", "exporters"):
        for comp in p.get(kind, []):
            if comp not in (c.get(kind) or {}):
                errors.append(f"pipeline {name}: {kind[:-1]} {comp} is not defined")
if c["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"] != "0.0.0.0:4317":
    errors.append("OTLP gRPC receiver must listen on 0.0.0.0:4317")
for e in errors:
    print("otel:", e)
sys.exit(1 if errors else 0)
PY
}
check "OpenTelemetry collector config: pipelines use defined components" otel_check

# ------------------------------------------------------------------ metrics
section "metrics named in rules and dashboards are exported"
metrics_exported() {
    python3 - <<'PY'
import glob, json, os, re, sys, yaml
declared = [l.strip() for l in open("deploy/metrics.txt") if l.strip() and not l.startswith("#")]
external = {"up"}                    # Prometheus' own series
external |= {"kubelet_volume_stats_available_bytes", "kubelet_volume_stats_capacity_bytes"}  # kubelet (Kubernetes only)
process = {m for m in declared if m.startswith("process_")}
sources = sorted(glob.glob("crates/*/src/metrics.rs"))
literals = set()
for path in sources:
    literals |= set(re.findall(r'"([a-zA-Z_:][a-zA-Z0-9_:]*)"', open(path).read()))
if sources:
    exported, origin = literals | process, "crates/*/src/metrics.rs"
else:
    exported, origin = set(declared), "deploy/metrics.txt (no crates/*/src/metrics.rs yet)"
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset", "inf", "nan", "le"}
def names(expr):
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)                      # strings
    expr = re.sub(r"\{[^}]*\}", "", expr)                                 # label matchers
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    expr = re.sub(r"\[[^\]]*\]", "", expr)                                # ranges, subqueries
    expr = re.sub(r"\$\w+", "", expr)
    found = set()
    for m in re.finditer(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?", expr):
        if m.group(2) or m.group(1) in KEYWORDS:
            continue
        found.add(re.sub(r"_(bucket|sum|count)$", "", m.group(1)))
    return found
used = {}
rule_files = [f for f in glob.glob("deploy/prometheus/*.yml") + ["helm/aidoc/files/alerts.yml"]
              if "groups" in (yaml.safe_load(open(f)) or {})]
for f in rule_files:
    for g in yaml.safe_load(open(f))["groups"]:
        for r in g["rules"]:
            for n in names(r["expr"]):
                used.setdefault(n, set()).add(f)
for f in glob.glob("deploy/grafana/dashboards/*.json") + glob.glob("helm/aidoc/files/dashboards/*.json"):
    d = json.load(open(f))
    queries = [t["expr"] for p in d["panels"] for t in p.get("targets", [])]
    queries += [v["query"]["query"] for v in d.get("templating", {}).get("list", []) if isinstance(v.get("query"), dict)]
    for q in queries:
        for n in names(re.sub(r"label_values\(([^,)]*).*", r"\1", q)):
            used.setdefault(n, set()).add(f)
unexported = sorted(n for n in used if n not in exported and n not in external)
undeclared = [n for n in declared if n not in process and n not in literals] if sources else []
print(f"{len(used)} metric names used in rules and dashboards; checked against {origin}")
for n in unexported:
    print(f"metrics: not exported: {n} (used in {', '.join(sorted(used[n]))})")
if undeclared:
    print(f"metrics: deploy/metrics.txt lists {len(undeclared)} names no crates/*/src/metrics.rs declares: {', '.join(undeclared)}")
sys.exit(1 if unexported or undeclared else 0)
PY
}
check "every metric in alert rules and dashboards is exported by a service" metrics_exported

# --------------------------------------------------- default-password scan
section "default passwords in production configs (warnings)"
password_scan() {
    local files=(compose/compose.yaml compose/.env.example deploy/k8s/base/*.yaml deploy/k8s/overlays/prod*/*.yaml
                 deploy/k8s/secret.example.yaml helm/aidoc/values.yaml helm/aidoc/ci/prod-values.yaml)
    grep -nHiE '(pass(word)?|secret|token|_key|root_user)[^:=]*[:=][[:space:]]*"?(admin|password|changeme|change-me|secret|123456|postgres|minioadmin|aidoc|letmein|default)"?[[:space:]]*$' \
        "${files[@]}" 2>/dev/null | grep -vE 'secretName|existingSecret|secretKeyRef|key: ' || true
    # Compose variables for credentials must not fall back to a value.
    grep -nHE '\$\{[A-Z_]*(PASSWORD|SECRET|_KEY|TOKEN|ROOT_USER)[A-Z_]*:?-[^}]+\}' compose/compose.yaml || true
}
hits="$(password_scan)"
if [[ -n "$hits" ]]; then
    while IFS= read -r line; do warn "possible default credential: $line"; done <<< "$hits"
else
    printf '%s✓%s no default passwords in compose, k8s base/prod overlays, Helm values\n' "$G" "$N"
fi

# ----------------------------------------------------------------- summary
printf '\n'
if [[ $failed -gt 0 ]]; then
    printf '%sfailed:%s\n' "$R" "$N"; printf '  - %s\n' "${failures[@]}"
fi
[[ $warned -gt 0 ]] && printf '%s%d warning(s) above%s\n' "$Y" "$warned" "$N"
printf '%s%d passed, %d failed%s\n' "$B" "$passed" "$failed" "$N"
[[ $failed -eq 0 ]]
