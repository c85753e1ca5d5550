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
      4. Deletes the files the install manifest (LinkSecure.manifest.json) lists, and only
         those whose SHA-256 still matches: a file changed since the install is kept and
         reported. Without a manifest no file is deleted: the script never guesses which
         files in a folder are ours.

    Until the restart the run is a transaction: if a step fails or the run is interrupted
    (Ctrl+C), the agent's registration, enabled state and priority are put back. The
    transport service is started again whenever it was running before.

    The configuration (LinkSecure.config.json, LinkSecure.nlog.config), the logs and the
    transcripts are kept, and so is the event log source (so old events stay readable),
    unless -RemoveData is given: it deletes exactly, and -WhatIf lists each one:
      - the configuration files and their templates;
      - the learned store and the MTA-STS policy cache that the configuration names
        (resolver.learnedStorePath, resolver.mtaStsCachePath), if they are inside the
        install folder (a path outside it is reported and kept);
      - the logs, transcripts and backup folders;
      - the event log source "ExchangeLinkSecure";
      - the install folder itself, if nothing else is left in it.

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
    Also delete the data: the configuration files, the learned store and MTA-STS cache inside
    the install folder, the logs, transcripts and backup folders, and the event log source.
    Refused when the folder has no install manifest.

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
# Remote Exchange Management Shell: the Exchange cmdlets are proxy functions that this script's
# $ErrorActionPreference does not reach; -ErrorAction Stop on each makes their errors stop the script.
$PSDefaultParameterValues = @{
    'Get-ExchangeServer:ErrorAction' = 'Stop'
    '*-TransportAgent:ErrorAction'   = 'Stop'
    '*-SendConnector:ErrorAction'    = 'Stop'
    'Get-TransportRule:ErrorAction'  = 'Stop'
}
Import-Module (Join-Path $PSScriptRoot 'LinkSecure.Install.psm1') -Force -Verbose:$false
Import-Module (Join-Path $PSScriptRoot 'LinkSecure.Connectors.psm1') -Force -Verbose:$false

$product = Get-LsProduct
$results = [System.Collections.Generic.List[object]]::new()
$transaction = New-LsTransaction

function Add-Result {
    param([string]$Step, [string]$Target, [string]$Status, [string]$Detail = '')
    $results.Add((New-LsStepResult -Step $Step -Target $Target -Status $Status -Detail $Detail))
}

