#!/usr/bin/env bash
# Runs every benchmark project under bench/ in Release and lets each print its own figures.
set -euo pipefail
cd "$(dirname "$0")/.."

shopt -s nullglob
projects=(bench/*/*.csproj)
if [ ${#projects[@]} -eq 0 ]; then
  echo "No benchmarks yet: bench/ gets the runtime, workflow, inventory and order-intake benchmarks with their issues."
  exit 0
fi

for project in "${projects[@]}"; do
  echo "== $(basename "$(dirname "$project")")"
  dotnet run -c Release --project "$project"
done
