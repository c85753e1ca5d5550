#!/usr/bin/env bash
# check-surface.sh: builds the two Exchange SDK facades, dumps their public surface with the
# shared api-surface Dumper, and compares it with the listings of the real assemblies.
#
# Passes when, for both assemblies and for every reference listing (Exchange 2016 CU23 and
# 2019 CU12), every type and member the facade declares exists in the real assembly with an
# identical declaration (protected constructors for test doubles are allowed), and when both
# facades carry the real identity (version 15.0.1474.0, PublicKeyToken 31bf3856ad364e35).
#
# Usage: src/ExchangeSdkFacade/check-surface.sh [shared-dir]
#   By default the check uses the copies the repository carries in src/ExchangeSdkFacade/reference/
#   (api-surface/: the Dumper and compare-surface.sh; exchange-sdk-api/: the listings of the real
#   assemblies; exchange-sdk-surface.cs: the curated surface), so it runs on a plain clone.
#   shared-dir (or $LINKSECURE_SHARED_DIR): a folder laid out as the shared material is
#   (tools/api-surface/, reference/exchange-sdk-api/, reference/exchange-sdk-surface.cs) to check
#   against instead. It is only read.
# Exit status: 0 pass, 1 surface or identity mismatch, 2 setup error.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
shared=${1:-${LINKSECURE_SHARED_DIR:-}}
if [ -n "$shared" ]; then
  if [ ! -f "$shared/tools/api-surface/Program.cs" ]; then
    echo "check-surface: cannot find the api-surface tool under '$shared/tools/api-surface'" >&2
    exit 2
  fi
  shared=$(cd "$shared" && pwd)
  tooldir="$shared/tools/api-surface"
  refdir="$shared/reference"
else
  tooldir="$here/reference/api-surface"
  refdir="$here/reference"
fi
for needed in "$tooldir/Program.cs" "$tooldir/compare-surface.sh" "$refdir/exchange-sdk-surface.cs" \
    "$refdir/exchange-sdk-api/Exchange_2016_CU23/Microsoft.Exchange.Data.Transport.api.cs"; do
  if [ ! -f "$needed" ]; then
    echo "check-surface: $needed is missing" >&2
    exit 2
  fi
done
echo "== reference material: tool $tooldir, listings $refdir"
out="$repo/artifacts/api-surface"
rm -rf "$out"
mkdir -p "$out/facade"

echo "== building the facades (Release)"
dotnet build "$here/Microsoft.Exchange.Data.Transport/Microsoft.Exchange.Data.Transport.csproj" \
  -c Release -nologo -v quiet -o "$out/bin" >/dev/null

# The shared tool folder may be read-only (CI copies it without write bits), and our own
# Directory.*.props must not apply to it: build a copy outside the repository.
tool=$(mktemp -d)
trap 'rm -rf "$tool"' EXIT
cp "$tooldir/Program.cs" "$tooldir/CtorCheck.cs" "$tooldir/Dumper.csproj" "$tool/"
echo "== building the Dumper"
dotnet build "$tool/Dumper.csproj" -c Release -nologo -v quiet -o "$tool/bin" >/dev/null

gp=$(dotnet nuget locals global-packages --list | sed 's/^global-packages: //')
ref48="${gp%/}/microsoft.netframework.referenceassemblies.net48/1.0.3/build/.NETFramework/v4.8"
if [ ! -f "$ref48/mscorlib.dll" ]; then
  echo "check-surface: net48 reference assemblies not found at $ref48" >&2
  exit 2
fi

echo "== dumping the facades"
dotnet "$tool/bin/Dumper.dll" "$ref48" "$out/facade" \
  "$out/bin/Microsoft.Exchange.Data.Transport.dll" "$out/bin/Microsoft.Exchange.Data.Common.dll"

status=0
for asm in Microsoft.Exchange.Data.Transport Microsoft.Exchange.Data.Common; do
  listing="$out/facade/$asm.api.cs"
  expected="// $asm, Version=15.0.1474.0, Culture=neutral, PublicKeyToken=31bf3856ad364e35"
  if [ "$(head -n 1 "$listing")" != "$expected" ]; then
    echo "IDENTITY MISMATCH for $asm: $(head -n 1 "$listing")"
    status=1
  else
    echo "identity ok: ${expected#// }"
  fi
  if grep -q '^// ERROR' "$listing"; then
    echo "DUMP ERRORS in $listing:"; grep '^// ERROR' "$listing"; status=1
  fi
  for cu in Exchange_2016_CU23 Exchange_2019_CU12; do
    echo "== $asm vs $cu"
    if ! bash "$tooldir/compare-surface.sh" "$listing" \
        "$refdir/exchange-sdk-api/$cu/$asm.api.cs" > "$out/$asm.$cu.txt"; then
      status=1
    fi
    # Sections 1 and 2 in full; section 3 (real members the facade leaves out) only counted.
    awk '/^== 3\./ { print; exit } { print }' "$out/$asm.$cu.txt"
  done
done
grep -q 'ref Microsoft.Exchange.Data.Common, Version=15.0.1474.0, Culture=neutral, PublicKeyToken=31bf3856ad364e35' \
  "$out/facade/Microsoft.Exchange.Data.Transport.api.cs" || { echo "Transport does not reference Common 15.0.1474.0"; status=1; }

# Exchange 2013 CU23 (the identity we carry) lacks some members of the 2016/2019 listings; the
# curated surface file marks them "// not in 2013 CU23". The facade must not declare them, so the
# agent cannot come to depend on them.
surface="$refdir/exchange-sdk-surface.cs"
newer=$(awk '
  /^#if EXCHANGE_SDK_SURFACE_LISTING/ { on = 1; next }
  !on { next }
  /(class|struct|enum|interface) [A-Za-z]/ { if (match($0, /(class|struct|enum|interface) [A-Za-z0-9_]+/)) { split(substr($0, RSTART, RLENGTH), a, " "); type = a[2] } }
  /not in 2013 CU23/ && !/type not in 2013 CU23/ {
    line = $0; sub(/\/\/.*$/, "", line)
    if (match(line, /[A-Za-z0-9_]+ *\(/)) { m = substr(line, RSTART, RLENGTH); sub(/ *\($/, "", m) }
    else if (match(line, /[A-Za-z0-9_]+ *\{/)) { m = substr(line, RSTART, RLENGTH); sub(/ *\{$/, "", m) }
    else next
    print type "\t" m
  }
  /type not in 2013 CU23/ { print type "\t*" }' "$surface")
while IFS=$'\t' read -r type member; do
  [ -n "$type" ] || continue
  hits=$(awk -v t="$type" -v m="$member" '
    /^    [^ ].*(class|struct|enum|interface) / { intype = ($0 ~ ("(class|struct|enum|interface) " t "( |$)")) ; if (intype && m == "*") print; next }
    intype && m != "*" && ($0 ~ (" " m "\\(") || $0 ~ (" " m " \\{")) { print }' \
    "$out/facade/Microsoft.Exchange.Data.Transport.api.cs" "$out/facade/Microsoft.Exchange.Data.Common.api.cs")
  if [ -n "$hits" ]; then
    echo "NOT IN 2013 CU23 ($type.$member):"; echo "$hits"; status=1
  fi
done <<< "$newer"
echo "== 2013 CU23 check: $(printf '%s\n' "$newer" | grep -c .) members/types marked newer than 2013 CU23 looked for"

if [ $status -eq 0 ]; then
  echo "check-surface: PASS (listings in $out)"
else
  echo "check-surface: FAIL (details in $out)"
fi
exit $status
