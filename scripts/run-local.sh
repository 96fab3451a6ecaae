#!/usr/bin/env bash
# `make run`: the local Dapr-compatible runtime starts every app in dapr.yaml with its own runtime.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f tools/sidecar/Storebridge.Sidecar.csproj ]; then
  echo "make run needs the local runtime (tools/sidecar, issue 3), which is not in this checkout yet." >&2
  echo "With the Dapr CLI installed, 'dapr run -f dapr.yaml' runs the same apps on the real runtime." >&2
  exit 1
fi

dotnet build Storebridge.slnx -nologo -v quiet
exec dotnet artifacts/bin/Storebridge.Sidecar/debug/Storebridge.Sidecar.dll run -f dapr.yaml
