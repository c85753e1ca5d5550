#!/usr/bin/env bash
# run-exchange-tests.sh: everything that checks the Exchange agent, in one command (Linux, Mono).
#
#   1. facade surface and identity check against the Exchange 2016 CU23 / 2019 CU12 listings
#   2. unit, scenario and randomized tests (tests/LinkSecure.Exchange.Tests, net48): dotnet test, which runs
#      .NET Framework test assemblies under Mono on Linux (skip with --skip-unit-tests when
#      "dotnet test ExchangeLinkSecure.sln" already ran them)
#   3. the agent also builds through ExchangeSdkPath (a folder holding the two SDK DLLs), with identical references
#   4. dotnet publish of the agent, then its reference closure: every assembly reference of every DLL in the published
#      folder must be satisfiable on .NET Framework 4.8 without binding redirects (tests/LinkSecure.Exchange.ClosureCheck,
#      metadata only, against the net48 reference assemblies; Mono cannot show this, it ignores versions), plus a
#      negative control (the same folder without System.ValueTuple.dll must fail)
#   5. the load test: a net48 host under Mono loads the published folder the way Exchange does and pushes messages
#      through it (pass --bench to print the benchmark figures)
#
# Needs: the .NET SDK, and Mono from Debian: apt-get install -y mono-runtime mono-devel
# (mono-devel ships the framework facades, netstandard.dll among them, that net48 test code needs on Mono).
# Usage: tests/run-exchange-tests.sh [--bench] [--skip-unit-tests] [shared-dir]
#   shared-dir: check the facade against another copy of the reference material (default: the copy the
#   repository carries in src/ExchangeSdkFacade/reference/; see check-surface.sh)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
bench=""
shared=""
skip_unit=""
for arg in "$@"; do
  case "$arg" in
    --bench) bench="--bench" ;;
    --skip-unit-tests) skip_unit=1 ;;
    *) shared="$arg" ;;
  esac
done

if ! command -v mono >/dev/null 2>&1 || [ ! -f /usr/lib/mono/4.5/Facades/netstandard.dll ]; then
  echo "run-exchange-tests: Mono with its facades is required: apt-get install -y mono-runtime mono-devel" >&2
  exit 2
fi

cd "$repo"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
failed=0
total_passed=0
total_failed=0

echo "=== 1. Exchange SDK facade: surface and identity"
if bash src/ExchangeSdkFacade/check-surface.sh ${shared:+"$shared"}; then
  total_passed=$((total_passed + 1))
else
  total_failed=$((total_failed + 1)); failed=1
fi

if [ -z "$skip_unit" ]; then
  echo "=== 2. agent tests (net48 on Mono, through dotnet test)"
  set +e
  dotnet test tests/LinkSecure.Exchange.Tests/LinkSecure.Exchange.Tests.csproj -c Release --nologo 2>&1 | tee "$work/test.log"
  test_status=${PIPESTATUS[0]}
  set -e
  summary=$(grep -E 'Failed: +[0-9]+, Passed: +[0-9]+, Skipped: +[0-9]+' "$work/test.log" | tail -n 1 || true)
  if [ -z "$summary" ]; then
    echo "no test summary"; total_failed=$((total_failed + 1)); failed=1
  else
    f=$(sed -E 's/.*Failed: +([0-9]+).*/\1/' <<< "$summary")
    p=$(sed -E 's/.*Passed: +([0-9]+).*/\1/' <<< "$summary")
    s=$(sed -E 's/.*Skipped: +([0-9]+).*/\1/' <<< "$summary")
    echo "agent-tests: $p passed, $f failed, $s skipped"
    total_passed=$((total_passed + p)); total_failed=$((total_failed + f))
    if [ "$test_status" -ne 0 ] || [ "$p" -eq 0 ]; then failed=1; fi
  fi
else
  echo "=== 2. agent tests skipped (--skip-unit-tests: dotnet test ExchangeLinkSecure.sln runs them)"
  dotnet build src/LinkSecure.Exchange/LinkSecure.Exchange.csproj -c Release -nologo -v quiet -clp:NoSummary
fi

echo "=== 3. build against an SDK folder (ExchangeSdkPath)"
sdk="$work/sdk"
mkdir -p "$sdk"
cp src/ExchangeSdkFacade/Microsoft.Exchange.Data.Transport/bin/Release/net48/Microsoft.Exchange.Data.Transport.dll \
   src/ExchangeSdkFacade/Microsoft.Exchange.Data.Common/bin/Release/net48/Microsoft.Exchange.Data.Common.dll "$sdk/"
