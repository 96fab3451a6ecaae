# Sourced by run-local.sh and demo.sh: writes random local credentials once (.data/local-secrets.json, read by the
# apps through the `localsecrets` Dapr secret store) and exports what the simulators and tools need of them.
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
