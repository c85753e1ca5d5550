<#
.SYNOPSIS
    Removes the ExchangeLinkSecure routing agent from this Exchange server.

.DESCRIPTION
    Run in the Exchange Management Shell, elevated, on the server to clean up. Reverses
    Install-LinkSecureAgent.ps1, changing only what is still there:

      1. Disables and unregisters "ExchangeLinkSecure Routing Agent" (Disable-TransportAgent,
         Uninstall-TransportAgent).
      2. Send connectors: kept. They are organization-wide and other servers may still route
         to them; this server's uninstall never deletes or repoints one. With
         -RemoveConnectors (the last server) every connector of the prefix is removed.
      3. Restarts the transport service so it lets go of the agent DLLs (skip with
         -NoRestart; the files then stay until a later run).
      4. Deletes the product files from the install folder.

    The configuration (LinkSecure.config.json, LinkSecure.nlog.config), the logs and the
    transcripts are kept, and so is the event log source (so old events stay readable),
    unless -RemoveData is given: then the whole install folder and the event log source
    "ExchangeLinkSecure" go too.

    Transport rules are not removed: they are organization-wide and other servers may
    still use them. The script lists the rules that stamp Link-Security.

    A second run changes nothing and says so. -WhatIf shows every change without making
    any. A real run writes a transcript to "<InstallPath>\transcripts" (to the temporary
    folder with -RemoveData).

.PARAMETER InstallPath
    The install folder. Default: the folder of the registered agent DLL, else
    "<Program Files>\ExchangeLinkSecure".

.PARAMETER TransportService
    Hub (default) or Edge.

.PARAMETER SendConnectorPrefix
    The connector name prefix. Default: routing.sendConnectorPrefix from the installed
    configuration, else "ExchangeLinkSecure".

.PARAMETER RemoveConnectors
    Also remove the product's Send connectors (organisation-wide; Set-LinkSecureConnectors.ps1
    -RemoveConnectors). Only when uninstalling the last server: other servers route to them.
    Without it the connectors are kept.

.PARAMETER RemoveData
    Also delete the configuration, logs and transcripts, and the event log source.

.PARAMETER NoRestart
    Do not restart the transport service. The agent DLLs stay loaded until the next
    restart, so the product files are left in place; run the script again after a restart.

.EXAMPLE
    .\Uninstall-LinkSecureAgent.ps1 -WhatIf

.EXAMPLE
    .\Uninstall-LinkSecureAgent.ps1 -RemoveData

.OUTPUTS
    LinkSecure.StepResult objects (Step, Status, Target, Detail).

.LINK
    docs/admin-guide.md
#>

#Requires -Version 5.1

[CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'Medium')]
param(
    [string]$InstallPath,
    [ValidateSet('Hub', 'Edge')][string]$TransportService = 'Hub',
    [string]$SendConnectorPrefix,
    [switch]$RemoveConnectors,
    [switch]$RemoveData,
    [switch]$NoRestart
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot 'LinkSecure.Install.psm1') -Force -Verbose:$false
Import-Module (Join-Path $PSScriptRoot 'LinkSecure.Connectors.psm1') -Force -Verbose:$false

$product = Get-LsProduct
$results = [System.Collections.Generic.List[object]]::new()

function Add-Result {
    param([string]$Step, [string]$Target, [string]$Status, [string]$Detail = '')
    $results.Add((New-LsStepResult -Step $Step -Target $Target -Status $Status -Detail $Detail))
}

function Invoke-Change {
    # Runs one change through ShouldProcess and records the outcome. Returns $true when done.
    param([string]$Step, [string]$Target, [string]$Action, [scriptblock]$Change)
    if ($PSCmdlet.ShouldProcess($Target, $Action)) {
        & $Change | Out-Null
        Add-Result -Step $Step -Target $Target -Status 'Changed' -Detail $Action
        return $true
    }
    if ($WhatIfPreference) { Add-Result -Step $Step -Target $Target -Status 'WhatIf' -Detail $Action }
    else { Add-Result -Step $Step -Target $Target -Status 'Declined' -Detail $Action }
    $false
}

# ---------------------------------------------------------------------------------------
# Preflight: read everything, change nothing.
# ---------------------------------------------------------------------------------------

