#!/usr/bin/env bash
# Installs what the PowerShell tests need, from NuGet only:
#   - PowerShell 7 as a .NET tool, into <repo>/.tools/pwsh (git-ignored);
#   - the Pester module (a NuGet package), into the NuGet cache (~/.nuget/packages/pester/<version>).
# Idempotent: does nothing when both are already present. Prints the two paths.
# Versions can be overridden with LS_PWSH_VERSION and LS_PESTER_VERSION.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
pwsh_version="${LS_PWSH_VERSION:-7.6.9}"
pester_version="${LS_PESTER_VERSION:-6.2.0}"
tool_dir="$repo_root/.tools/pwsh"
nuget_root="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
pester_psd1="$nuget_root/pester/$pester_version/tools/Pester.psd1"

if [ ! -x "$tool_dir/pwsh" ] || ! "$tool_dir/pwsh" -NoLogo -NoProfile -Command '$PSVersionTable.PSVersion.ToString()' 2>/dev/null | grep -qx "$pwsh_version"; then
    echo "Installing PowerShell $pwsh_version (dotnet tool) into $tool_dir" >&2
    rm -rf "$tool_dir"
    dotnet tool install --tool-path "$tool_dir" PowerShell --version "$pwsh_version" >&2
fi

if [ ! -f "$pester_psd1" ]; then
    echo "Downloading Pester $pester_version (NuGet package)" >&2
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    # A throw-away project outside the repository, so the repository's central package
    # management and build props do not apply to it.
    cat > "$work/fetch-pester.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
  </PropertyGroup>
  <ItemGroup>
    <PackageDownload Include="Pester" Version="[$pester_version]" />
  </ItemGroup>
</Project>
XML
    dotnet restore "$work/fetch-pester.csproj" >&2
fi

if [ ! -f "$pester_psd1" ]; then
    echo "Pester module not found at $pester_psd1 after restore" >&2
    exit 1
fi

echo "pwsh=$tool_dir/pwsh"
echo "pester=$pester_psd1"
