<#
.SYNOPSIS
    Creates (or updates) a transport rule that asks for link-secure delivery by stamping
    the Link-Security header.

.DESCRIPTION
    The ExchangeLinkSecure agent acts on messages that carry
        Link-Security: level=<1-4>; fallback=<bounce|safe-part>
    This script creates a transport rule that stamps that header (-SetHeaderName /
    -SetHeaderValue) on the messages selected by friendly conditions:

      -ExternalRecipientsOnly   recipients outside the organization (-SentToScope NotInOrganization)
      -SensitivityLabelId       messages with a sensitivity label (the msip_labels header contains
                                "MSIP_Label_<id>_Enabled=true")
      -SubjectOrBodyWords       subject or body contains any of the words or phrases
      -SenderMemberOf           the sender is a member of a group (-FromMemberOf)

    Conditions of different kinds must all match; several values of one kind match when
    any of them does. A rule without conditions applies to every message and needs
    -AllMessages.

    If a rule with the name exists, the script changes only the settings that differ
    (and clears managed conditions that are no longer asked for). A second run with the
    same arguments changes nothing and says so. The resulting rule is printed.

    Transport rules are organization-wide on Mailbox servers. On an Edge Transport server
    they are local to that server; use -TransportService Edge there, which allows only the
    header and subject/body conditions.

.PARAMETER Name
    The rule name.

.PARAMETER Level
    The requested link-security level, 1 to 4. 0 stamps "level=0", which clears a request
    made earlier (for example by another rule).

.PARAMETER Fallback
    What the agent does when the destination does not meet the level: bounce (default)
    or safe-part (deliver only the part marked "Link-Security-Part: safe").

.PARAMETER ExternalRecipientsOnly
    Only messages sent to recipients outside the organization.

.PARAMETER SensitivityLabelId
    One or more sensitivity label ids (GUIDs).

.PARAMETER SubjectOrBodyWords
    Words or phrases; the rule matches when the subject or body contains any of them.

.PARAMETER SenderMemberOf
    Groups (name or address); the rule matches when the sender is a member of any of them.
    Give names as Get-TransportRule shows them, so a second run compares equal.

.PARAMETER AllMessages
    Allow a rule without conditions (it then stamps every message).

.PARAMETER HeaderName
    Link-Security (default) or its alias X-Link-Security.

.PARAMETER Priority
    The rule priority (0 is the highest). Default: Exchange's default (the lowest).

.PARAMETER Mode
    Enforce (default), Audit or AuditAndNotify.

.PARAMETER TransportService
    Hub (Mailbox servers; default) or Edge.

.PARAMETER InstallPath
    The agent's install folder, where the transcript goes. Default:
    "<Program Files>\ExchangeLinkSecure". When the folder does not exist (for example on a
    management workstation) no transcript is written.

.EXAMPLE
    .\New-LinkSecureTransportRule.ps1 -Name 'LinkSecure: billing notices' -Level 3 -ExternalRecipientsOnly -SubjectOrBodyWords 'Your invoice', 'Payment due'

.EXAMPLE
    .\New-LinkSecureTransportRule.ps1 -Name 'LinkSecure: Confidential label' -Level 4 -Fallback safe-part -ExternalRecipientsOnly -SensitivityLabelId 2f8a1c5e-0d6b-4f7e-9a31-5c2d8e4b7a10

.EXAMPLE
    .\New-LinkSecureTransportRule.ps1 -Name 'LinkSecure: HR' -Level 3 -ExternalRecipientsOnly -SenderMemberOf 'HR Department' -WhatIf

.OUTPUTS
    The transport rule (Get-TransportRule), after the change.

.LINK
    docs/admin-guide.md
#>

#Requires -Version 5.1

[CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'Medium')]
param(
    [Parameter(Mandatory = $true)][ValidateNotNullOrEmpty()][string]$Name,
    [Parameter(Mandatory = $true)][ValidateRange(0, 4)][int]$Level,
    [ValidateSet('bounce', 'safe-part')][string]$Fallback = 'bounce',
    [switch]$ExternalRecipientsOnly,
    [guid[]]$SensitivityLabelId,
    [string[]]$SubjectOrBodyWords,
    [string[]]$SenderMemberOf,
    [switch]$AllMessages,
    [ValidateSet('Link-Security', 'X-Link-Security')][string]$HeaderName = 'Link-Security',
    [ValidateRange(0, 10000)][int]$Priority,
    [ValidateSet('Enforce', 'Audit', 'AuditAndNotify')][string]$Mode = 'Enforce',
    [ValidateSet('Hub', 'Edge')][string]$TransportService = 'Hub',
    [string]$InstallPath
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot 'LinkSecure.Install.psm1') -Force -Verbose:$false

$product = Get-LsProduct

# ---------------------------------------------------------------------------------------
# Preflight: build the rule, change nothing.
# ---------------------------------------------------------------------------------------

if (-not (Test-LsExchangeShell)) {
    Write-Verbose 'Exchange cmdlets not found; loading the Exchange snap-in.'
    try { Add-LsExchangeSnapin } catch { Write-Verbose $_.Exception.Message }
    if (-not (Test-LsExchangeShell)) {
        throw 'The Exchange cmdlets are not available. Run this script in the Exchange Management Shell.'
    }
}

$words = @($SubjectOrBodyWords | Where-Object { -not [string]::IsNullOrWhiteSpace($_) })
$groups = @($SenderMemberOf | Where-Object { -not [string]::IsNullOrWhiteSpace($_) })
$labels = @($SensitivityLabelId | Where-Object { $null -ne $_ -and $_ -ne [guid]::Empty })

if ($TransportService -eq 'Edge') {
    if ($ExternalRecipientsOnly) { throw '-ExternalRecipientsOnly (SentToScope) is available only in Mailbox server rules, not on Edge Transport.' }
    if ($groups.Count -gt 0) { throw '-SenderMemberOf (group membership) is not available in Edge Transport rules; use header or subject/body conditions there.' }
}

# Every condition this script manages, with its desired value ($null = not wanted).
$desired = [ordered]@{
    SentToScope                 = $null
    HeaderContainsMessageHeader = $null
    HeaderContainsWords         = $null
    SubjectOrBodyContainsWords  = $null
    FromMemberOf                = $null
}
$descriptions = [System.Collections.Generic.List[string]]::new()
if ($ExternalRecipientsOnly) {
    $desired.SentToScope = 'NotInOrganization'
    $descriptions.Add('a recipient is outside the organization')
}
if ($labels.Count -gt 0) {
    $desired.HeaderContainsMessageHeader = 'msip_labels'
    $desired.HeaderContainsWords = @($labels | ForEach-Object { 'MSIP_Label_{0}_Enabled=true' -f $_.ToString('D') })
    $descriptions.Add('the sensitivity label is ' + (($labels | ForEach-Object { $_.ToString('D') }) -join ' or ') + ' (msip_labels header)')
}
if ($words.Count -gt 0) {
    $desired.SubjectOrBodyContainsWords = $words
    $descriptions.Add('the subject or body contains ' + (($words | ForEach-Object { "'$_'" }) -join ' or '))
}
if ($groups.Count -gt 0) {
    $desired.FromMemberOf = $groups
    $descriptions.Add('the sender is a member of ' + (($groups | ForEach-Object { "'$_'" }) -join ' or '))
}
if ($descriptions.Count -eq 0 -and -not $AllMessages) {
    throw 'Give at least one condition (-ExternalRecipientsOnly, -SensitivityLabelId, -SubjectOrBodyWords, -SenderMemberOf), or -AllMessages to stamp every message.'
}
if ($descriptions.Count -eq 0) { $descriptions.Add('every message') }

$headerValue = 'level={0}; fallback={1}' -f $Level, $Fallback
$settings = [ordered]@{
    SetHeaderName  = $HeaderName
    SetHeaderValue = $headerValue
    Mode           = $Mode
}
if ($PSBoundParameters.ContainsKey('Priority')) { $settings.Priority = $Priority }
$description = 'When {0}: set header "{1}: {2}" (mode {3}).' -f ($descriptions -join ' and '), $HeaderName, $headerValue, $Mode

