<#
.SYNOPSIS
    Installs or upgrades the ExchangeLinkSecure routing agent on this Exchange server.

.DESCRIPTION
    Run in the Exchange Management Shell, elevated ("Run as administrator"), on each
    Mailbox server (-TransportService Hub, the default) or Edge Transport server
    (-TransportService Edge) that should enforce link-secure delivery.

    The script brings the server to this state, changing only what differs:

      1. Checks, before any change: Exchange 2013 CU23, 2016 CU13, 2019 CU2 or later (or
         Subscription Edition), the .NET Framework 4.8 or later, and the configuration valid
         for the agent's own validator ("linksecure config validate", -LinkSecureCliPath).
      2. The event log source "ExchangeLinkSecure" exists in the Application log.
      3. The install folder is locked down (inheritance off; SYSTEM and Administrators full
         control, the transport service account read and execute; all by SID), and its logs
         folder is writable by the transport service account.
      4. The Send connector(s) named in the configuration's "routing" section exist and
         implement it. They are organisation-wide: only -ConfigureConnectors (the org step,
         Set-LinkSecureConnectors.ps1) creates or changes them; without it the install refuses
         connectors that are missing or differ, and never deletes or repoints one.
      5. The published agent folder (-SourcePath) is copied to the install folder
         (-InstallPath). An existing LinkSecure.config.json and LinkSecure.nlog.config are
         kept; the shipped versions are stored beside them as *.template.
      6. The agent "ExchangeLinkSecure Routing Agent" is registered (Install-TransportAgent),
         enabled, and runs after the Transport Rule Agent.
      7. A prepared configuration (-ConfigPath) is copied, after the connectors it routes to.
      8. The manifest LinkSecure.manifest.json lists every file installed, with its SHA-256
         (the uninstall script deletes only those files).
      9. The transport service is restarted when the agent or its files changed (skip with
         -NoRestart), then a health check: the agent is enabled (Get-TransportAgent), it wrote
         its start event (1000) and no factory failure (3001), and "linksecure explain
         --offline" decides a test message with the installed configuration. A
         configuration-only change needs no restart: the agent reloads the file itself, and
         the script waits for its reload event (1001; 2001 means refused).

    Transaction: every change registers its undo before it is made. If any step fails, the
    health check fails, or the run is interrupted (Ctrl+C), the changes are undone newest
    first: the previous files, configuration, manifest, ACLs, registration, enabled state
    and priority come back, and MSExchangeTransport is started again if it was running
    before. Send connectors are organisation-wide and are not removed on rollback.

    Upgrade: when the agent is registered and its files differ, the script disables the
    agent and stops the transport service before replacing the DLLs (Exchange holds them
    open), keeps a backup, then re-enables the agent and starts the service.

    A second run with the same files and configuration changes nothing and says so.
    -WhatIf shows every change without making any. Each real run writes a transcript to
    "<InstallPath>\transcripts".

.PARAMETER SourcePath
    The published agent folder (the output of "dotnet publish" of LinkSecure.Exchange):
    LinkSecure.Exchange.dll, LinkSecure.Core.dll, their dependencies,
    LinkSecure.config.json and LinkSecure.nlog.config. Default: the "agent" folder beside
    the folder that holds this script.

.PARAMETER InstallPath
    Where the agent is installed. Must be a local path (Exchange does not load agents from
    UNC paths). Default: "<Program Files>\ExchangeLinkSecure".

.PARAMETER ConfigPath
    A prepared LinkSecure.config.json to install. It replaces the installed configuration
    when it differs. Without it an existing configuration is kept, and a new install starts
    from the shipped template.

.PARAMETER TransportService
    Hub (the Transport service on a Mailbox server; default) or Edge.

.PARAMETER Priority
    An explicit agent priority. By default the agent is placed after the Transport Rule
    Agent (Edge Rule Agent on Edge) and an existing position after it is kept.

.PARAMETER SourceTransportServers
    With -ConfigureConnectors: the source servers of the connectors instead of the Internet
    connector's (see Set-LinkSecureConnectors.ps1).

.PARAMETER ConfigureConnectors
    Run the organisation-level connector step (Set-LinkSecureConnectors.ps1) with this server's
    configuration: create or change the Send connectors. Do it once for the organisation; the
    other servers' installs only check the connectors. Needs -Egress.

.PARAMETER Egress
    With -ConfigureConnectors: Direct, Edge, SmartHost or Relay, how the connectors' mail leaves
    the organisation (Set-LinkSecureConnectors.ps1, docs/admin-guide.md).

.PARAMETER InternetConnector
    With -ConfigureConnectors: the Send connector whose egress settings to copy (default: the
    Internet connector, address space *).

.PARAMETER SkipConnectors
    Neither change nor check the Send connectors (for example on a subscribed Edge Transport
    server, where connectors come from the organization through EdgeSync; check them with
    Test-LinkSecureInstallation.ps1 on a Mailbox server).

.PARAMETER NoRestart
    Do not restart the transport service. The agent loads at the next restart. An upgrade
    that must replace loaded DLLs refuses to run with -NoRestart.

.PARAMETER AllowDowngrade
    Allow installing an agent version older than the installed one.

.PARAMETER ServiceAccount
    The account the transport service runs as, as a SID (or an account name, translated to
    its SID): read and execute on the install folder, write access to the logs folder.
    Default: S-1-5-20 (NETWORK SERVICE, the account of MSExchangeTransport and EdgeTransport.exe).

