<#
.SYNOPSIS
    Installs or upgrades the ExchangeLinkSecure routing agent on this Exchange server.

.DESCRIPTION
    Run in the Exchange Management Shell, elevated ("Run as administrator"), on each
    Mailbox server (-TransportService Hub, the default) or Edge Transport server
    (-TransportService Edge) that should enforce link-secure delivery.

    The script brings the server to this state, changing only what differs:

      1. Exchange 2013 CU23, 2016 CU13, 2019 CU2 or later (or Subscription Edition), with
         the .NET Framework 4.8 or later. Otherwise it stops before changing anything.
      2. The published agent folder (-SourcePath) is copied to the install folder
         (-InstallPath). An existing LinkSecure.config.json and LinkSecure.nlog.config are
         kept; the shipped versions are stored beside them as *.template.
      3. The logs folder exists and the transport service account may write to it.
      4. The event log source "ExchangeLinkSecure" exists in the Application log.
      5. The Send connector(s) named in the configuration's "routing" section exist and
         implement it. They are organisation-wide: only -ConfigureConnectors (the org step,
         Set-LinkSecureConnectors.ps1) creates or changes them; without it the install refuses
         connectors that are missing or differ, and never deletes or repoints one.
      6. The agent "ExchangeLinkSecure Routing Agent" is registered (Install-TransportAgent),
         enabled, and runs after the Transport Rule Agent.
      7. The transport service is restarted when the agent or its files changed
         (skip with -NoRestart).

    Upgrade: when the agent is registered and its files differ, the script disables the
    agent and stops the transport service before replacing the DLLs (Exchange holds them
    open), keeps a backup, then re-enables the agent and starts the service. If copying
    fails it puts the old files back and restores the service.

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
    The account the transport service runs as, given write access to the logs folder.
    Default: NT AUTHORITY\NETWORK SERVICE.

.EXAMPLE
    .\Install-LinkSecureAgent.ps1 -WhatIf

    Shows what a default install would change.

.EXAMPLE
    .\Install-LinkSecureAgent.ps1 -SourcePath D:\ExchangeLinkSecure\agent -ConfigPath D:\prepared\LinkSecure.config.json

    Installs (or upgrades) from a published folder with a prepared configuration; the
    organisation's Send connectors must already implement its routing section.

.EXAMPLE
    .\Install-LinkSecureAgent.ps1 -ConfigPath D:\prepared\LinkSecure.config.json -ConfigureConnectors -Egress Direct

    The first server: runs the organisation-level connector step (connectors sourced and
    configured like the Internet connector), then installs.

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
    [string]$ServiceAccount = 'NT AUTHORITY\NETWORK SERVICE'
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

$agents = Get-LsTransportAgent -TransportService $TransportService
$agent = Find-LsAgent -Agents $agents -Name $product.AgentName
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
# Changes.
# ---------------------------------------------------------------------------------------

$transcriptStarted = $false
if (-not $WhatIfPreference) {
    $transcriptFolder = Join-Path $InstallPath $product.TranscriptFolder
    if (-not (Test-Path -LiteralPath $transcriptFolder)) { New-Item -ItemType Directory -Path $transcriptFolder -Force -WhatIf:$false | Out-Null }
    $transcriptPath = Join-Path $transcriptFolder ('Install-LinkSecureAgent-{0}.log' -f (Get-Date -Format 'yyyyMMdd-HHmmss'))
    Start-LsTranscript -Path $transcriptPath
    $transcriptStarted = $true
}