$existing = Get-TransportRule | Where-Object { [string](Get-LsPropertyValue -InputObject $_ -Name 'Name') -eq $Name } | Select-Object -First 1
$parameters = @{}
$differences = [System.Collections.Generic.List[string]]::new()
if ($null -ne $existing) {
    foreach ($key in $desired.Keys) {
        $want = $desired[$key]
        $have = Get-LsPropertyValue -InputObject $existing -Name $key
        $haveList = @(ConvertTo-LsNameList -InputObject $have)
        if ($null -eq $want) {
            if ($haveList.Count -gt 0) { $parameters[$key] = $null; $differences.Add("clear $key") }
        }
        elseif (-not (Test-LsSameSet -Left $haveList -Right @($want))) {
            $parameters[$key] = $want
            $differences.Add($key)
        }
    }
    foreach ($key in $settings.Keys) {
        $have = [string](Get-LsPropertyValue -InputObject $existing -Name $key)
        if ($have -ne [string]$settings[$key]) { $parameters[$key] = $settings[$key]; $differences.Add($key) }
    }
    # A header condition needs both parts: send the pair together.
    if ($parameters.ContainsKey('HeaderContainsWords') -and $null -ne $parameters['HeaderContainsWords'] -and -not $parameters.ContainsKey('HeaderContainsMessageHeader')) {
        $parameters['HeaderContainsMessageHeader'] = $desired.HeaderContainsMessageHeader
    }
}
else {
    foreach ($key in $desired.Keys) { if ($null -ne $desired[$key]) { $parameters[$key] = $desired[$key] } }
    foreach ($key in $settings.Keys) { $parameters[$key] = $settings[$key] }
    $parameters['Comments'] = "Managed by New-LinkSecureTransportRule.ps1: stamps $HeaderName for the ExchangeLinkSecure agent."
}

# ---------------------------------------------------------------------------------------
# Change.
# ---------------------------------------------------------------------------------------

$transcriptStarted = $false
if (-not $WhatIfPreference) {
    if ([string]::IsNullOrEmpty($InstallPath)) {
        try { $InstallPath = Get-LsDefaultInstallPath } catch { $InstallPath = $null }
    }
    if (-not [string]::IsNullOrEmpty($InstallPath) -and (Test-Path -LiteralPath $InstallPath -PathType Container)) {
        $transcriptFolder = Join-Path $InstallPath $product.TranscriptFolder
        if (-not (Test-Path -LiteralPath $transcriptFolder)) { New-Item -ItemType Directory -Path $transcriptFolder -Force -WhatIf:$false | Out-Null }
        Start-LsTranscript -Path (Join-Path $transcriptFolder ('New-LinkSecureTransportRule-{0}.log' -f (Get-Date -Format 'yyyyMMdd-HHmmss')))
        $transcriptStarted = $true
    }
    else {
        Write-Verbose "No install folder at '$InstallPath'; no transcript is written."
    }
}

try {
    if ($null -eq $existing) {
        if ($PSCmdlet.ShouldProcess($Name, "New-TransportRule: $description")) {
            New-TransportRule -Name $Name @parameters -Confirm:$false | Out-Null
            Write-Host "Created transport rule '$Name'. $description"
        }
        else {
            Write-Host "WhatIf: would create transport rule '$Name'. $description"
            return
        }
    }
    elseif ($differences.Count -eq 0) {
        Write-Host "No changes: transport rule '$Name' already matches. $description"
    }
    else {
        if ($PSCmdlet.ShouldProcess($Name, 'Set-TransportRule: ' + ($differences -join ', '))) {
            Set-TransportRule -Identity $Name @parameters -Confirm:$false
            Write-Host ("Updated transport rule '{0}' ({1}). {2}" -f $Name, ($differences -join ', '), $description)
        }
        else {
            Write-Host ("WhatIf: would update transport rule '{0}' ({1}). {2}" -f $Name, ($differences -join ', '), $description)
            return
        }
    }
    Get-TransportRule -Identity $Name
}
finally {
    if ($transcriptStarted) { Stop-LsTranscript }
}