dotnet build tests/LinkSecure.Exchange.LoadTest/LinkSecure.Exchange.LoadTest.csproj -c Release -nologo -v quiet -clp:NoSummary
host=tests/LinkSecure.Exchange.LoadTest/bin/Release/net48/LinkSecure.Exchange.LoadTest.exe
agent_dll=src/LinkSecure.Exchange/bin/Release/net48/LinkSecure.Exchange.dll
mono "$host" --refs "$agent_dll" > "$sdk/refs-facade.txt"
dotnet build src/LinkSecure.Exchange/LinkSecure.Exchange.csproj -c Release -nologo -v quiet -clp:NoSummary -p:ExchangeSdkPath="$sdk" -p:BuildProjectReferences=false
mono "$host" --refs "$agent_dll" > "$sdk/refs-sdkpath.txt"
if diff -u "$sdk/refs-facade.txt" "$sdk/refs-sdkpath.txt" && grep -q 'Microsoft.Exchange.Data.Transport, Version=15.0.1474.0, Culture=neutral, PublicKeyToken=31bf3856ad364e35' "$sdk/refs-sdkpath.txt"; then
  echo "ExchangeSdkPath build: ok, references identical:"; sed 's/^/  /' "$sdk/refs-sdkpath.txt"
  total_passed=$((total_passed + 1))
else
  echo "ExchangeSdkPath build: references differ"; total_failed=$((total_failed + 1)); failed=1
fi

echo "=== 4. publish and reference closure against the .NET Framework 4.8 reference assemblies"
rm -rf artifacts/agent
dotnet publish src/LinkSecure.Exchange/LinkSecure.Exchange.csproj -c Release -o artifacts/agent -nologo -v quiet -clp:NoSummary
gp=$(dotnet nuget locals global-packages --list | sed 's/^global-packages: //')
ref48="${gp%/}/microsoft.netframework.referenceassemblies.net48/1.0.3/build/.NETFramework/v4.8"
dotnet build tests/LinkSecure.Exchange.ClosureCheck/LinkSecure.Exchange.ClosureCheck.csproj -c Release -nologo -v quiet -clp:NoSummary
closure="dotnet tests/LinkSecure.Exchange.ClosureCheck/bin/Release/net10.0/LinkSecure.Exchange.ClosureCheck.dll"
if $closure artifacts/agent "$ref48"; then
  total_passed=$((total_passed + 1))
else
  echo "FAILED: reference closure of artifacts/agent"; total_failed=$((total_failed + 1)); failed=1
fi
cp -r artifacts/agent "$work/incomplete"
rm "$work/incomplete/System.ValueTuple.dll"
set +e
$closure "$work/incomplete" "$ref48" > "$work/incomplete.log"
control_status=$?
set -e
if [ "$control_status" -eq 1 ] && grep -q '^UNSATISFIED System.Text.Json .* -> System.ValueTuple, 4.0.5.0' "$work/incomplete.log"; then
  echo "negative control: without System.ValueTuple.dll the closure check fails, as it must:"; grep '^UNSATISFIED' "$work/incomplete.log" | sed 's/^/  /'
  total_passed=$((total_passed + 1))
else
  echo "FAILED: the closure check did not catch a folder without System.ValueTuple.dll (exit $control_status):"; sed 's/^/  /' "$work/incomplete.log"
  total_failed=$((total_failed + 1)); failed=1
fi

echo "=== 5. load test (Mono host, Assembly.LoadFrom like EdgeTransport.exe)"
set +e
mono "$host" artifacts/agent $bench | tee "$sdk/load.log"
load_status=${PIPESTATUS[0]}
set -e
line=$(grep -E '^load-test: [0-9]+ passed, [0-9]+ failed' "$sdk/load.log" | tail -n 1 || true)
if [ -z "$line" ]; then
  total_failed=$((total_failed + 1)); failed=1
else
  total_passed=$((total_passed + $(sed -E 's/^load-test: ([0-9]+) passed.*/\1/' <<< "$line")))
  total_failed=$((total_failed + $(sed -E 's/.* ([0-9]+) failed.*/\1/' <<< "$line")))
fi
if [ "$load_status" -ne 0 ]; then failed=1; fi

echo "exchange: $total_passed passed, $total_failed failed"
exit $failed