try {
    Write-Host ("ExchangeLinkSecure install on {0} ({1}, {2}); agent {3} -> {4}" -f $serverName, $TransportService, $gate.Product, $(if ($null -ne $oldVersion) { $oldVersion } else { 'not installed' }), $(if ($null -ne $newVersion) { $newVersion } else { 'unknown version' }))
    $needsRestart = $false
    $serviceStopped = $false
    $agentDisabledForUpgrade = $false
    $backupPath = $null
    # Under -WhatIf nothing is done, but the report should still show the whole sequence.
    $planned = [bool]$WhatIfPreference

    # --- Upgrade: release the DLLs first ------------------------------------------------
    if ($isUpgrade) {
        if ([bool](Get-LsPropertyValue -InputObject $agent -Name 'Enabled')) {
            $agentDisabledForUpgrade = Invoke-Change 'Disable agent for upgrade' $product.AgentName 'Disable-TransportAgent' {
                Disable-TransportAgent -Identity $product.AgentName -TransportService $TransportService -Confirm:$false
            }
            $agentDisabledForUpgrade = $agentDisabledForUpgrade -or $planned
        }
        if ((Get-LsServiceStatus -Name $product.TransportService) -ne 'Stopped') {
            $serviceStopped = Invoke-Change 'Stop transport for upgrade' $product.TransportService 'Stop service' {
                Stop-LsService -Name $product.TransportService
            }
            $serviceStopped = $serviceStopped -or $planned
        }
    }

    # --- Files ---------------------------------------------------------------------------
    try {
        if ($filePlan.Count -eq 0 -and -not $configReplace) {
            Add-Result -Step 'Agent files' -Target $InstallPath -Status 'Unchanged' -Detail 'All files match the published folder.'
        }
        else {
            if ($isUpgrade -and -not $WhatIfPreference) {
                $backupPath = Join-Path (Join-Path $InstallPath $product.BackupFolder) (Get-Date -Format 'yyyyMMdd-HHmmss')
                [void](Invoke-Change 'Back up agent files' $backupPath 'Copy the installed product files' {
                        New-Item -ItemType Directory -Path $backupPath -Force -WhatIf:$false | Out-Null
                        foreach ($item in $productChanges) {
                            if (Test-Path -LiteralPath $item.Destination -PathType Leaf) {
                                $target = Join-Path $backupPath $item.Relative
                                $folder = Split-Path -Parent $target
                                if (-not (Test-Path -LiteralPath $folder)) { New-Item -ItemType Directory -Path $folder -Force -WhatIf:$false | Out-Null }
                                Copy-Item -LiteralPath $item.Destination -Destination $target -Force -WhatIf:$false
                            }
                        }
                    })
            }
            if ($filePlan.Count -gt 0) {
                $summary = ($filePlan | ForEach-Object { '{0} ({1})' -f $_.Relative, $_.Reason }) -join ', '
                $copied = Invoke-Change 'Agent files' $InstallPath ("Copy {0} file(s): {1}" -f $filePlan.Count, $summary) {
                    if (-not (Test-Path -LiteralPath $InstallPath)) { New-Item -ItemType Directory -Path $InstallPath -Force -WhatIf:$false | Out-Null }
                    Copy-LsAgentFile -Plan $filePlan
                }
                if (($copied -or $planned) -and @($filePlan | Where-Object { $_.Kind -ne 'Template' }).Count -gt 0) { $needsRestart = $true }
            }
            if ($configReplace) {
                $copiedConfig = Invoke-Change 'Configuration' $installedConfig "Replace with $ConfigPath" {
                    if (-not (Test-Path -LiteralPath $InstallPath)) { New-Item -ItemType Directory -Path $InstallPath -Force -WhatIf:$false | Out-Null }
                    Copy-Item -LiteralPath $ConfigPath -Destination $installedConfig -Force -WhatIf:$false
                }
                if ($copiedConfig -or $planned) { $needsRestart = $true }
            }
        }
    }
    catch {
        $copyError = $_
        if (-not $planned -and ($serviceStopped -or $agentDisabledForUpgrade)) {
            Write-Warning "Copying failed ($($copyError.Exception.Message)). Restoring the previous files and the transport service."
            if ($null -ne $backupPath -and (Test-Path -LiteralPath $backupPath)) {
                $backupRoot = (Resolve-Path -LiteralPath $backupPath).ProviderPath
                foreach ($file in (Get-ChildItem -LiteralPath $backupRoot -Recurse -File)) {
                    $relative = $file.FullName.Substring($backupRoot.Length).TrimStart('\', '/')
                    Copy-Item -LiteralPath $file.FullName -Destination (Join-Path $InstallPath $relative) -Force -WhatIf:$false
                }
            }
            if ($agentDisabledForUpgrade) { Enable-TransportAgent -Identity $product.AgentName -TransportService $TransportService -Confirm:$false }
            if ($serviceStopped) { Start-LsService -Name $product.TransportService }
            Add-Result -Step 'Agent files' -Target $InstallPath -Status 'Failed' -Detail 'Copy failed; previous files, agent state and service restored.'
        }
        throw ("Copying the agent files failed: {0}. If a file is in use, close every other Exchange Management Shell window (the shell locks the agent DLL after Install-TransportAgent) and run the script again from a new shell." -f $copyError.Exception.Message)
    }

    # --- Logs folder and its permission -------------------------------------------------
    $logsPath = Join-Path $InstallPath $product.LogsFolder
    if (Test-Path -LiteralPath $logsPath -PathType Container) {
        Add-Result -Step 'Logs folder' -Target $logsPath -Status 'Unchanged'
    }
    else {
        [void](Invoke-Change 'Logs folder' $logsPath 'Create folder' {
                New-Item -ItemType Directory -Path $logsPath -Force -WhatIf:$false | Out-Null
            })
    }
    if ((Test-Path -LiteralPath $logsPath -PathType Container) -and (Test-LsFolderWriteAccess -Path $logsPath -Account $ServiceAccount)) {
        Add-Result -Step 'Logs folder access' -Target $logsPath -Status 'Unchanged' -Detail "$ServiceAccount may write"
    }
    else {
        [void](Invoke-Change 'Logs folder access' $logsPath "Grant Modify to $ServiceAccount" {
                Grant-LsFolderWriteAccess -Path $logsPath -Account $ServiceAccount
            })
    }

    # --- Event log source ---------------------------------------------------------------
    if (Test-LsEventLogSource -Source $product.EventSource) {
        Add-Result -Step 'Event log source' -Target $product.EventSource -Status 'Unchanged'
    }
    else {
        [void](Invoke-Change 'Event log source' $product.EventSource "Register in the $($product.EventLog) log" {
                New-LsEventLogSource -Source $product.EventSource -LogName $product.EventLog
            })
    }

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
            }
            if ($removed -or $planned) { $registered = $false; $needsRestart = $true }
        }
        else {
            Add-Result -Step 'Agent registration' -Target $product.AgentName -Status 'Unchanged' -Detail $assemblyPath
        }
    }
    $registeredNow = $false
    if (-not $registered) {
        $registeredNow = Invoke-Change 'Agent registration' $product.AgentName "Install-TransportAgent -TransportAgentFactory $($product.AgentFactory) -AssemblyPath $assemblyPath" {
            Install-TransportAgent -Name $product.AgentName -TransportAgentFactory $product.AgentFactory -AssemblyPath $assemblyPath -TransportService $TransportService -Confirm:$false | Out-Null
        }
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
            }
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
            }
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

    # --- Transport service ------------------------------------------------------------------
    if ($serviceStopped) {
        [void](Invoke-Change 'Start transport' $product.TransportService 'Start service' { Start-LsService -Name $product.TransportService })
    }
    elseif ($needsRestart -and $NoRestart) {
        Add-Result -Step 'Restart transport' -Target $product.TransportService -Status 'Skipped' -Detail '-NoRestart'
        Write-Warning "Restart the transport service ($($product.TransportService)) to load the agent: Restart-Service $($product.TransportService)"
    }
    elseif ($needsRestart) {
        [void](Invoke-Change 'Restart transport' $product.TransportService 'Restart service to load the agent' { Restart-LsService -Name $product.TransportService })
    }
    else {
        Add-Result -Step 'Restart transport' -Target $product.TransportService -Status 'Unchanged' -Detail 'Not needed'
    }

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
    if ($transcriptStarted) { Stop-LsTranscript }
}
