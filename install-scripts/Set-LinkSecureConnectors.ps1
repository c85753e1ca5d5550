<#
.SYNOPSIS
    Creates, changes or removes the ExchangeLinkSecure Send connectors: the organisation-level step.

.DESCRIPTION
    Send connectors are organisation-wide: every server's agent routes to the same ones. This script
    is the only thing that creates, changes or removes them (Install-LinkSecureAgent.ps1
    -ConfigureConnectors and Uninstall-LinkSecureAgent.ps1 -RemoveConnectors run it). Run it once for
    the organisation, before installing the agent on the servers, and again whenever the "routing"
    section changes (the section must be identical on every server).

    It brings the connectors to what the configuration's "routing" section and the egress topology
    call for, changing only what differs:

      * one connector per route: DomainValidation, CertificateValidation and EncryptionOnly (DNS
        routing, SMTP address spaces) in connector mode; the Relay connector (smart hosts, address
        space type routing.smartHostAddressSpaceType, -TlsDomain routing.smartHostTlsDomain) in
        smartHost mode or beside them for a validating relay;
      * RequireTLS and the route's TlsAuthLevel;
      * the egress settings of the chosen topology (-Egress) and verbose protocol logging;
      * a Comment recording what the connector implements, which Test-LinkSecureInstallation.ps1
        compares with each server's configuration.

    A connector of ours that the routing section no longer uses is reported and kept (other servers
    may still route to it) unless -RemoveUnused is given. -RemoveConnectors removes them all.

    Combinations Exchange rejects (Mailbox and Edge subscription sources on one connector, a
    DomainValidation smart host without TlsDomain, a non-SMTP address space on Edge) are refused
    before anything changes, with what to do instead. -WhatIf shows every change without making it.

.PARAMETER ConfigPath
    The LinkSecure.config.json whose "routing" section the connectors implement. Default: the
    configuration in the default install folder.

.PARAMETER Egress
    How the connectors' mail leaves the organisation:
    Direct    - from the Mailbox servers that source the Internet connector, with its Fqdn,
                TlsCertificateName, FrontendProxyEnabled, UseExternalDNSServersEnabled and
                MaxMessageSize (routing.mode connector);
    Edge      - from the Edge subscription that sources the EdgeSync Internet connector; install the
                agent on the Edge Transport servers;
    SmartHost - through the smart hosts of routing.mode smartHost;
    Relay     - through the LinkSecure validating relay (routing.validatingRelay, docs/relay.md).
    Required unless -RemoveConnectors is given.

.PARAMETER InternetConnector
    The Send connector whose egress settings to copy. Default: the one enabled connector with the
    address space * that is not ours.

.PARAMETER SourceTransportServers
    The source servers of the connectors instead of the Internet connector's (Mailbox servers, or
    for -Egress Edge the Edge subscription). Never both kinds.

.PARAMETER RemoveUnused
    Also remove connectors of ours that the routing section does not use (after a mode change, once
    every server runs the new configuration).

.PARAMETER RemoveConnectors
    Remove every connector of ours (decommissioning: after the agent is uninstalled from the last
    server). Nothing is created or changed.

.PARAMETER Force
    Allow changing the address space of an existing connector (repointing it). Every server that
    still routes to the old address space loses its route, so the script refuses without -Force.

.PARAMETER SendConnectorPrefix
    With -RemoveConnectors and no configuration: the prefix of the connector names. Default: the
    configuration's routing.sendConnectorPrefix, else ExchangeLinkSecure.

.EXAMPLE
    .\Set-LinkSecureConnectors.ps1 -ConfigPath D:\prepared\LinkSecure.config.json -Egress Direct -WhatIf

    Shows the connectors the prepared configuration needs, sourced and configured like the
    Internet connector.

.EXAMPLE
    .\Set-LinkSecureConnectors.ps1 -RemoveConnectors

    Removes the product's connectors after the last server was uninstalled.

.OUTPUTS
    LinkSecure.StepResult objects (Step, Status, Target, Detail).

.LINK
    docs/admin-guide.md
#>

#Requires -Version 5.1

[CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'High')]
param(
    [string]$ConfigPath,
    [ValidateSet('Direct', 'Edge', 'SmartHost', 'Relay')][string]$Egress,
    [string]$InternetConnector,
    [string[]]$SourceTransportServers,
    [switch]$RemoveUnused,
    [switch]$RemoveConnectors,
    [string]$SendConnectorPrefix,
    [switch]$Force
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot 'LinkSecure.Install.psm1') -Verbose:$false
Import-Module (Join-Path $PSScriptRoot 'LinkSecure.Connectors.psm1') -Verbose:$false

