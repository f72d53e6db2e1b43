#!/usr/bin/env bash
# Render a runnable copy of the aidoc edge config for another environment.
#
#   deploy/nginx/render.sh OUT_DIR [--listen ADDR] [--root DIR]
#       [--gateway HOST:PORT]... [--max-fails N] [--fail-timeout DURATION]
#
# Copies the static files and writes OUT_DIR/env/{server,gateways}.conf.
# Without --gateway the Compose addresses (gateway-1/gateway-2) are kept.
# Then run:  nginx -p PREFIX/ -c OUT_DIR/nginx.conf -e stderr -g 'daemon off;'
# (or `nginx -t ...` to only check it).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
usage() { sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 64; }

[[ $# -ge 1 ]] || usage
out="$1"; shift
listen="8080"
root="/usr/share/aidoc/web"
max_fails="3"
fail_timeout="10s"
gateways=()

while [[ $# -gt 0 ]]; do
    case "$1" in
        --listen) listen="$2"; shift 2 ;;
        --root) root="$2"; shift 2 ;;
        --gateway) gateways+=("$2"); shift 2 ;;
        --max-fails) max_fails="$2"; shift 2 ;;
        --fail-timeout) fail_timeout="$2"; shift 2 ;;
        -h|--help) usage ;;
        *) echo "render.sh: unknown argument: $1" >&2; usage ;;
    esac
done

mkdir -p "$out/env"
cp "$here/nginx.conf" "$here/aidoc.conf" "$here/headers.conf" "$here/csp.conf" "$out/"

{
    echo "# rendered by deploy/nginx/render.sh"
    echo "listen ${listen};"
    echo "root ${root};"
} > "$out/env/server.conf"

if [[ ${#gateways[@]} -eq 0 ]]; then
    cp "$here/env/gateways.conf" "$out/env/gateways.conf"
else
    {
        echo "# rendered by deploy/nginx/render.sh"
        for g in "${gateways[@]}"; do
            echo "server ${g} max_fails=${max_fails} fail_timeout=${fail_timeout};"
        done
    } > "$out/env/gateways.conf"
fi