function Invoke-Change {
    # Runs one change through ShouldProcess and records the outcome. Returns $true when done.
    # -Undo is registered before the change runs.
    param([string]$Step, [string]$Target, [string]$Action, [scriptblock]$Change, [scriptblock]$Undo, [object]$UndoState)
    if ($PSCmdlet.ShouldProcess($Target, $Action)) {
        if ($null -ne $Undo) { Add-LsUndo -Transaction $transaction -Step "$Step ($Target)" -Undo $Undo -State $UndoState }
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

Assert-LsExchangeShell
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
$folderExists = Test-Path -LiteralPath $InstallPath -PathType Container
$manifest = $null
if ($folderExists) { $manifest = Read-LsManifest -InstallPath $InstallPath }
if ($RemoveData -and $folderExists -and $null -eq $manifest) {
    throw "'$InstallPath' has no install manifest ($($product.ManifestFile)), so nothing shows it is this product's folder: -RemoveData deletes nothing there. Check the folder and delete it by hand."
}
$config = $null
if (Test-Path -LiteralPath $installedConfig -PathType Leaf) {
    try { $config = Read-LsConfig -Path $installedConfig }
    catch { Write-Warning "Could not read '$installedConfig' ($($_.Exception.Message))." }
}

if ([string]::IsNullOrEmpty($SendConnectorPrefix)) {
    $SendConnectorPrefix = 'ExchangeLinkSecure'
    if ($null -ne $config) { $SendConnectorPrefix = (Get-LsRoutingSettings -Config $config).sendConnectorPrefix }
}

# ---------------------------------------------------------------------------------------
# Changes. Until the restart, a failure or Ctrl+C puts the agent back (finally block).
# ---------------------------------------------------------------------------------------

$transcriptStarted = $false
if (-not $WhatIfPreference) {
    if ($RemoveData -or -not $folderExists) {
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

$serviceWasRunning = (Get-LsServiceStatus -Name $product.TransportService) -eq 'Running'

$listed = [System.Collections.Generic.HashSet[string]]::new([System.StringComparer]::OrdinalIgnoreCase)
function Remove-ListedItem {
    # One deletion, through ShouldProcess, so that -WhatIf lists every path it would delete (once).
    param([string]$Step, [string]$Path, [string]$What)
    if (-not (Test-Path -LiteralPath $Path)) { return }
    if (-not $listed.Add($Path)) { return }
    [void](Invoke-Change $Step $Path "Delete $What" { Remove-Item -LiteralPath $Path -Recurse -Force -WhatIf:$false })
}

try {
    Write-Host ("ExchangeLinkSecure uninstall on {0} ({1}); install folder {2}" -f $serverName, $TransportService, $InstallPath)
    $planned = [bool]$WhatIfPreference
    $agentUnloadPending = $false
    $agentBefore = $agent

    # --- Agent ------------------------------------------------------------------------------
    if ($null -eq $agent) {
        Add-Result -Step 'Agent registration' -Target $product.AgentName -Status 'Unchanged' -Detail 'Not registered'
    }
    else {
        if ([bool](Get-LsPropertyValue -InputObject $agent -Name 'Enabled')) {
            [void](Invoke-Change 'Disable agent' $product.AgentName 'Disable-TransportAgent' {
                    Disable-TransportAgent -Identity $product.AgentName -TransportService $TransportService -Confirm:$false
                } -Undo { Restore-LsAgentState -Before $agentBefore -TransportService $TransportService })
        }
        $removed = Invoke-Change 'Agent registration' $product.AgentName 'Uninstall-TransportAgent' {
            Uninstall-TransportAgent -Identity $product.AgentName -TransportService $TransportService -Confirm:$false
        } -Undo { Restore-LsAgentState -Before $agentBefore -TransportService $TransportService }
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
    # The agent is gone and the service let go of it: from here on nothing is rolled back (a file that
    # cannot be deleted is reported; the server runs without the agent either way).
    $transaction.Committed = $true

    # --- Files: only what the manifest lists, unchanged ------------------------------------------
    if ($filesLocked) {
        Add-Result -Step 'Agent files' -Target $InstallPath -Status 'Skipped' -Detail 'Still loaded by the transport service'
    }
    elseif (-not $folderExists) {
        Add-Result -Step 'Agent files' -Target $InstallPath -Status 'Unchanged' -Detail 'Folder not present'
    }
    elseif ($null -eq $manifest) {
        Add-Result -Step 'Agent files' -Target $InstallPath -Status 'Skipped' -Detail "No install manifest ($($product.ManifestFile)): no file deleted"
        Write-Warning "'$InstallPath' has no install manifest, so this script does not know which files are the product's and deletes none. Check the folder and delete the agent's files by hand."
    }
    else {
        $plan = @(Get-LsManifestRemovalPlan -InstallPath $InstallPath -Manifest $manifest -IncludeAdminFiles:$RemoveData)
        $delete = @($plan | Where-Object Action -eq 'Delete')
        foreach ($kept in @($plan | Where-Object Action -eq 'KeepChanged')) {
            Add-Result -Step 'Agent files' -Target $kept.FullName -Status 'Skipped' -Detail 'Changed since the install (SHA-256 differs): kept'
            Write-Warning "$($kept.FullName) changed since it was installed: kept. Delete it by hand if it is not needed."
        }
        if ($delete.Count -eq 0) {
            Add-Result -Step 'Agent files' -Target $InstallPath -Status 'Unchanged' -Detail 'No installed file left'
        }
        else {
            $list = ($delete | ForEach-Object { $_.Relative }) -join ', '
            [void](Invoke-Change 'Agent files' $InstallPath "Delete $($delete.Count) installed file(s): $list" {
                    foreach ($item in $delete) { Remove-Item -LiteralPath $item.FullName -Force -WhatIf:$false }
                    # Folders the manifest's files were in, deepest first, when nothing else is left in them.
                    $folders = @($delete | ForEach-Object { Split-Path -Parent $_.FullName } | Where-Object { $_.Length -gt $InstallPath.TrimEnd('\', '/').Length } | Sort-Object -Unique | Sort-Object Length -Descending)
                    foreach ($folder in $folders) {
                        if ((Test-Path -LiteralPath $folder -PathType Container) -and @(Get-ChildItem -LiteralPath $folder -Force).Count -eq 0) { Remove-Item -LiteralPath $folder -Force -WhatIf:$false }
                    }
                })
        }
        $left = @(Get-LsManifestRemovalPlan -InstallPath $InstallPath -Manifest $manifest -IncludeAdminFiles | Where-Object Action -ne 'Missing')
        if ($planned) { $left = @($plan | Where-Object { $_.Action -in 'KeepChanged', 'KeepAdmin' }) }
        if ($left.Count -eq 0) { Remove-ListedItem -Step 'Agent files' -Path (Join-Path $InstallPath $product.ManifestFile) -What 'the install manifest' }
    }

    # --- Data (-RemoveData): exactly these paths -------------------------------------------------
    if ($RemoveData -and $folderExists -and -not $filesLocked) {
        foreach ($name in $product.AdminFiles) {
            Remove-ListedItem -Step 'Data' -Path (Join-Path $InstallPath $name) -What 'the configuration file'
            Remove-ListedItem -Step 'Data' -Path (Join-Path $InstallPath ($name + $product.TemplateSuffix)) -What 'the shipped template'
        }
        foreach ($data in @(Get-LsDataPath -InstallPath $InstallPath -Config $config)) {
            if (-not $data.Inside) {
                Add-Result -Step 'Data' -Target $data.Path -Status 'Skipped' -Detail "$($data.What) is outside the install folder: kept"
                continue
            }
            if ($data.Path -like '*Uninstall-LinkSecureAgent-*') { continue }
            Remove-ListedItem -Step 'Data' -Path $data.Path -What $data.What
        }
        Remove-ListedItem -Step 'Data' -Path (Join-Path $InstallPath $product.ManifestFile) -What 'the install manifest'
        if (-not $planned -and (Test-Path -LiteralPath $InstallPath -PathType Container)) {
            $rest = @(Get-ChildItem -LiteralPath $InstallPath -Force)
            if ($rest.Count -eq 0) { Remove-ListedItem -Step 'Data' -Path $InstallPath -What 'the empty install folder' }
            else { Add-Result -Step 'Data' -Target $InstallPath -Status 'Skipped' -Detail ("Kept: it still holds {0}" -f (($rest | ForEach-Object Name) -join ', ')) }
        }
        elseif ($planned) {
            Add-Result -Step 'Data' -Target $InstallPath -Status 'WhatIf' -Detail 'Delete the install folder if nothing else is left in it'
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
    if (-not $transaction.Committed -and -not $WhatIfPreference) { $results.AddRange(@(Invoke-LsRollback -Transaction $transaction -Reason 'The uninstall did not complete: putting the agent back.')) }
    if ($serviceWasRunning -and -not $WhatIfPreference -and (Get-LsServiceStatus -Name $product.TransportService) -ne 'Running') {
        try { Start-LsService -Name $product.TransportService } catch { Write-Warning "Could not start $($product.TransportService) ($($_.Exception.Message)): start it now, mail flow on this server is stopped." }
    }
    if ($transcriptStarted) { Stop-LsTranscript }
}
