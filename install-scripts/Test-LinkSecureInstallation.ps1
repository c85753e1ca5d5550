<#
.SYNOPSIS
    Checks the ExchangeLinkSecure installation on this Exchange server and prints a
    pass/fail table.

.DESCRIPTION
    Read-only. Run in the Exchange Management Shell (elevated, to read the event log
    source). Checks:

      - the Exchange cmdlets, the Exchange build and .NET Framework 4.8;
      - the install folder and the agent DLL;
      - the agent is registered with the right factory and path, enabled, and runs after
        the Transport Rule Agent (Edge Rule Agent on Edge);
      - the transport service is running;
      - the event log source exists, and the agent logged no errors recently;
      - the configuration is valid: with "linksecure config validate" when -LinkSecureCliPath
        is given, otherwise with the script's own structural checks;
      - connector drift: every Send connector this server's routing section routes to exists
        (a missing DNS-routed connector fails open to the "*" connector; a missing relay
        connector with a non-SMTP address space fails closed), its actual properties match
        the routing section, and the record Set-LinkSecureConnectors.ps1 wrote in its Comment
        matches it too; each mismatch is named. Connectors of ours this server does not use,
        and a routing section that differs from the one the connectors were configured from,
        are warnings;
      - the logs folder is writable by the transport service account;
      - at least one transport rule stamps Link-Security (unless enforceForAllMail is true).

    Each check gives Pass, Fail, Warn or Skip. The script exits with code 1 when any check
    failed, else 0. A real run writes a transcript to "<InstallPath>\transcripts".

.PARAMETER InstallPath
    The install folder. Default: the folder of the registered agent DLL, else
    "<Program Files>\ExchangeLinkSecure".

.PARAMETER TransportService
    Hub (default) or Edge.

.PARAMETER LinkSecureCliPath
    Path to the linksecure admin CLI. When given, the configuration is checked with
    "linksecure config validate <file>" (exit code 0 = valid).

.PARAMETER EventLookbackHours
    How far back to look for error events from the "ExchangeLinkSecure" source. Default 24.

.PARAMETER ServiceAccount
    The transport service account whose write access to the logs folder is checked.
    Default: S-1-5-20 (NETWORK SERVICE, by SID so that it works on localised Windows).

.EXAMPLE
    .\Test-LinkSecureInstallation.ps1

.EXAMPLE
    .\Test-LinkSecureInstallation.ps1 -LinkSecureCliPath 'C:\Program Files\ExchangeLinkSecure\cli\linksecure.exe' -EventLookbackHours 2

.OUTPUTS
    LinkSecure.CheckResult objects (Check, Result, Detail).

.LINK
    docs/admin-guide.md
#>

#Requires -Version 5.1

[CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'Low')]
param(
    [string]$InstallPath,
    [ValidateSet('Hub', 'Edge')][string]$TransportService = 'Hub',
    [string]$LinkSecureCliPath,
    [ValidateRange(1, 8760)][int]$EventLookbackHours = 24,
    [string]$ServiceAccount = 'S-1-5-20'
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot 'LinkSecure.Install.psm1') -Force -Verbose:$false
Import-Module (Join-Path $PSScriptRoot 'LinkSecure.Connectors.psm1') -Force -Verbose:$false

$product = Get-LsProduct
$rows = [System.Collections.Generic.List[object]]::new()

function Add-Check {
    param([string]$Check, [string]$Result, [string]$Detail = '')
    $row = New-LsCheckResult -Check $Check -Result $Result -Detail $Detail
    $rows.Add($row)
    $row
}

