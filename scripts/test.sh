#!/usr/bin/env bash
# Builds the solution once, runs every test project, and ends with one closing line:
#   Tests: N passed, N failed, N skipped
set -uo pipefail
cd "$(dirname "$0")/.."

log=$(mktemp)
trap 'rm -f "$log"' EXIT

dotnet build Storebridge.slnx -c Debug -nologo -v quiet
build=$?
if [ $build -ne 0 ]; then
  echo "Tests: 0 passed, 1 failed (the build failed)"
  exit $build
fi

# One test assembly at a time (-m:1): they start real servers on loopback and would contend for ports and CPU.
# A hung test host is dumped and killed rather than eating CI's time.
dotnet test Storebridge.slnx --no-build -nologo -m:1 --blame-hang-timeout 10m "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# VSTest prints one summary per test assembly: "Passed!  - Failed: 0, Passed: 12, Skipped: 0, Total: 12, ...".
read -r passed failed skipped < <(awk '
  /(Passed|Failed)! +- +Failed: / {
    gsub(",", "");
    for (i = 1; i <= NF; i++) {
      if ($i == "Failed:") f += $(i + 1);
      if ($i == "Passed:") p += $(i + 1);
      if ($i == "Skipped:") s += $(i + 1);
    }
  }
  END { print p + 0, f + 0, s + 0 }' "$log")

# A crashed test host prints no summary; count it as a failure rather than report a clean run.
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1
fi

echo "Tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
exit "$status"
