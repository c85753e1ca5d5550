#!/usr/bin/env bash
# Runs the PowerShell install-script tests (Pester under PowerShell 7).
# Installs the tools first when missing. Exit code 0 only when every test passed.
# The last line printed is "N passed, N failed, N skipped".
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tools="$("$here/Install-TestTools.sh")"
pwsh="$(printf '%s\n' "$tools" | sed -n 's/^pwsh=//p')"
pester="$(printf '%s\n' "$tools" | sed -n 's/^pester=//p')"

exec "$pwsh" -NoLogo -NoProfile -NonInteractive -File "$here/Invoke-Tests.ps1" -PesterPath "$pester" "$@"