if (-not (Test-LsExchangeShell)) {
    Write-Verbose 'Exchange cmdlets not found; loading the Exchange snap-in.'
    try { Add-LsExchangeSnapin } catch { Write-Verbose $_.Exception.Message }
    if (-not (Test-LsExchangeShell)) {
        throw 'The Exchange cmdlets are not available. Run this script in the Exchange Management Shell on the Exchange server.'
    }
}
if (-not (Test-LsAdministrator)) {
    throw 'Run the Exchange Management Shell as administrator: the script changes the install folder, the event log and the transport service.'
}

$server = Get-ExchangeServer -Identity (Get-LsComputerName)
$serverName = [string](Get-LsPropertyValue -InputObject $server -Name 'Name')

$agents = Get-LsTransportAgent -TransportService $TransportService
$agent = Find-LsAgent -Agents $agents -Name $product.AgentName
if ([string]::IsNullOrEmpty($InstallPath)) {
    $registeredPath = [string](Get-LsPropertyValue -InputObject $agent -Name 'AssemblyPath')
    if (-not [string]::IsNullOrEmpty($registeredPath)) { $InstallPath = Split-Path -Parent $registeredPath }
    else { $InstallPath = Get-LsDefaultInstallPath }
}
$InstallPath = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($InstallPath)
$installedConfig = Join-Path $InstallPath $product.ConfigFile

if ([string]::IsNullOrEmpty($SendConnectorPrefix)) {
    $SendConnectorPrefix = 'ExchangeLinkSecure'
    if (Test-Path -LiteralPath $installedConfig -PathType Leaf) {
        try {
            $SendConnectorPrefix = (Get-LsRoutingSettings -Config (Read-LsConfig -Path $installedConfig)).sendConnectorPrefix
        }
        catch {
            Write-Warning "Could not read '$installedConfig' ($($_.Exception.Message)); using the connector prefix '$SendConnectorPrefix'."
        }
    }
}

# ---------------------------------------------------------------------------------------
# Changes.
# ---------------------------------------------------------------------------------------

$transcriptStarted = $false
if (-not $WhatIfPreference) {
    if ($RemoveData -or -not (Test-Path -LiteralPath $InstallPath -PathType Container)) {
        $transcriptFolder = [System.IO.Path]::GetTempPath()
    }
    else {
        $transcriptFolder = Join-Path $InstallPath $product.TranscriptFolder
        if (-not (Test-Path -LiteralPath $transcriptFolder)) { New-Item -ItemType Directory -Path $transcriptFolder -Force -WhatIf:$false | Out-Null }
    }
    $transcriptPath = Join-Path $transcriptFolder ('Uninstall-LinkSecureAgent-{0}.log' -f (Get-Date -Format 'yyyyMMdd-HHmmss'))
    Start-LsTranscript -Path $transcriptPath
    $transcriptStarted = $true
}

