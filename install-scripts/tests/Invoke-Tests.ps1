<#
.SYNOPSIS
    Runs the Pester tests of the install scripts and prints "N passed, N failed, N skipped".

.DESCRIPTION
    Runs under PowerShell 7 (the tests use stand-ins for every Exchange and Windows
    command, so they run on Linux). Exits 0 when every test passed, 1 otherwise.
    Usually started by run-tests.sh, which installs PowerShell and Pester first.

.PARAMETER PesterPath
    Path to Pester.psd1 (from the Pester NuGet package). Default: the module named Pester.

.PARAMETER Path
    Test files or folders. Default: this folder.

.PARAMETER Output
    Pester output verbosity: None, Normal, Detailed or Diagnostic. Default: Normal.

.PARAMETER TestResultPath
    When given, also writes NUnit XML results there.
#>
[CmdletBinding()]
param(
    [string]$PesterPath = 'Pester',
    [string[]]$Path = @($PSScriptRoot),
    [ValidateSet('None', 'Normal', 'Detailed', 'Diagnostic')][string]$Output = 'Normal',
    [string]$TestResultPath
)

$ErrorActionPreference = 'Stop'
Import-Module $PesterPath -Force
$pester = Get-Module Pester
if ($pester.Version.Major -lt 5) { throw "Pester 5 or later is needed; found $($pester.Version)." }

$configuration = New-PesterConfiguration
$configuration.Run.Path = $Path
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = $Output
if ($env:CI -or $env:NO_COLOR) { $configuration.Output.RenderMode = 'Plaintext' }
if (-not [string]::IsNullOrEmpty($TestResultPath)) {
    $configuration.TestResult.Enabled = $true
    $configuration.TestResult.OutputPath = $TestResultPath
    $configuration.TestResult.OutputFormat = 'NUnitXml'
}

$result = Invoke-Pester -Configuration $configuration
$failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
$skipped = $result.SkippedCount + $result.NotRunCount
Write-Host ''
Write-Host ('{0} passed, {1} failed, {2} skipped' -f $result.PassedCount, $failed, $skipped)
if ($failed -gt 0 -or $result.PassedCount -eq 0) { exit 1 }
exit 0
