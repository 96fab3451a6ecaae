#!/usr/bin/env bash
# `make run`: builds, writes local credentials once, and starts every app of dapr.yaml — the sandbox ERP and store,
# the five services and a gentle shopper stream — each with its own local Dapr runtime (tools/sidecar).
set -euo pipefail
cd "$(dirname "$0")/.."

dotnet build Storebridge.slnx -nologo -v quiet

mkdir -p .data
secrets=.data/local-secrets.json
random() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
if [ ! -f "$secrets" ]; then
  umask 077
  cat > "$secrets" <<JSON
{
  "Storebridge--Auth--ApiKeys--console": "$(random)",
  "WooCommerce--Stores--sandbox--ConsumerKey": "ck_$(random)",
  "WooCommerce--Stores--sandbox--ConsumerSecret": "cs_$(random)",
  "WooCommerce--Stores--sandbox--WebhookSecret": "$(random)",
  "Storebridge--Erp--ApiKey": "$(random)",
  "Storebridge--Erp--ApiSecret": "$(random)",
  "APP_API_TOKEN": "$(random)"
}
JSON
fi
secret() { sed -n "s/.*\"$1\": \"\\([^\"]*\\)\".*/\\1/p" "$secrets"; }

# The simulators play the other side of the same credentials.
export STORE_ConsumerKey=$(secret 'WooCommerce--Stores--sandbox--ConsumerKey')
export STORE_ConsumerSecret=$(secret 'WooCommerce--Stores--sandbox--ConsumerSecret')
export STORE_WebhookSecret=$(secret 'WooCommerce--Stores--sandbox--WebhookSecret')
export ErpSimulator__ApiKey=$(secret 'Storebridge--Erp--ApiKey')
export ErpSimulator__ApiSecret=$(secret 'Storebridge--Erp--ApiSecret')
export SHOPPER_ConsumerKey=$STORE_ConsumerKey SHOPPER_ConsumerSecret=$STORE_ConsumerSecret
# The runtime presents this token on every call to an app, and the apps accept nothing else from it.
export APP_API_TOKEN=$(secret 'APP_API_TOKEN')

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

exec dotnet artifacts/bin/Storebridge.Sidecar/debug/Storebridge.Sidecar.dll run -f dapr.yaml