$product = Get-LsProduct

if (-not (Test-LsExchangeShell)) {
    throw 'The Exchange cmdlets are not available. Run this script in the Exchange Management Shell.'
}
if (-not $RemoveConnectors -and [string]::IsNullOrEmpty($Egress)) {
    throw 'Give -Egress Direct, Edge, SmartHost or Relay: how the connectors'' mail leaves the organisation (docs/admin-guide.md, "The egress decision").'
}
if ($RemoveConnectors -and ($RemoveUnused -or -not [string]::IsNullOrEmpty($Egress))) {
    throw '-RemoveConnectors removes every connector of ours; it does not go with -Egress or -RemoveUnused.'
}

if ([string]::IsNullOrEmpty($ConfigPath) -and -not ($RemoveConnectors -and -not [string]::IsNullOrEmpty($SendConnectorPrefix))) {
    $ConfigPath = Join-Path (Get-LsDefaultInstallPath) $product.ConfigFile
}
$routing = $null
if (-not [string]::IsNullOrEmpty($ConfigPath) -and (Test-Path -LiteralPath $ConfigPath -PathType Leaf)) {
    $routing = Get-LsRoutingSettings -Config (Read-LsConfig -Path $ConfigPath)
    $problems = @(Test-LsRoutingSettings -Routing $routing)
    if ($problems.Count -gt 0 -and -not $RemoveConnectors) {
        throw ("The routing section of '$ConfigPath' is not valid:`n  " + ($problems -join "`n  "))
    }
}
elseif (-not $RemoveConnectors) {
    throw "Configuration file '$ConfigPath' not found. Give -ConfigPath: the connectors implement its routing section."
}
if ($RemoveConnectors) {
    $prefix = $SendConnectorPrefix
    if ([string]::IsNullOrEmpty($prefix) -and $null -ne $routing) { $prefix = $routing.sendConnectorPrefix }
    if ([string]::IsNullOrEmpty($prefix)) { $prefix = 'ExchangeLinkSecure' }
    $routing = Get-LsRoutingSettings -Config ([pscustomobject]@{ routing = [pscustomobject]@{ sendConnectorPrefix = $prefix } })
}

$local = Get-ExchangeServer -Identity (Get-LsComputerName)
$servers = @(if (-not $RemoveConnectors) { Get-ExchangeServer })
$stepArguments = @{ Routing = $routing; Connectors = @(Get-SendConnector); LocalServer = $local; Servers = $servers; InternetConnector = $InternetConnector; SourceTransportServers = @($SourceTransportServers) }
if (-not $RemoveConnectors) { $stepArguments['Egress'] = $Egress }
$plan = @(Get-LsConnectorStep @stepArguments -Remove:$RemoveConnectors -RemoveUnused:$RemoveUnused -Force:$Force)
foreach ($item in $plan) {
    if (@('Unchanged', 'Unused') -contains $item.Action) {
        New-LsStepResult -Step 'Send connector' -Target $item.Name -Status $(if ($item.Action -eq 'Unused') { 'Skipped' } else { 'Unchanged' }) -Detail $item.Detail
        continue
    }
    if (-not $PSCmdlet.ShouldProcess($item.Name, $item.Detail)) {
        New-LsStepResult -Step 'Send connector' -Target $item.Name -Status $(if ($WhatIfPreference) { 'WhatIf' } else { 'Declined' }) -Detail $item.Detail
        continue
    }
    $parameters = $item.Parameters
    switch ($item.Action) {
        'New' { New-SendConnector @parameters -Confirm:$false -ErrorAction Stop | Out-Null }
        'Set' { Set-SendConnector @parameters -Confirm:$false -ErrorAction Stop }
        'Remove' { Remove-SendConnector @parameters -Confirm:$false -ErrorAction Stop }
    }
    New-LsStepResult -Step 'Send connector' -Target $item.Name -Status 'Changed' -Detail $item.Detail
}
if ($plan.Count -eq 0) {
    New-LsStepResult -Step 'Send connectors' -Target $routing.sendConnectorPrefix -Status 'Unchanged' -Detail 'None present'
}