try {
    Write-Host ("ExchangeLinkSecure uninstall on {0} ({1}); install folder {2}" -f $serverName, $TransportService, $InstallPath)
    $planned = [bool]$WhatIfPreference
    $agentUnloadPending = $false

    # --- Agent ------------------------------------------------------------------------------
    if ($null -eq $agent) {
        Add-Result -Step 'Agent registration' -Target $product.AgentName -Status 'Unchanged' -Detail 'Not registered'
    }
    else {
        if ([bool](Get-LsPropertyValue -InputObject $agent -Name 'Enabled')) {
            [void](Invoke-Change 'Disable agent' $product.AgentName 'Disable-TransportAgent' {
                    Disable-TransportAgent -Identity $product.AgentName -TransportService $TransportService -Confirm:$false
                })
        }
        $removed = Invoke-Change 'Agent registration' $product.AgentName 'Uninstall-TransportAgent' {
            Uninstall-TransportAgent -Identity $product.AgentName -TransportService $TransportService -Confirm:$false
        }
        if ($removed -or $planned) { $agentUnloadPending = $true }
    }

    # --- Send connectors ----------------------------------------------------------------------
    # Organisation-wide: other servers may still route to them, and this server cannot tell, so they are
    # removed only when asked (-RemoveConnectors, the org step), never as a side effect.
    if ($RemoveConnectors) {
        foreach ($step in @(& (Join-Path $PSScriptRoot 'Set-LinkSecureConnectors.ps1') -RemoveConnectors -SendConnectorPrefix $SendConnectorPrefix -WhatIf:([bool]$WhatIfPreference))) { $results.Add($step) }
    }
    else {
        Add-Result -Step 'Send connectors' -Target $SendConnectorPrefix -Status 'Skipped' -Detail 'Organisation-wide, kept: other servers may still route to them. After the last server, remove them with -RemoveConnectors (or Set-LinkSecureConnectors.ps1 -RemoveConnectors).'
    }

    # --- Transport service: let go of the DLLs ----------------------------------------------
    $filesLocked = $false
    if ($agentUnloadPending) {
        if ($NoRestart) {
            $filesLocked = $true
            Add-Result -Step 'Restart transport' -Target $product.TransportService -Status 'Skipped' -Detail '-NoRestart'
            Write-Warning "The transport service still has the agent loaded. Restart it (Restart-Service $($product.TransportService)) and run this script again to delete the files."
        }
        else {
            [void](Invoke-Change 'Restart transport' $product.TransportService 'Restart service to unload the agent' {
                    Restart-LsService -Name $product.TransportService
                })
        }
    }

    # --- Files ---------------------------------------------------------------------------------
    $folderExists = Test-Path -LiteralPath $InstallPath -PathType Container
    if ($filesLocked) {
        Add-Result -Step 'Agent files' -Target $InstallPath -Status 'Skipped' -Detail 'Still loaded by the transport service'
    }
    elseif (-not $folderExists) {
        Add-Result -Step 'Agent files' -Target $InstallPath -Status 'Unchanged' -Detail 'Folder not present'
    }
    elseif ($RemoveData) {
        [void](Invoke-Change 'Agent files and data' $InstallPath 'Delete the install folder with configuration and logs' {
                Remove-Item -LiteralPath $InstallPath -Recurse -Force -WhatIf:$false
            })
    }
    else {
        $productFiles = @(Get-LsInstalledProductFile -InstallPath $InstallPath)
        if ($productFiles.Count -eq 0) {
            Add-Result -Step 'Agent files' -Target $InstallPath -Status 'Unchanged' -Detail 'Only configuration and logs are left'
        }
        else {
            $list = ($productFiles | ForEach-Object { $_.Name }) -join ', '
            [void](Invoke-Change 'Agent files' $InstallPath "Delete $($productFiles.Count) item(s): $list; keep configuration and logs" {
                    foreach ($item in $productFiles) { Remove-Item -LiteralPath $item.FullName -Recurse -Force -WhatIf:$false }
                })
        }
    }

    # --- Event log source ---------------------------------------------------------------------
    if ($RemoveData -and (Test-LsEventLogSource -Source $product.EventSource)) {
        [void](Invoke-Change 'Event log source' $product.EventSource 'Unregister' {
                Remove-LsEventLogSource -Source $product.EventSource
            })
    }
    elseif ($RemoveData) {
        Add-Result -Step 'Event log source' -Target $product.EventSource -Status 'Unchanged' -Detail 'Not registered'
    }
    else {
        Add-Result -Step 'Event log source' -Target $product.EventSource -Status 'Skipped' -Detail 'Kept (use -RemoveData to remove)'
    }

    # --- Transport rules (information only) ---------------------------------------------------
    $rules = @(Get-TransportRule | Where-Object {
            @('Link-Security', 'X-Link-Security') -contains [string](Get-LsPropertyValue -InputObject $_ -Name 'SetHeaderName')
        })
    if ($rules.Count -gt 0) {
        Write-Warning ("Transport rules that stamp Link-Security are organization-wide and were kept: {0}. Remove them with Remove-TransportRule once no server runs the agent." -f (($rules | ForEach-Object { $_.Name }) -join ', '))
    }

    # --- Summary -----------------------------------------------------------------------------
    $changed = @($results | Where-Object { $_.Status -eq 'Changed' }).Count
    $would = @($results | Where-Object { $_.Status -eq 'WhatIf' }).Count
    if ($WhatIfPreference) {
        Write-Host "WhatIf: $would change(s) would be made; nothing was changed."
    }
    elseif ($changed -eq 0) {
        Write-Host 'No changes: ExchangeLinkSecure is already uninstalled from this server.'
    }
    else {
        Write-Host "$changed change(s) made."
    }
    $results
}
finally {
    if ($transcriptStarted) { Stop-LsTranscript }
}
