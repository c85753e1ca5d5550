#!/usr/bin/env bash
# Runs every test of the repository: the .NET suites (net10.0, and net48 under Mono), the PowerShell (Pester)
# suite, the relay script tests and the Outlook add-in's node and browser tests. Prints one closing line
# "N passed, N failed, N skipped" and exits non-zero on any failure.
# Prerequisites: scripts/install-prerequisites.sh (once per machine).
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0

echo "== dotnet test ExchangeLinkSecure.sln"
dotnet test ExchangeLinkSecure.sln -c Release --nologo 2>&1 | tee "$log" || status=1

passed=$(grep -oE 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -oE 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
skipped=$(grep -oE 'Skipped: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')

add_summary() {
  # $1: a line "N passed, N failed[, N skipped]" (optionally prefixed by one word and a colon)
  local line="${1#*: }"
  passed=$((passed + $(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')))
  failed=$((failed + $(echo "$line" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')))
  local s
  s=$(echo "$line" | sed -nE 's/.*, ([0-9]+) skipped.*/\1/p')
  skipped=$((skipped + ${s:-0}))
}

echo "== Exchange agent: facade surface, ExchangeSdkPath build, publish and Mono load test"
exchange_log="$(mktemp)"
bash tests/run-exchange-tests.sh --skip-unit-tests 2>&1 | tee "$exchange_log" || status=1
line=$(grep -E '^exchange: [0-9]+ passed, [0-9]+ failed' "$exchange_log" | tail -n 1)
if [ -n "$line" ]; then add_summary "$line"; else echo "Exchange checks printed no summary line" >&2; status=1; fi
rm -f "$exchange_log"

if [ -f install-scripts/tests/run-tests.sh ]; then
  echo "== Pester (install-scripts)"
  pester_log="$(mktemp)"
  bash install-scripts/tests/run-tests.sh 2>&1 | tee "$pester_log" || status=1
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$pester_log" | tail -n 1)
  if [ -n "$line" ]; then
    add_summary "$line"
  else
    echo "Pester printed no summary line" >&2
    status=1
  fi
  rm -f "$pester_log"
fi

if [ -f install-scripts/linux/tests/test-relay-scripts.sh ]; then
  echo "== Linux relay install scripts (stand-ins for apt, systemctl and postfix)"
  relay_log="$(mktemp)"
  bash install-scripts/linux/tests/test-relay-scripts.sh 2>&1 | tee "$relay_log" || status=1
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$relay_log" | tail -n 1)
  if [ -n "$line" ]; then
    add_summary "$line"
  else
    echo "The relay script tests printed no summary line" >&2
    status=1
  fi
  rm -f "$relay_log"
fi

run_summarised() {
  # $1: the suite's name for errors; $2: the regular expression of its summary line; the rest: the command.
  local name="$1" pattern="$2" suite_log line
  shift 2
  suite_log="$(mktemp)"
  "$@" 2>&1 | tee "$suite_log" || status=1
  line=$(grep -E "$pattern" "$suite_log" | tail -n 1)
  if [ -n "$line" ]; then add_summary "$line"; else echo "$name printed no summary line" >&2; status=1; fi
  rm -f "$suite_log"
}

if [ -f src/LinkSecure.Addin/test/run-tests.sh ]; then
  echo "== Outlook add-in (npm ci; node --test: pure modules, manifest check, Chromium against linksecure serve)"
  run_summarised "The add-in tests" '^addin: [0-9]+ passed, [0-9]+ failed' bash src/LinkSecure.Addin/test/run-tests.sh
fi

if [ "$passed" -eq 0 ]; then
  echo "No test ran." >&2
  status=1
fi

echo
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
exit "$status"
