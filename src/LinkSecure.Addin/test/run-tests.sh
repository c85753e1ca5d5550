#!/usr/bin/env bash
# Runs the Outlook add-in's tests: npm ci (the registry: @microsoft/office-js, playwright-core; its "prepare" script
# bundles web/launchevent.js), then node's test runner over the pure modules, the manifest check and the browser
# suite (Debian's Chromium against a real `linksecure serve` on 127.0.0.1, built here from the repository).
# Prints "addin: N passed, N failed, N skipped" last and exits non-zero on any failure.
# Needs Node.js 20+ (scripts/install-prerequisites.sh). Test files are listed by the shell, not globbed by node, and
# run one at a time: each browser file starts its own server and Chromium, and the machine has two cores.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$here"
status=0
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

echo "-- npm ci"
npm ci --no-audit --no-fund || status=1

echo "-- dotnet build src/LinkSecure.Cli (the server of the browser suite)"
dotnet build "$root/src/LinkSecure.Cli" -c Release --nologo -v q || status=1

echo "-- node --test"
node --test --test-concurrency=1 --test-reporter=tap test/unit/*.test.js test/manifest/*.test.js test/browser/*.test.js 2>&1 | tee "$log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

count() { grep -E "^# $1 [0-9]+$" "$log" | tail -n 1 | awk '{print $3}'; }
passed=$(count pass); failed=$(count fail); skipped=$(count skipped); todo=$(count todo); cancelled=$(count cancelled)
passed=${passed:-0}; failed=$((${failed:-0} + ${cancelled:-0})); skipped=$((${skipped:-0} + ${todo:-0}))
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1
fi
echo "addin: ${passed} passed, ${failed} failed, ${skipped} skipped"
exit "$status"