function Write-Summary {
    $failed = @($rows | Where-Object { $_.Result -eq 'Fail' }).Count
    $warned = @($rows | Where-Object { $_.Result -eq 'Warn' }).Count
    if ($failed -gt 0) {
        Write-Host ("Result: FAIL ({0} of {1} checks failed, {2} warning(s))" -f $failed, $rows.Count, $warned) -ForegroundColor Red
    }
    elseif ($warned -gt 0) {
        Write-Host ("Result: PASS with {0} warning(s) ({1} checks)" -f $warned, $rows.Count) -ForegroundColor Yellow
    }
    else {
        Write-Host ("Result: PASS ({0} checks)" -f $rows.Count) -ForegroundColor Green
    }
    $failed
}

# --- Exchange shell: without it nothing else can be checked --------------------------------
if (-not (Test-LsExchangeShell)) {
    try { Add-LsExchangeSnapin } catch { Write-Verbose $_.Exception.Message }
}
if (-not (Test-LsExchangeShell)) {
    Add-Check 'Exchange Management Shell' 'Fail' 'The Exchange cmdlets are not available: run this script in the Exchange Management Shell on the Exchange server.'
    [void](Write-Summary)
    exit 1
}

$agents = Get-LsTransportAgent -TransportService $TransportService
$agent = Find-LsAgent -Agents $agents -Name $product.AgentName
if ([string]::IsNullOrEmpty($InstallPath)) {
    $registeredPath = [string](Get-LsPropertyValue -InputObject $agent -Name 'AssemblyPath')
    if (-not [string]::IsNullOrEmpty($registeredPath)) { $InstallPath = Split-Path -Parent $registeredPath }
    else { $InstallPath = Get-LsDefaultInstallPath }
}
$InstallPath = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($InstallPath)
$assemblyPath = Join-Path $InstallPath $product.AssemblyFile
$configPath = Join-Path $InstallPath $product.ConfigFile

$transcriptStarted = $false
if (-not $WhatIfPreference -and (Test-Path -LiteralPath $InstallPath -PathType Container)) {
    $transcriptFolder = Join-Path $InstallPath $product.TranscriptFolder
    if (-not (Test-Path -LiteralPath $transcriptFolder)) { New-Item -ItemType Directory -Path $transcriptFolder -Force -WhatIf:$false | Out-Null }
    Start-LsTranscript -Path (Join-Path $transcriptFolder ('Test-LinkSecureInstallation-{0}.log' -f (Get-Date -Format 'yyyyMMdd-HHmmss')))
    $transcriptStarted = $true
}