.PARAMETER LinkSecureCliPath
    The linksecure admin CLI (linksecure.exe), used to validate the configuration with the
    agent's own validator before any change, and for the health check's test decision.
    Default: "cli\linksecure.exe" beside the published agent folder, else in the install folder.

.PARAMETER HealthCheckSeconds
    How long the health check waits for the agent's start or reload event. Default: 120.

.EXAMPLE
    .\Install-LinkSecureAgent.ps1 -WhatIf

    Shows what a default install would change.

.EXAMPLE
    .\Install-LinkSecureAgent.ps1 -SourcePath D:\ExchangeLinkSecure\agent -ConfigPath D:\prepared\LinkSecure.config.json

    Installs (or upgrades) from a published folder with a prepared configuration; the CLI
    that validates it is found in D:\ExchangeLinkSecure\cli\linksecure.exe.

.EXAMPLE
    .\Install-LinkSecureAgent.ps1 -ConfigPath D:\prepared\LinkSecure.config.json -ConfigureConnectors -Egress Direct

    The first server: runs the organisation-level connector step (connectors sourced and
    configured like the Internet connector), then installs.

.EXAMPLE
    .\Install-LinkSecureAgent.ps1 -ConfigPath D:\prepared\LinkSecure.config.json -LinkSecureCliPath 'C:\Tools\linksecure\linksecure.exe'

    Changes only the configuration (same agent files): no transport restart; the agent
    reloads the file and the script waits for its reload event.

.OUTPUTS
    LinkSecure.StepResult objects (Step, Status, Target, Detail). Status is Changed,
    Unchanged, WhatIf, Declined, Skipped or Failed.

.LINK
    docs/admin-guide.md
#>

#Requires -Version 5.1

[CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'Medium')]
param(
    [string]$SourcePath,
    [string]$InstallPath,
    [string]$ConfigPath,
    [ValidateSet('Hub', 'Edge')][string]$TransportService = 'Hub',
    [ValidateRange(1, 1000)][int]$Priority,
    [string[]]$SourceTransportServers,
    [switch]$ConfigureConnectors,
    [ValidateSet('Direct', 'Edge', 'SmartHost', 'Relay')][string]$Egress,
    [string]$InternetConnector,
    [switch]$SkipConnectors,
    [switch]$NoRestart,
    [switch]$AllowDowngrade,
    [string]$ServiceAccount = 'S-1-5-20',
    [string]$LinkSecureCliPath,
    [ValidateRange(1, 3600)][int]$HealthCheckSeconds = 120
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
# In the remote Exchange Management Shell the Exchange cmdlets are proxy functions of an implicit-remoting
# module: this script's $ErrorActionPreference does not reach them, and their errors would arrive as
# non-terminating. -ErrorAction Stop, supplied to every Exchange cmdlet this script calls, makes them stop it.
$PSDefaultParameterValues = @{
    'Get-ExchangeServer:ErrorAction' = 'Stop'
    '*-TransportAgent:ErrorAction'   = 'Stop'
    '*-SendConnector:ErrorAction'    = 'Stop'
}
Import-Module (Join-Path $PSScriptRoot 'LinkSecure.Install.psm1') -Force -Verbose:$false
Import-Module (Join-Path $PSScriptRoot 'LinkSecure.Connectors.psm1') -Force -Verbose:$false

$product = Get-LsProduct
$results = [System.Collections.Generic.List[object]]::new()

function Add-Result {
    param([string]$Step, [string]$Target, [string]$Status, [string]$Detail = '')
    $results.Add((New-LsStepResult -Step $Step -Target $Target -Status $Status -Detail $Detail))
}

$transaction = New-LsTransaction

function Invoke-Change {
    # Runs one change through ShouldProcess and records the outcome. Returns $true when done.
    # -Undo is registered BEFORE the change runs, so a change that fails half-way is undone too;
    # every undo block checks the state it reverses.
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
    throw 'Run the Exchange Management Shell as administrator: the script registers an event log source, writes to the install folder and restarts the transport service.'
}

$server = Get-ExchangeServer -Identity (Get-LsComputerName)
$serverName = [string](Get-LsPropertyValue -InputObject $server -Name 'Name')
$exchangeVersion = Get-LsExchangeVersion -Server $server
$gate = Test-LsExchangeVersionSupported -Version $exchangeVersion
if (-not $gate.Supported) { throw $gate.Reason }
Write-Verbose "Exchange: $($gate.Reason)"

$dotNetRelease = Get-LsDotNetFrameworkRelease
if (-not (Test-LsDotNetReleaseSupported -Release $dotNetRelease)) {
    throw ".NET Framework 4.8 or later is required (registry Release value $dotNetRelease found; 528040 or higher needed)."
}

if ([string]::IsNullOrEmpty($SourcePath)) { $SourcePath = Join-Path (Split-Path -Parent $PSScriptRoot) 'agent' }
if ([string]::IsNullOrEmpty($InstallPath)) { $InstallPath = Get-LsDefaultInstallPath }
if ($InstallPath.StartsWith('\\')) { throw "InstallPath '$InstallPath' is a UNC path; Exchange loads agents only from a local path." }
# Exchange registers the path as given: make it absolute.
$InstallPath = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($InstallPath)
if ($InstallPath.StartsWith('\\')) { throw "InstallPath '$InstallPath' is a UNC path; Exchange loads agents only from a local path." }
foreach ($required in @($product.AssemblyFile, $product.CoreAssemblyFile, $product.ConfigFile)) {
    if (-not (Test-Path -LiteralPath (Join-Path $SourcePath $required) -PathType Leaf)) {
        throw "The published agent folder '$SourcePath' lacks $required. Pass -SourcePath with the output of 'dotnet publish'."
    }
}
$SourcePath = (Resolve-Path -LiteralPath $SourcePath).ProviderPath

$installedConfig = Join-Path $InstallPath $product.ConfigFile
$assemblyPath = Join-Path $InstallPath $product.AssemblyFile
if (-not [string]::IsNullOrEmpty($ConfigPath)) {
    if (-not (Test-Path -LiteralPath $ConfigPath -PathType Leaf)) { throw "Configuration file '$ConfigPath' not found." }
    $ConfigPath = (Resolve-Path -LiteralPath $ConfigPath).ProviderPath
    $effectiveConfig = $ConfigPath
}
elseif (Test-Path -LiteralPath $installedConfig -PathType Leaf) { $effectiveConfig = $installedConfig }
else { $effectiveConfig = Join-Path $SourcePath $product.ConfigFile }
$config = Read-LsConfig -Path $effectiveConfig
$problems = @(Test-LsConfigStructure -Config $config)
if ($problems.Count -gt 0) {
    throw ("Configuration '$effectiveConfig' is not valid:`n  " + ($problems -join "`n  "))
}
$routing = Get-LsRoutingSettings -Config $config

# The agent's own validator decides (the installer's structural check above is only a first filter).
if ([string]::IsNullOrEmpty($LinkSecureCliPath)) {
    foreach ($candidate in @((Join-Path (Join-Path (Split-Path -Parent $SourcePath) 'cli') 'linksecure.exe'), (Join-Path (Join-Path $InstallPath 'cli') 'linksecure.exe'))) {
        if (Test-Path -LiteralPath $candidate -PathType Leaf) { $LinkSecureCliPath = $candidate; break }
    }
}
if ([string]::IsNullOrEmpty($LinkSecureCliPath) -or -not (Test-Path -LiteralPath $LinkSecureCliPath -PathType Leaf)) {
    throw "The linksecure admin CLI was not found ('cli\linksecure.exe' beside '$SourcePath' or in '$InstallPath'). The configuration is validated with the agent's own validator (linksecure config validate) before anything changes: pass -LinkSecureCliPath."
}
$validation = Invoke-LsCli -Path $LinkSecureCliPath -Arguments @('config', 'validate', $effectiveConfig)
if ($validation.ExitCode -ne 0) {
    throw ("Configuration '$effectiveConfig' is not valid for the agent (linksecure config validate, exit {0}):`n{1}" -f $validation.ExitCode, $validation.Output)
}
Write-Verbose "linksecure config validate: $($validation.Output)"

$agents = Get-LsTransportAgent -TransportService $TransportService
$agent = Find-LsAgent -Agents $agents -Name $product.AgentName
$previousManifest = Read-LsManifest -InstallPath $InstallPath
$foreign = @(Get-LsForeignInstallItem -InstallPath $InstallPath -SourcePath $SourcePath -Manifest $previousManifest)
if ($foreign.Count -gt 0) {
    throw ("The install folder '$InstallPath' holds files this product did not install ({0}). The agent loads DLLs from its folder and uninstall deletes only what the manifest lists: install into a folder of its own." -f (($foreign | Select-Object -First 5) -join ', '))
}
$filePlan = @(Get-LsAgentFilePlan -SourcePath $SourcePath -InstallPath $InstallPath)
$productChanges = @($filePlan | Where-Object { $_.Kind -eq 'Product' })
$configReplace = $false
if (-not [string]::IsNullOrEmpty($ConfigPath) -and $null -ne (Get-LsFileDifference -Source $ConfigPath -Destination $installedConfig)) {
    $configReplace = $true
    # The prepared file replaces the template copy of a new install.
    $filePlan = @($filePlan | Where-Object { -not ($_.Kind -eq 'AdminFile' -and $_.Relative -eq $product.ConfigFile) })
}

$newVersion = Get-LsFileVersion -Path (Join-Path $SourcePath $product.AssemblyFile)
$oldVersion = Get-LsFileVersion -Path $assemblyPath
if ($null -ne $newVersion -and $null -ne $oldVersion -and $newVersion -lt $oldVersion -and -not $AllowDowngrade) {
    throw "The installed agent ($oldVersion) is newer than the one in '$SourcePath' ($newVersion). Use -AllowDowngrade to install the older version."
}

$isUpgrade = ($null -ne $agent) -and ($productChanges.Count -gt 0)
if ($isUpgrade -and $NoRestart) {
    throw 'Upgrading replaces DLLs that the transport service holds open, so it must stop the service. Run without -NoRestart (in a maintenance window).'
}

$ruleAgentName = $product.RuleAgentName[$TransportService]
if ($ConfigureConnectors -and [string]::IsNullOrEmpty($Egress)) {
    throw '-ConfigureConnectors needs -Egress Direct, Edge, SmartHost or Relay: how the connectors'' mail leaves the organisation (docs/admin-guide.md).'
}
# With the org step, its refusals come before any change (the step itself runs below); without it, the organisation's
# connectors must already implement this routing section (the agent would route to connectors that are missing or
# enforce something else).
$connectorDrift = @()
if (-not $SkipConnectors -and $ConfigureConnectors) {
    [void](Get-LsConnectorStep -Routing $routing -Egress $Egress -Connectors @(Get-SendConnector) -LocalServer $server -Servers @(Get-ExchangeServer) -InternetConnector $InternetConnector -SourceTransportServers @($SourceTransportServers))
}
elseif (-not $SkipConnectors) {
    $connectorDrift = @(Get-LsConnectorDrift -Routing $routing -Connectors @(Get-SendConnector))
    $failed = @($connectorDrift | Where-Object { $_.Result -eq 'Fail' })
    if ($failed.Count -gt 0) {
        throw ("The Send connectors do not implement this server's routing section; nothing was changed:`n  " + (($failed | ForEach-Object { '{0}: {1}' -f $_.Check, $_.Detail }) -join "`n  ") + "`nRun Set-LinkSecureConnectors.ps1 once for the organisation (or add -ConfigureConnectors -Egress <topology>), then install again.")
    }
}

# ---------------------------------------------------------------------------------------
# Changes: one transaction. Every change after the first registers its undo; the finally
# block rolls back whatever is not committed (a failed step, a failed health check, Ctrl+C)
# and starts the transport service again if it was running when the script began.
# ---------------------------------------------------------------------------------------

$transcriptStarted = $false
if (-not $WhatIfPreference) {
    $transcriptFolder = Join-Path $InstallPath $product.TranscriptFolder
    if (-not (Test-Path -LiteralPath $transcriptFolder)) { New-Item -ItemType Directory -Path $transcriptFolder -Force -WhatIf:$false | Out-Null }
    $transcriptPath = Join-Path $transcriptFolder ('Install-LinkSecureAgent-{0}.log' -f (Get-Date -Format 'yyyyMMdd-HHmmss'))
    Start-LsTranscript -Path $transcriptPath
    $transcriptStarted = $true
}

$serviceWasRunning = (Get-LsServiceStatus -Name $product.TransportService) -eq 'Running'

function Save-FileForUndo {
    # Copies the files a step will overwrite to a backup folder; returns the state for $restoreFiles,
    # the undo that puts them back and deletes the files the step creates.
    param([string[]]$Destinations, [string]$Backup)
    foreach ($destination in $Destinations) {
        $copy = $null
        if (Test-Path -LiteralPath $destination -PathType Leaf) {
            $copy = Join-Path $Backup $destination.Substring($InstallPath.Length).TrimStart('\', '/')
            $folder = Split-Path -Parent $copy
            if (-not (Test-Path -LiteralPath $folder)) { New-Item -ItemType Directory -Path $folder -Force -WhatIf:$false | Out-Null }
            Copy-Item -LiteralPath $destination -Destination $copy -Force -WhatIf:$false
        }
        [pscustomobject]@{ Destination = $destination; Copy = $copy }
    }
}

$restoreFiles = {
    param($items)
    foreach ($item in @($items)) {
        if ($null -ne $item.Copy) { Copy-Item -LiteralPath $item.Copy -Destination $item.Destination -Force -WhatIf:$false }
        elseif (Test-Path -LiteralPath $item.Destination -PathType Leaf) { Remove-Item -LiteralPath $item.Destination -Force -WhatIf:$false }
    }
}

function Invoke-FolderAclStep {
    # One ACL step: Unchanged when already done, else the change, with the folder's previous ACL as its undo.
    param([string]$Step, [string]$Path, [bool]$Done, [string]$Detail, [string]$Action, [scriptblock]$Change)
    if ($Done) {
        Add-Result -Step $Step -Target $Path -Status 'Unchanged' -Detail $Detail
        return
    }
    $saved = $null
    if (Test-Path -LiteralPath $Path -PathType Container) { $saved = Get-LsFolderSecurity -Path $Path }
    [void](Invoke-Change $Step $Path $Action $Change -UndoState @{ Path = $Path; Sddl = $saved } -Undo {
            param($state)
            if ($null -ne $state.Sddl -and (Test-Path -LiteralPath $state.Path -PathType Container)) { Set-LsFolderSecurity -Path $state.Path -Sddl $state.Sddl }
        })
}

function Wait-AgentEvent {
    # Polls the Application log for the agent's events since a time, every 5 s for -HealthCheckSeconds;
    # returns the newest matching event or $null.
    param([int[]]$Id, [datetime]$Since)
    $polls = [int][math]::Ceiling($HealthCheckSeconds / 5)
    for ($poll = 0; $poll -le $polls; $poll++) {
        $found = @(Get-LsAgentEvent -Source $product.EventSource -LogName $product.EventLog -Id $Id -Since $Since)
        if ($found.Count -gt 0) { return $found[0] }
        if ($poll -lt $polls) { Wait-LsInterval -Seconds 5 }
    }
    $null
}

function Test-AgentHealth {
    # After a (re)start: the agent is enabled, it wrote its start event (and no factory failure), and a
    # decision on a test message works. The decision uses the CLI's "explain --offline" with the installed
    # configuration: the agent has no decision self-test of its own (its start-up self-test is DNSSEC only).
    param([datetime]$Since)
    $live = Find-LsAgent -Agents (Get-LsTransportAgent -TransportService $TransportService) -Name $product.AgentName
    if ($null -eq $live -or -not [bool]$live.Enabled) { throw 'Health check: the agent is not registered and enabled after the restart (Get-TransportAgent).' }
    $startEvent = Wait-AgentEvent -Id @($product.StartedEventId, $product.FactoryFailedEventId) -Since $Since
    if ($null -eq $startEvent) { throw "Health check: no start event $($product.StartedEventId) from '$($product.EventSource)' within $HealthCheckSeconds s of the restart: the transport service did not load the agent." }
    if ([int]$startEvent.Id -ne $product.StartedEventId) { throw "Health check: the agent factory failed to start (event $($startEvent.Id)): $($startEvent.Message)" }
    Add-Result -Step 'Health: agent loaded' -Target $product.AgentName -Status 'Unchanged' -Detail "Enabled; event $($product.StartedEventId): $($startEvent.Message)"
    $message = Join-Path ([System.IO.Path]::GetTempPath()) ('linksecure-health-{0}.eml' -f [guid]::NewGuid().ToString('N'))
    try {
        [System.IO.File]::WriteAllText($message, "From: health-check@$serverName.invalid`r`nTo: health-check@example.com`r`nSubject: ExchangeLinkSecure health check`r`nLink-Security: level=1; fallback=bounce`r`n`r`nhealth check`r`n")
        $decision = Invoke-LsCli -Path $LinkSecureCliPath -Arguments @('explain', '--offline', '--json', '--config', $installedConfig, $message)
    }
    finally { Remove-Item -LiteralPath $message -Force -ErrorAction SilentlyContinue -WhatIf:$false }
    if ($decision.ExitCode -ne 0) { throw ("Health check: 'linksecure explain --offline' could not decide a test message with the installed configuration (exit {0}): {1}" -f $decision.ExitCode, $decision.Output) }
    Add-Result -Step 'Health: test decision' -Target $installedConfig -Status 'Unchanged' -Detail 'linksecure explain --offline: decided'
}

try {
    Write-Host ("ExchangeLinkSecure install on {0} ({1}, {2}); agent {3} -> {4}" -f $serverName, $TransportService, $gate.Product, $(if ($null -ne $oldVersion) { $oldVersion } else { 'not installed' }), $(if ($null -ne $newVersion) { $newVersion } else { 'unknown version' }))
    $needsRestart = $false
    $serviceStopped = $false
    $agentDisabledForUpgrade = $false
    $agentBefore = $agent
    $backupPath = Join-Path (Join-Path $InstallPath $product.BackupFolder) (Get-Date -Format 'yyyyMMdd-HHmmss')
    # Under -WhatIf nothing is done, but the report should still show the whole sequence.
    $planned = [bool]$WhatIfPreference

    # --- Event log source (before the agent can write to it) ----------------------------
    if (Test-LsEventLogSource -Source $product.EventSource) {
        Add-Result -Step 'Event log source' -Target $product.EventSource -Status 'Unchanged'
    }
    else {
        [void](Invoke-Change 'Event log source' $product.EventSource "Register in the $($product.EventLog) log" {
                New-LsEventLogSource -Source $product.EventSource -LogName $product.EventLog
            } -Undo {
                if (Test-LsEventLogSource -Source $product.EventSource) { Remove-LsEventLogSource -Source $product.EventSource }
            })
    }

    # --- Install folder: locked down by SID (the agent loads every DLL it resolves from it) -
    if (-not $planned -and -not (Test-Path -LiteralPath $InstallPath -PathType Container)) { New-Item -ItemType Directory -Path $InstallPath -Force -WhatIf:$false | Out-Null }
    Invoke-FolderAclStep -Step 'Install folder access' -Path $InstallPath -Detail 'Locked down' `
        -Done ((Test-Path -LiteralPath $InstallPath -PathType Container) -and (Test-LsInstallFolderLocked -Path $InstallPath -ServiceSid $ServiceAccount)) `
        -Action "Lock down: inheritance off; SYSTEM and Administrators full control; $ServiceAccount read and execute" `
        -Change { Set-LsInstallFolderLocked -Path $InstallPath -ServiceSid $ServiceAccount }

    # --- Logs folder and its permission -------------------------------------------------
    $logsPath = Join-Path $InstallPath $product.LogsFolder
    if (Test-Path -LiteralPath $logsPath -PathType Container) {
        Add-Result -Step 'Logs folder' -Target $logsPath -Status 'Unchanged'
    }
    else {
        [void](Invoke-Change 'Logs folder' $logsPath 'Create folder' {
                New-Item -ItemType Directory -Path $logsPath -Force -WhatIf:$false | Out-Null
            } -Undo {
                if ((Test-Path -LiteralPath $logsPath -PathType Container) -and @(Get-ChildItem -LiteralPath $logsPath -Force).Count -eq 0) { Remove-Item -LiteralPath $logsPath -Force -WhatIf:$false }
            })
    }
    Invoke-FolderAclStep -Step 'Logs folder access' -Path $logsPath -Detail "$ServiceAccount may write" `
        -Done ((Test-Path -LiteralPath $logsPath -PathType Container) -and (Test-LsFolderWriteAccess -Path $logsPath -Account $ServiceAccount)) `
        -Action "Grant Modify to $ServiceAccount" `
        -Change { Grant-LsFolderWriteAccess -Path $logsPath -Account $ServiceAccount }

    # --- Send connectors (before the agent, so routed mail always has a connector) -------
    # Organisation-wide objects: changed only by the explicit org step (-ConfigureConnectors runs
    # Set-LinkSecureConnectors.ps1); otherwise checked in the preflight, which refuses connectors that are
    # missing or do not implement this server's routing section.
    if ($SkipConnectors) {
        Add-Result -Step 'Send connectors' -Target $routing.sendConnectorPrefix -Status 'Skipped' -Detail '-SkipConnectors'
    }
    elseif ($ConfigureConnectors) {
        $orgStep = @{ ConfigPath = $effectiveConfig; Egress = $Egress; WhatIf = [bool]$WhatIfPreference }
        if (-not [string]::IsNullOrEmpty($InternetConnector)) { $orgStep['InternetConnector'] = $InternetConnector }
        if ($PSBoundParameters.ContainsKey('SourceTransportServers')) { $orgStep['SourceTransportServers'] = $SourceTransportServers }
        foreach ($step in @(& (Join-Path $PSScriptRoot 'Set-LinkSecureConnectors.ps1') @orgStep)) { $results.Add($step) }
    }
    else {
        # Checked in the preflight ($connectorDrift): no Fail rows here.
        foreach ($row in @($connectorDrift | Where-Object { $_.Result -eq 'Warn' })) { Write-Warning ('{0}: {1}' -f $row.Check, $row.Detail) }
        Add-Result -Step 'Send connectors' -Target $routing.sendConnectorPrefix -Status 'Unchanged' -Detail ('{0} connector(s) checked against this routing section (organisation-wide; changed only with -ConfigureConnectors)' -f @(Get-LsDesiredConnectors -Routing $routing).Count)
    }

    # --- Upgrade: release the DLLs ---------------------------------------------------------
    if ($isUpgrade) {
        if ([bool](Get-LsPropertyValue -InputObject $agent -Name 'Enabled')) {
            $agentDisabledForUpgrade = Invoke-Change 'Disable agent for upgrade' $product.AgentName 'Disable-TransportAgent' {
                Disable-TransportAgent -Identity $product.AgentName -TransportService $TransportService -Confirm:$false
            } -Undo { Restore-LsAgentState -Before $agentBefore -TransportService $TransportService }
            $agentDisabledForUpgrade = $agentDisabledForUpgrade -or $planned
        }
        if ((Get-LsServiceStatus -Name $product.TransportService) -ne 'Stopped') {
            $serviceStopped = Invoke-Change 'Stop transport for upgrade' $product.TransportService 'Stop service' {
                Stop-LsService -Name $product.TransportService
            } -Undo {
                if ((Get-LsServiceStatus -Name $product.TransportService) -ne 'Running') { Start-LsService -Name $product.TransportService }
            }
            $serviceStopped = $serviceStopped -or $planned
        }
    }

    # --- Files ---------------------------------------------------------------------------
    if ($filePlan.Count -eq 0) {
        Add-Result -Step 'Agent files' -Target $InstallPath -Status 'Unchanged' -Detail 'All files match the published folder.'
    }
    else {
        $summary = ($filePlan | ForEach-Object { '{0} ({1})' -f $_.Relative, $_.Reason }) -join ', '
        $savedFiles = $null
        if (-not $planned) { $savedFiles = @(Save-FileForUndo -Destinations @($filePlan | ForEach-Object { $_.Destination }) -Backup $backupPath) }
        try {
            $copied = Invoke-Change 'Agent files' $InstallPath ("Copy {0} file(s): {1}" -f $filePlan.Count, $summary) {
                Copy-LsAgentFile -Plan $filePlan
            } -Undo $restoreFiles -UndoState $savedFiles
        }
        catch {
            throw ("Copying the agent files failed: {0}. If a file is in use, close every other Exchange Management Shell window (the shell locks the agent DLL after Install-TransportAgent) and run the script again from a new shell." -f $_.Exception.Message)
        }
        if (($copied -or $planned) -and @($filePlan | Where-Object { $_.Kind -ne 'Template' }).Count -gt 0) { $needsRestart = $true }
    }

    # --- Agent registration ---------------------------------------------------------------
    $registered = $null -ne $agent
    if ($registered) {
        $currentPath = [string](Get-LsPropertyValue -InputObject $agent -Name 'AssemblyPath')
        $currentFactory = [string](Get-LsPropertyValue -InputObject $agent -Name 'TransportAgentFactory')
        $pathDiffers = (-not [string]::IsNullOrEmpty($currentPath)) -and ($currentPath -ne $assemblyPath)
        $factoryDiffers = (-not [string]::IsNullOrEmpty($currentFactory)) -and ($currentFactory -ne $product.AgentFactory)
        if ($pathDiffers -or $factoryDiffers) {
            $removed = Invoke-Change 'Agent registration' $product.AgentName "Uninstall-TransportAgent (registered as $currentFactory in $currentPath)" {
                Uninstall-TransportAgent -Identity $product.AgentName -TransportService $TransportService -Confirm:$false
            } -Undo { Restore-LsAgentState -Before $agentBefore -TransportService $TransportService }
            if ($removed -or $planned) { $registered = $false; $needsRestart = $true }
        }
        else {
            Add-Result -Step 'Agent registration' -Target $product.AgentName -Status 'Unchanged' -Detail $assemblyPath
        }
    }
    if (-not $registered) {
        $registeredNow = Invoke-Change 'Agent registration' $product.AgentName "Install-TransportAgent -TransportAgentFactory $($product.AgentFactory) -AssemblyPath $assemblyPath" {
            Install-TransportAgent -Name $product.AgentName -TransportAgentFactory $product.AgentFactory -AssemblyPath $assemblyPath -TransportService $TransportService -Confirm:$false | Out-Null
        } -Undo { Restore-LsAgentState -Before $agentBefore -TransportService $TransportService }
        if ($registeredNow -or $planned) { $needsRestart = $true }
    }

    # Re-read: from here on, the live state decides.
    $agents = Get-LsTransportAgent -TransportService $TransportService
    $agent = Find-LsAgent -Agents $agents -Name $product.AgentName
    if ($null -eq $agent) {
        $reason = 'the agent is not registered'
        if ($WhatIfPreference) {
            Add-Result -Step 'Enable agent' -Target $product.AgentName -Status 'WhatIf' -Detail 'Enable-TransportAgent'
            Add-Result -Step 'Agent priority' -Target $product.AgentName -Status 'WhatIf' -Detail "Set-TransportAgent -Priority: after $ruleAgentName"
        }
        else {
            Add-Result -Step 'Enable agent' -Target $product.AgentName -Status 'Skipped' -Detail $reason
            Add-Result -Step 'Agent priority' -Target $product.AgentName -Status 'Skipped' -Detail $reason
        }
    }
    else {
        # --- Enable -----------------------------------------------------------------------
        if ([bool](Get-LsPropertyValue -InputObject $agent -Name 'Enabled')) {
            if ($planned -and $agentDisabledForUpgrade) {
                Add-Result -Step 'Enable agent' -Target $product.AgentName -Status 'WhatIf' -Detail 'Enable-TransportAgent (after the upgrade)'
            }
            else {
                Add-Result -Step 'Enable agent' -Target $product.AgentName -Status 'Unchanged'
            }
        }
        else {
            $enabled = Invoke-Change 'Enable agent' $product.AgentName 'Enable-TransportAgent' {
                Enable-TransportAgent -Identity $product.AgentName -TransportService $TransportService -Confirm:$false
            } -Undo { Restore-LsAgentState -Before $agentBefore -TransportService $TransportService }
            if ($enabled) {
                $needsRestart = $true
                $agentDisabledForUpgrade = $false
            }
        }

        # --- Priority ---------------------------------------------------------------------
        $current = [int](Get-LsPropertyValue -InputObject $agent -Name 'Priority')
        $ruleAgent = Find-LsAgent -Agents $agents -Name $ruleAgentName
        $desiredPriority = $current
        if ($PSBoundParameters.ContainsKey('Priority')) {
            $desiredPriority = $Priority
        }
        elseif ($null -ne $ruleAgent -and $current -le [int]$ruleAgent.Priority) {
            # Move to the end of the list: after the rules agent whatever the numbering base.
            $desiredPriority = [int](($agents | ForEach-Object { [int](Get-LsPropertyValue -InputObject $_ -Name 'Priority') } | Measure-Object -Maximum).Maximum)
        }
        if ($desiredPriority -eq $current) {
            Add-Result -Step 'Agent priority' -Target $product.AgentName -Status 'Unchanged' -Detail "Priority $current"
        }
        else {
            $moved = Invoke-Change 'Agent priority' $product.AgentName "Set-TransportAgent -Priority $desiredPriority (was $current; after $ruleAgentName)" {
                Set-TransportAgent -Identity $product.AgentName -Priority $desiredPriority -TransportService $TransportService -Confirm:$false
            } -Undo { Restore-LsAgentState -Before $agentBefore -TransportService $TransportService }
            if ($moved -or $planned) { $needsRestart = $true }
        }
        if (-not $WhatIfPreference) {
            $agents = Get-LsTransportAgent -TransportService $TransportService
            $agent = Find-LsAgent -Agents $agents -Name $product.AgentName
            $ruleAgent = Find-LsAgent -Agents $agents -Name $ruleAgentName
            if ($null -eq $ruleAgent) {
                Write-Warning "'$ruleAgentName' is not installed on this $TransportService service; the agent's position could not be checked against it."
            }
            elseif ([int]$agent.Priority -le [int]$ruleAgent.Priority) {
                Write-Warning ("The agent has priority {0}, not after '{1}' ({2}). Transport rules that stamp Link-Security must run first: set a higher priority number." -f $agent.Priority, $ruleAgentName, $ruleAgent.Priority)
            }
        }
    }

    # --- Configuration: after the connectors it routes to exist -------------------------
    $configReloadPending = $false
    $configCopiedAt = Get-Date
    if ($configReplace) {
        $savedConfig = $null
        if (-not $planned) { $savedConfig = @(Save-FileForUndo -Destinations @($installedConfig) -Backup $backupPath) }
        $copiedConfig = Invoke-Change 'Configuration' $installedConfig "Replace with $ConfigPath" {
            Copy-LsAgentFile -Plan @([pscustomobject]@{ Source = $ConfigPath; Destination = $installedConfig; Relative = $product.ConfigFile; Kind = 'AdminFile'; Reason = 'replaced' })
        } -Undo $restoreFiles -UndoState $savedConfig
        # The agent watches its configuration file and reloads it: no restart for a configuration change.
        if ($copiedConfig) { $configReloadPending = $true }
    }

    # --- Manifest: what this product installed, with hashes (uninstall deletes only these) --
    if (-not $planned) {
        $manifest = New-LsManifest -InstallPath $InstallPath -Plan $filePlan -Previous $previousManifest -Version $(if ($null -ne $newVersion) { [string]$newVersion } else { $null })
        $manifestPath = Join-Path $InstallPath $product.ManifestFile
        $same = ($null -ne $previousManifest) -and ((@($previousManifest.files) | ConvertTo-Json -Depth 4 -Compress) -eq (@($manifest.files) | ConvertTo-Json -Depth 4 -Compress))
        if ($same) {
            Add-Result -Step 'Manifest' -Target $manifestPath -Status 'Unchanged' -Detail "$(@($manifest.files).Count) file(s)"
        }
        else {
            $savedManifest = @(Save-FileForUndo -Destinations @($manifestPath) -Backup $backupPath)
            [void](Invoke-Change 'Manifest' $manifestPath "Write $(@($manifest.files).Count) file(s) with SHA-256" {
                    Write-LsManifest -InstallPath $InstallPath -Manifest $manifest
                } -Undo $restoreFiles -UndoState $savedManifest)
        }
    }
    else {
        Add-Result -Step 'Manifest' -Target (Join-Path $InstallPath $product.ManifestFile) -Status 'WhatIf' -Detail 'Write the list of installed files with SHA-256'
    }

    # --- Transport service, then the health check ------------------------------------------
    $restartedAt = $null
    # Restoring DLLs needs the service stopped: the undo of a start stops it again (the finally starts it).
    $undoStart = { if ((Get-LsServiceStatus -Name $product.TransportService) -eq 'Running') { Stop-LsService -Name $product.TransportService } }
    if ($serviceStopped) {
        $restartedAt = Get-Date
        [void](Invoke-Change 'Start transport' $product.TransportService 'Start service' { Start-LsService -Name $product.TransportService } -Undo $undoStart)
    }
    elseif ($needsRestart -and $NoRestart) {
        Add-Result -Step 'Restart transport' -Target $product.TransportService -Status 'Skipped' -Detail '-NoRestart'
        Write-Warning "Restart the transport service ($($product.TransportService)) to load the agent: Restart-Service $($product.TransportService)"
    }
    elseif ($needsRestart -and -not $serviceWasRunning) {
        Add-Result -Step 'Restart transport' -Target $product.TransportService -Status 'Skipped' -Detail 'The service was not running when the script started; it loads the agent when started.'
    }
    elseif ($needsRestart) {
        $restartedAt = Get-Date
        [void](Invoke-Change 'Restart transport' $product.TransportService 'Restart service to load the agent' { Restart-LsService -Name $product.TransportService } -Undo $undoStart)
    }
    else {
        Add-Result -Step 'Restart transport' -Target $product.TransportService -Status 'Unchanged' -Detail $(if ($configReloadPending) { 'Not needed: the agent reloads its configuration' } else { 'Not needed' })
    }

    if ($planned) {
        Add-Result -Step 'Health check' -Target $product.AgentName -Status 'WhatIf' -Detail 'Agent enabled, start event 1000, test decision (linksecure explain --offline)'
    }
    elseif ($null -ne $restartedAt) {
        Test-AgentHealth -Since $restartedAt
    }
    elseif ($configReloadPending -and $serviceWasRunning -and $null -ne $agent -and [bool]$agent.Enabled) {
        $reload = Wait-AgentEvent -Id @(1001, 2001) -Since $configCopiedAt
        if ($null -eq $reload) { Write-Warning "The agent did not report a configuration reload within $HealthCheckSeconds s (event 1001); check the Application log, or restart $($product.TransportService)." }
        elseif ([int]$reload.Id -ne 1001) { throw "The agent refused the new configuration (event $($reload.Id)): $($reload.Message)" }
        else { Add-Result -Step 'Health: configuration reloaded' -Target $installedConfig -Status 'Unchanged' -Detail 'Event 1001' }
    }

    $transaction.Committed = $true

    # --- Summary --------------------------------------------------------------------------
    $changed = @($results | Where-Object { $_.Status -eq 'Changed' }).Count
    $would = @($results | Where-Object { $_.Status -eq 'WhatIf' }).Count
    if ($WhatIfPreference) {
        Write-Host "WhatIf: $would change(s) would be made; nothing was changed."
    }
    elseif ($changed -eq 0) {
        Write-Host 'No changes: ExchangeLinkSecure is already installed as configured.'
    }
    else {
        Write-Host "$changed change(s) made. Check the result with .\Test-LinkSecureInstallation.ps1"
    }
    $results
}
finally {
    if (-not $transaction.Committed -and -not $WhatIfPreference) { $results.AddRange(@(Invoke-LsRollback -Transaction $transaction -Reason 'The install did not complete: undoing its changes.')) }
    # Whatever happened: the transport service runs again if it ran when the script started.
    if ($serviceWasRunning -and -not $WhatIfPreference -and (Get-LsServiceStatus -Name $product.TransportService) -ne 'Running') {
        try { Start-LsService -Name $product.TransportService } catch { Write-Warning "Could not start $($product.TransportService) ($($_.Exception.Message)): start it now, mail flow on this server is stopped." }
    }
    if ($transcriptStarted) { Stop-LsTranscript }
}
