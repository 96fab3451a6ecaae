#!/usr/bin/env bash
# `make run`: builds, writes local credentials once, and starts every app of dapr.yaml — the sandbox ERP and store,
# the five services and a gentle shopper stream — each with its own local Dapr runtime (tools/sidecar).
set -euo pipefail
cd "$(dirname "$0")/.."

[ -n "${STOREBRIDGE_SKIP_BUILD:-}" ] || dotnet build Storebridge.slnx -nologo -v quiet

. scripts/local-env.sh

cat <<INFO
Storebridge is starting (Ctrl-C stops everything):
  store simulator   http://127.0.0.1:8001/   (admin: /__admin/state, REST: /wp-json/wc/v3/)
  ERP simulator     http://127.0.0.1:8002/   (admin: /__admin/...)
  orders            http://127.0.0.1:5101/   (webhooks: /webhooks/woocommerce/sandbox, /healthz, /readyz)
  inventory         http://127.0.0.1:5102/   catalog :5103   finance :5104   returns :5105
  gRPC APIs         through the runtimes (dapr-app-id), or directly on ports 6101-6105 (HTTP/2)
  API key           in $secrets (Storebridge--Auth--ApiKeys--console), header X-Api-Key
  data              .data/ (make clean removes it)
INFO

exec dotnet artifacts/bin/Storebridge.Sidecar/debug/Storebridge.Sidecar.dll run -f dapr.yaml --data-dir "${STOREBRIDGE_DATA_DIR:-.data}"
