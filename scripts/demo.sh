#!/usr/bin/env bash
# `make demo`: starts the local stack (as `make run`, without the gentle shopper) on a fresh data directory, runs the
# scripted day of tools/demo against it — normal trade, a 4x promotion spike with an ERP outage in the middle — prints
# its table and stops everything. The stack's own log goes to .data/demo.log.
set -euo pipefail
cd "$(dirname "$0")/.."

dotnet build Storebridge.slnx -nologo -v quiet
. scripts/local-env.sh
rm -rf .data/demo
STOREBRIDGE_SKIP_BUILD=1 STOREBRIDGE_NO_SHOPPER=1 STOREBRIDGE_DATA_DIR=.data/demo scripts/run-local.sh > .data/demo.log 2>&1 &
stack=$!
trap 'kill -TERM $stack 2>/dev/null || true; wait $stack 2>/dev/null || true' EXIT

DEMO_API_KEY=$(secret 'Storebridge--Auth--ApiKeys--console') \
DEMO_ERP_API_KEY=$ErpSimulator__ApiKey DEMO_ERP_API_SECRET=$ErpSimulator__ApiSecret \
  dotnet artifacts/bin/Storebridge.Demo/debug/Storebridge.Demo.dll