$failedCount = 0
try {
    Add-Check 'Exchange Management Shell' 'Pass' 'Exchange cmdlets available'

    # --- Exchange build and .NET ---------------------------------------------------------------
    $server = Get-ExchangeServer -Identity (Get-LsComputerName)
    $serverName = [string](Get-LsPropertyValue -InputObject $server -Name 'Name')
    try {
        $gate = Test-LsExchangeVersionSupported -Version (Get-LsExchangeVersion -Server $server)
        if ($gate.Supported) { Add-Check 'Exchange version' 'Pass' $gate.Reason } else { Add-Check 'Exchange version' 'Fail' $gate.Reason }
    }
    catch {
        Add-Check 'Exchange version' 'Fail' $_.Exception.Message
    }
    $release = Get-LsDotNetFrameworkRelease
    if (Test-LsDotNetReleaseSupported -Release $release) { Add-Check '.NET Framework 4.8' 'Pass' "Release $release" }
    else { Add-Check '.NET Framework 4.8' 'Fail' "Release value $release; 528040 or higher needed" }

    # --- Files ------------------------------------------------------------------------------------
    if (Test-Path -LiteralPath $assemblyPath -PathType Leaf) {
        $version = Get-LsFileVersion -Path $assemblyPath
        Add-Check 'Agent files' 'Pass' ('{0} (version {1})' -f $assemblyPath, $(if ($null -ne $version) { $version } else { 'unknown' }))
    }
    else {
        Add-Check 'Agent files' 'Fail' "$assemblyPath not found"
    }

    # --- Agent registration ------------------------------------------------------------------------
    if ($null -eq $agent) {
        Add-Check 'Agent registered' 'Fail' "'$($product.AgentName)' is not registered on the $TransportService transport service (run Install-LinkSecureAgent.ps1)"
        Add-Check 'Agent enabled' 'Skip' 'Not registered'
        Add-Check 'Agent priority' 'Skip' 'Not registered'
    }
    else {
        $registeredPath = [string](Get-LsPropertyValue -InputObject $agent -Name 'AssemblyPath')
        $registeredFactory = [string](Get-LsPropertyValue -InputObject $agent -Name 'TransportAgentFactory')
        $problems = @()
        if (-not [string]::IsNullOrEmpty($registeredFactory) -and $registeredFactory -ne $product.AgentFactory) { $problems += "factory is $registeredFactory, expected $($product.AgentFactory)" }
        if (-not [string]::IsNullOrEmpty($registeredPath) -and $registeredPath -ne $assemblyPath) { $problems += "assembly path is $registeredPath, expected $assemblyPath" }
        if ($problems.Count -eq 0) { Add-Check 'Agent registered' 'Pass' "$($product.AgentFactory) from $assemblyPath" }
        else { Add-Check 'Agent registered' 'Fail' ($problems -join '; ') }

        if ([bool](Get-LsPropertyValue -InputObject $agent -Name 'Enabled')) { Add-Check 'Agent enabled' 'Pass' 'Enabled' }
        else { Add-Check 'Agent enabled' 'Fail' 'Disabled (Enable-TransportAgent, then restart the transport service)' }

        $ruleAgentName = $product.RuleAgentName[$TransportService]
        $ruleAgent = Find-LsAgent -Agents $agents -Name $ruleAgentName
        $priority = [int](Get-LsPropertyValue -InputObject $agent -Name 'Priority')
        if ($null -eq $ruleAgent) {
            Add-Check 'Agent priority' 'Warn' "Priority $priority; '$ruleAgentName' not found to compare with"
        }
        elseif ($priority -gt [int]$ruleAgent.Priority) {
            Add-Check 'Agent priority' 'Pass' "Priority $priority, after '$ruleAgentName' ($($ruleAgent.Priority))"
        }
        else {
            Add-Check 'Agent priority' 'Fail' "Priority $priority runs before '$ruleAgentName' ($($ruleAgent.Priority)); the header stamped by transport rules would be missed"
        }
    }

    # --- Transport service --------------------------------------------------------------------------
    $status = Get-LsServiceStatus -Name $product.TransportService
    if ($status -eq 'Running') { Add-Check 'Transport service' 'Pass' "$($product.TransportService) running" }
    else { Add-Check 'Transport service' 'Fail' "$($product.TransportService) is $(if ($null -eq $status) { 'not found' } else { $status })" }

    # --- Event log ---------------------------------------------------------------------------------
    if (Test-LsEventLogSource -Source $product.EventSource) {
        Add-Check 'Event log source' 'Pass' "$($product.EventSource) in the $($product.EventLog) log"
        $since = (Get-Date).AddHours(-$EventLookbackHours)
        $errors = @(Get-LsRecentEventLogError -Source $product.EventSource -LogName $product.EventLog -Since $since)
        if ($errors.Count -eq 0) {
            Add-Check 'Recent errors' 'Pass' "No error events in the last $EventLookbackHours hour(s)"
        }
        else {
            $newest = $errors | Sort-Object { $_.TimeCreated } -Descending | Select-Object -First 1
            $message = [string](Get-LsPropertyValue -InputObject $newest -Name 'Message')
            if ($message.Length -gt 200) { $message = $message.Substring(0, 200) + '...' }
            Add-Check 'Recent errors' 'Fail' ("{0} error event(s) in the last {1} hour(s); newest: event {2} at {3}: {4}" -f $errors.Count, $EventLookbackHours, (Get-LsPropertyValue -InputObject $newest -Name 'Id'), (Get-LsPropertyValue -InputObject $newest -Name 'TimeCreated'), $message)
        }
    }
    else {
        Add-Check 'Event log source' 'Fail' "$($product.EventSource) is not registered"
        Add-Check 'Recent errors' 'Skip' 'No event log source'
    }

    # --- Configuration ------------------------------------------------------------------------------
    $config = $null
    if (-not (Test-Path -LiteralPath $configPath -PathType Leaf)) {
        Add-Check 'Configuration' 'Fail' "$configPath not found"
    }
    else {
        try { $config = Read-LsConfig -Path $configPath } catch { Add-Check 'Configuration' 'Fail' $_.Exception.Message }
        if ($null -ne $config) {
            if (-not [string]::IsNullOrEmpty($LinkSecureCliPath)) {
                $output = @(& $LinkSecureCliPath config validate $configPath 2>&1 | ForEach-Object { [string]$_ })
                $code = $LASTEXITCODE
                $text = ($output | Where-Object { -not [string]::IsNullOrWhiteSpace($_) }) -join ' | '
                if ($code -eq 0) { Add-Check 'Configuration' 'Pass' ("linksecure config validate: valid $text".Trim()) }
                else { Add-Check 'Configuration' 'Fail' "linksecure config validate (exit $code): $text" }
            }
            else {
                $problems = @(Test-LsConfigStructure -Config $config)
                if ($problems.Count -eq 0) { Add-Check 'Configuration' 'Pass' 'Structure valid (give -LinkSecureCliPath for the full validation)' }
                else { Add-Check 'Configuration' 'Fail' ($problems -join ' ') }
            }
        }
    }

    # --- Send connectors ---------------------------------------------------------------------------
    $routing = Get-LsRoutingSettings -Config $config
    $routingProblems = @(Test-LsRoutingSettings -Routing $routing)
    if ($routingProblems.Count -gt 0) {
        Add-Check 'Send connectors' 'Skip' 'The routing section is not valid'
    }
    else {
        # Drift: this server's routing section against every connector's record and actual properties.
        foreach ($row in @(Get-LsConnectorDrift -Routing $routing -Connectors @(Get-SendConnector))) { $rows.Add($row); $row }
    }

    # --- Logs folder -----------------------------------------------------------------------------------
    $logsPath = Join-Path $InstallPath $product.LogsFolder
    if (-not (Test-Path -LiteralPath $logsPath -PathType Container)) {
        Add-Check 'Logs folder' 'Fail' "$logsPath not found"
    }
    elseif (Test-LsFolderWriteAccess -Path $logsPath -Account $ServiceAccount) {
        Add-Check 'Logs folder' 'Pass' "$ServiceAccount may write to $logsPath"
    }
    else {
        Add-Check 'Logs folder' 'Warn' "No explicit write permission for $ServiceAccount on $logsPath"
    }

    # --- Transport rules ---------------------------------------------------------------------------------
    $rules = @(Get-TransportRule | Where-Object {
            @('Link-Security', 'X-Link-Security') -contains [string](Get-LsPropertyValue -InputObject $_ -Name 'SetHeaderName')
        })
    $enforceAll = ($null -ne $config) -and ((Get-LsPropertyValue -InputObject $config -Name 'enforceForAllMail') -eq $true)
    if ($rules.Count -gt 0) {
        Add-Check 'Transport rules' 'Pass' ('{0} rule(s) stamp Link-Security: {1}' -f $rules.Count, (($rules | ForEach-Object { $_.Name }) -join ', '))
    }
    elseif ($enforceAll) {
        Add-Check 'Transport rules' 'Pass' 'None needed: enforceForAllMail is true'
    }
    else {
        Add-Check 'Transport rules' 'Warn' 'No transport rule stamps Link-Security; only messages whose senders set the header are enforced (see New-LinkSecureTransportRule.ps1)'
    }

    $failedCount = Write-Summary
}
finally {
    if ($transcriptStarted) { Stop-LsTranscript }
}
if ($failedCount -gt 0) { exit 1 }
exit 0
