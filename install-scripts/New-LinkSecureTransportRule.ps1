<#
.SYNOPSIS
    Creates (or updates) a transport rule that asks for link-secure delivery by stamping the
    Link-Security header, or the built-in rules that strip request headers from mail that
    arrives from outside the organization.

.DESCRIPTION
    The ExchangeLinkSecure agent acts on messages that carry
        Link-Security: level=<1-4>; fallback=<bounce|safe-part>
    This script creates a transport rule that stamps that header (-SetHeaderName /
    -SetHeaderValue) on the messages selected by friendly conditions:

      -ExternalRecipientsOnly   a recipient is outside the organization (-SentToScope NotInOrganization)
      -From                     the sender is one of these mailboxes or mail users (-From)
      -SenderMemberOf           the sender is a member of a distribution or security group (-FromMemberOf)
      -SenderIpRanges           the message was sent from one of these IP addresses or ranges (-SenderIpRanges),
                                for an application server that relays through Exchange
      -SentTo                   a recipient is one of these (-SentTo)
      -RecipientDomainIs        a recipient's domain is one of these, or a subdomain (-RecipientDomainIs)
      -SensitivityLabelId       the sensitivity label (the msip_labels header contains
                                "MSIP_Label_<id>_Enabled=true")
      -SubjectWords             the subject contains any of the words or phrases (-SubjectContainsWords)
      -SubjectOrBodyWords       the subject or body contains any of them (-SubjectOrBodyContainsWords)

    Conditions of different kinds must all match; several values of one kind match when any
    of them does. A rule without conditions applies to every message and needs -AllMessages.

    The default level is 1, the level a domain can prove today (MTA-STS enforce, DANE, or an
    administrator's override). Levels 2 to 4 need an authenticated declaration by the
    recipient's domain or an override; ask for them only for destinations known to meet them,
    or matched mail bounces (docs/admin-guide.md, "Choosing a level").

    The strictest request wins when several rules match. Exchange's -SetHeaderName overwrites
    the field, so every rule this script writes carries an exception
    (-ExceptIfHeaderMatchesMessageHeader Link-Security -ExceptIfHeaderMatchesPatterns ...)
    that skips it when the message already asks for at least as much: a level at least as
    high, and at the same level, bounce over safe-part. An earlier rule's stronger stamp, or
    an application's own stronger Link-Security header, is therefore never lowered, in any
    rule order. X-Link-Security and Require-TLS-ESMTP are separate fields that the rules never
    write; the agent reads every field and the strictest wins there too.

    -InboundStripRules creates (or updates) instead the four rules that remove Link-Security,
    X-Link-Security, Require-TLS-ESMTP and TLS-Required from messages not submitted inside the
    organization, decided from the X-MS-Exchange-Organization-AuthAs header the receiving
    server stamps (not from the sender's address, which an Internet sender can spoof). They
    take priorities 0 to 3, so they run before every stamping rule; the agent does the same
    on its own (docs/agent.md), so the rules matter for servers without the agent.

    If a rule with the name exists, the script changes only the settings that differ (and
    clears managed conditions that are no longer asked for). A second run with the same
    arguments changes nothing and says so. The resulting rules are printed.

    Transport rules are organization-wide on Mailbox servers. On an Edge Transport server they
    are local to that server; use -TransportService Edge there, which allows only the header
    and subject/body conditions.

.PARAMETER Name
    The rule name.

.PARAMETER Level
    The requested link-security level, 1 (default) to 4.

.PARAMETER Fallback
    What the agent does when the destination does not meet the level: bounce (default) or
    safe-part (deliver only the part marked "Link-Security-Part: safe").

.PARAMETER ExternalRecipientsOnly
    Only messages with a recipient outside the organization.

.PARAMETER From
    Senders (mailboxes, mail users or contacts, as Get-TransportRule shows them).

.PARAMETER SenderMemberOf
    Groups (distribution or security groups; name or address); the rule matches when the
    sender is a member of any of them. Alias: FromMemberOf.

.PARAMETER SenderIpRanges
    Sender IP addresses: a single address (192.0.2.10), a CIDR range (192.0.2.0/24) or a
    range (192.0.2.10-192.0.2.20), IPv4 or IPv6.

.PARAMETER SentTo
    Recipients (as Get-TransportRule shows them).

.PARAMETER RecipientDomainIs
    Recipient domains; a subdomain matches too.

.PARAMETER SensitivityLabelId
    One or more sensitivity label ids (GUIDs). msip_labels carries the sub-label's id: give
    the sub-label, not its parent.

.PARAMETER SubjectWords
    Words or phrases (at most 128 characters each) the subject contains.

.PARAMETER SubjectOrBodyWords
    Words or phrases (at most 128 characters each); the rule matches when the subject or body
    contains any of them.

.PARAMETER AllMessages
    Allow a rule without conditions (it then stamps every message).

.PARAMETER Priority
    The rule priority (0 is the highest). It must come after the strip rules, and be at most
    the number of rules (Exchange's range). Default: Exchange's default (the lowest).

.PARAMETER Mode
    Enforce (default), Audit or AuditAndNotify. Audit rules do not stamp the header.

.PARAMETER InboundStripRules
    Create or update the four strip rules instead of a stamping rule.

.PARAMETER TransportService
    Hub (Mailbox servers; default) or Edge.

.PARAMETER InstallPath
    The agent's install folder, where the transcript goes. Default:
    "<Program Files>\ExchangeLinkSecure". When the folder does not exist (for example on a
    management workstation) no transcript is written.

.EXAMPLE
    .\New-LinkSecureTransportRule.ps1 -Name 'LinkSecure: billing notices' -ExternalRecipientsOnly -From 'billing@contoso.com' -SubjectOrBodyWords 'Your invoice', 'Payment due'

.EXAMPLE
    .\New-LinkSecureTransportRule.ps1 -Name 'LinkSecure: billing relay' -ExternalRecipientsOnly -SenderIpRanges 192.0.2.10, 192.0.2.32/28

.EXAMPLE
    .\New-LinkSecureTransportRule.ps1 -Name 'LinkSecure: Confidential label' -Fallback safe-part -ExternalRecipientsOnly -SensitivityLabelId 2f8a1c5e-0d6b-4f7e-9a31-5c2d8e4b7a10

.EXAMPLE
    .\New-LinkSecureTransportRule.ps1 -Name 'LinkSecure: HR to the pension fund' -Level 3 -SenderMemberOf 'HR Department' -RecipientDomainIs pensions.example -WhatIf

.EXAMPLE
    .\New-LinkSecureTransportRule.ps1 -InboundStripRules

.OUTPUTS
    The transport rule (Get-TransportRule), after the change; with -InboundStripRules, the four.

.LINK
    docs/admin-guide.md
#>

#Requires -Version 5.1

[CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'Medium', DefaultParameterSetName = 'Stamp')]
param(
    [Parameter(Mandatory = $true, ParameterSetName = 'Stamp')][ValidateNotNullOrEmpty()][string]$Name,
    [Parameter(ParameterSetName = 'Stamp')][ValidateRange(1, 4)][int]$Level = 1,
    [Parameter(ParameterSetName = 'Stamp')][ValidateSet('bounce', 'safe-part')][string]$Fallback = 'bounce',
    [Parameter(ParameterSetName = 'Stamp')][switch]$ExternalRecipientsOnly,
    [Parameter(ParameterSetName = 'Stamp')][string[]]$From,
    [Parameter(ParameterSetName = 'Stamp')][Alias('FromMemberOf')][string[]]$SenderMemberOf,
    [Parameter(ParameterSetName = 'Stamp')][string[]]$SenderIpRanges,
    [Parameter(ParameterSetName = 'Stamp')][string[]]$SentTo,
    [Parameter(ParameterSetName = 'Stamp')][string[]]$RecipientDomainIs,
    [Parameter(ParameterSetName = 'Stamp')][guid[]]$SensitivityLabelId,
    [Parameter(ParameterSetName = 'Stamp')][string[]]$SubjectWords,
    [Parameter(ParameterSetName = 'Stamp')][string[]]$SubjectOrBodyWords,
    [Parameter(ParameterSetName = 'Stamp')][switch]$AllMessages,
    [Parameter(ParameterSetName = 'Stamp')][ValidateRange(0, 2147483647)][int]$Priority,
    [Parameter(ParameterSetName = 'Stamp')][ValidateSet('Enforce', 'Audit', 'AuditAndNotify')][string]$Mode = 'Enforce',
    [Parameter(Mandatory = $true, ParameterSetName = 'Strip')][switch]$InboundStripRules,
    [ValidateSet('Hub', 'Edge')][string]$TransportService = 'Hub',
    [string]$InstallPath
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot 'LinkSecure.Install.psm1') -Force -Verbose:$false

$product = Get-LsProduct

# The field every stamping rule writes and its exception reads.
$requestHeader = 'Link-Security'
# The request and waiver fields the agent reads (core InboundRequestFilter.Fields), in strip-rule order.
$strippedHeaders = @('Link-Security', 'X-Link-Security', 'Require-TLS-ESMTP', 'TLS-Required')
$authAsHeader = 'X-MS-Exchange-Organization-AuthAs'
$stampMarker = 'Managed by New-LinkSecureTransportRule.ps1: stamps Link-Security for the ExchangeLinkSecure agent.'
$stripMarker = 'Managed by New-LinkSecureTransportRule.ps1: strips a request header from mail not submitted inside the organization.'

# ---------------------------------------------------------------------------------------
# Helpers (rule logic only; the Exchange and Windows seams live in the module).
# ---------------------------------------------------------------------------------------

function Get-LsStricterRequestPattern {
    <#
    .SYNOPSIS
        The patterns of a Link-Security value that asks for at least as much as (Level, Fallback):
        a higher level with any fallback, or the same level with bounce unless Fallback is safe-part.
    .DESCRIPTION
        Only the well-formed forms "level=N", "level=N; fallback=F" and "fallback=F; level=N"
        (white space and a trailing ';' allowed, as the agent's parser reads them) match. Any
        other value, malformed ones included (the agent reads those as level=1; fallback=bounce),
        does not match, so the rule stamps its own request over it.
    #>
    param([int]$RequestLevel, [string]$RequestFallback)
    $any = 'bounce|safe-part'
    $forms = [System.Collections.Generic.List[object]]::new()
    if ($RequestFallback -eq 'safe-part') {
        $forms.Add(@("[$RequestLevel-4]", $any))
    }
    else {
        if ($RequestLevel -lt 4) { $forms.Add(@(('[{0}-4]' -f ($RequestLevel + 1)), $any)) }
        $forms.Add(@("[$RequestLevel]", 'bounce'))
    }
    $patterns = [System.Collections.Generic.List[string]]::new()
    # Without a fallback the parser's default is bounce, which is at least as strict as anything at that level.
    $patterns.Add(('^\s*level\s*=\s*[{0}-4]\s*;?\s*$' -f $RequestLevel))
    foreach ($form in $forms) {
        $patterns.Add(('^\s*level\s*=\s*{0}\s*;\s*fallback\s*=\s*({1})\s*;?\s*$' -f $form[0], $form[1]))
        $patterns.Add(('^\s*fallback\s*=\s*({1})\s*;\s*level\s*=\s*{0}\s*;?\s*$' -f $form[0], $form[1]))
    }
    , $patterns.ToArray()
}

function Test-LsIpRange {
    # An address, a CIDR range or a first-last range, as -SenderIpRanges accepts them.
    param([string]$Value)
    $address = $null
    if ($Value -match '^([^/]+)/(\d{1,3})$') {
        if (-not [System.Net.IPAddress]::TryParse($Matches[1], [ref]$address)) { return $false }
        $max = 32
        if ($address.AddressFamily -eq [System.Net.Sockets.AddressFamily]::InterNetworkV6) { $max = 128 }
        return ([int]$Matches[2] -le $max)
    }
    if ($Value -match '^([^-]+)-([^-]+)$') {
        $last = $null
        if (-not [System.Net.IPAddress]::TryParse($Matches[1], [ref]$address)) { return $false }
        if (-not [System.Net.IPAddress]::TryParse($Matches[2], [ref]$last)) { return $false }
        return ($address.AddressFamily -eq $last.AddressFamily)
    }
    [System.Net.IPAddress]::TryParse($Value, [ref]$address)
}

function Get-LsCleanList {
    param([object[]]$Values)
    @($Values | Where-Object { $null -ne $_ -and -not [string]::IsNullOrWhiteSpace([string]$_) } | ForEach-Object { ([string]$_).Trim() })
}

function Get-LsRulePriority {
    param([object]$Rule)
    $value = Get-LsPropertyValue -InputObject $Rule -Name 'Priority'
    if ($null -eq $value) { return [int]::MaxValue }
    [int]$value
}

function Get-LsRulePlan {
    # What to send to New-/Set-TransportRule for one rule: compares the desired conditions and
    # settings with the existing rule (or builds a new one). $Desired: managed keys, $null = not wanted.
    param([object]$Existing, [System.Collections.IDictionary]$Desired, [System.Collections.IDictionary]$Settings, [string]$Comments)
    $parameters = @{}
    $differences = [System.Collections.Generic.List[string]]::new()
    if ($null -ne $Existing) {
        foreach ($key in $Desired.Keys) {
            $want = $Desired[$key]
            $haveList = @(ConvertTo-LsNameList -InputObject (Get-LsPropertyValue -InputObject $Existing -Name $key))
            if ($null -eq $want) {
                if ($haveList.Count -gt 0) { $parameters[$key] = $null; $differences.Add("clear $key") }
            }
            elseif (-not (Test-LsSameSet -Left $haveList -Right @($want))) {
                $parameters[$key] = $want
                $differences.Add($key)
            }
        }
        foreach ($key in $Settings.Keys) {
            $have = [string](Get-LsPropertyValue -InputObject $Existing -Name $key)
            if ($have -ne [string]$Settings[$key]) { $parameters[$key] = $Settings[$key]; $differences.Add($key) }
        }
        # A header condition or exception needs both parts: send each pair together.
        foreach ($pair in @(@('HeaderContainsMessageHeader', 'HeaderContainsWords'), @('HeaderMatchesMessageHeader', 'HeaderMatchesPatterns'), @('ExceptIfHeaderMatchesMessageHeader', 'ExceptIfHeaderMatchesPatterns'))) {
            if (-not $Desired.Contains($pair[0]) -or $null -eq $Desired[$pair[0]]) { continue }
            if ($parameters.ContainsKey($pair[0]) -and -not $parameters.ContainsKey($pair[1])) { $parameters[$pair[1]] = $Desired[$pair[1]] }
            if ($parameters.ContainsKey($pair[1]) -and -not $parameters.ContainsKey($pair[0])) { $parameters[$pair[0]] = $Desired[$pair[0]] }
        }
    }
    else {
        foreach ($key in $Desired.Keys) { if ($null -ne $Desired[$key]) { $parameters[$key] = $Desired[$key] } }
        foreach ($key in $Settings.Keys) { $parameters[$key] = $Settings[$key] }
        $parameters['Comments'] = $Comments
    }
    [pscustomobject]@{ Parameters = $parameters; Differences = $differences }
}

function Invoke-LsRuleChange {
    # Creates or updates one rule after ShouldProcess; returns $false when -WhatIf (or No) skipped it.
    param([string]$RuleName, [object]$Existing, [object]$Plan, [string]$Description)
    $parameters = $Plan.Parameters
    if ($null -eq $Existing) {
        if ($PSCmdlet.ShouldProcess($RuleName, "New-TransportRule: $Description")) {
            New-TransportRule -Name $RuleName @parameters -Confirm:$false -ErrorAction Stop | Out-Null
            Write-Host "Created transport rule '$RuleName'. $Description"
            return $true
        }
        Write-Host "WhatIf: would create transport rule '$RuleName'. $Description"
        return $false
    }
    if ($Plan.Differences.Count -eq 0) {
        Write-Host "No changes: transport rule '$RuleName' already matches. $Description"
        return $true
    }
    $what = $Plan.Differences -join ', '
    if ($PSCmdlet.ShouldProcess($RuleName, "Set-TransportRule: $what")) {
        Set-TransportRule -Identity $RuleName @parameters -Confirm:$false -ErrorAction Stop
        Write-Host ("Updated transport rule '{0}' ({1}). {2}" -f $RuleName, $what, $Description)
        return $true
    }
    Write-Host ("WhatIf: would update transport rule '{0}' ({1}). {2}" -f $RuleName, $what, $Description)
    $false
}

# ---------------------------------------------------------------------------------------
# Preflight: build the rules, change nothing.
# ---------------------------------------------------------------------------------------

if (-not (Test-LsExchangeShell)) {
    Write-Verbose 'Exchange cmdlets not found; loading the Exchange snap-in.'
    try { Add-LsExchangeSnapin } catch { Write-Verbose $_.Exception.Message }
    if (-not (Test-LsExchangeShell)) {
        throw 'The Exchange cmdlets are not available. Run this script in the Exchange Management Shell.'
    }
}

$allRules = @(Get-TransportRule -ErrorAction Stop)
$stripRules = @($allRules | Where-Object { [string](Get-LsPropertyValue -InputObject $_ -Name 'Comments') -eq $stripMarker })
$work = [System.Collections.Generic.List[object]]::new()

if ($PSCmdlet.ParameterSetName -eq 'Strip') {
    for ($i = 0; $i -lt $strippedHeaders.Count; $i++) {
        $header = $strippedHeaders[$i]
        $ruleName = "LinkSecure: strip $header from mail not submitted inside the organization"
        $desired = [ordered]@{
            HeaderMatchesMessageHeader         = $null
            HeaderMatchesPatterns              = $null
            ExceptIfHeaderMatchesMessageHeader = $authAsHeader
            ExceptIfHeaderMatchesPatterns      = @('^\s*Internal\s*$')
        }
        $description = "When $authAsHeader is not 'Internal': remove the $header header (priority $i)."
        if ($header -ne 'TLS-Required') {
            # A request of unknown origin (no AuthAs at all) is kept, as the agent does: only the waiver
            # is removed then (core InboundRequestFilter).
            $desired.HeaderMatchesMessageHeader = $authAsHeader
            $desired.HeaderMatchesPatterns = @('\S')
            $description = "When $authAsHeader is present and not 'Internal': remove the $header header (priority $i)."
        }
        $settings = [ordered]@{ RemoveHeader = $header; Mode = 'Enforce'; Priority = $i }
        $work.Add([pscustomobject]@{ Name = $ruleName; Desired = $desired; Settings = $settings; Comments = $stripMarker; Description = $description })
    }
}
else {
    $senders = @(Get-LsCleanList $From)
    $groups = @(Get-LsCleanList $SenderMemberOf)
    $ranges = @(Get-LsCleanList $SenderIpRanges)
    $recipients = @(Get-LsCleanList $SentTo)
    $domains = @(Get-LsCleanList $RecipientDomainIs | ForEach-Object { $_.TrimEnd('.').ToLowerInvariant() })
    $subjectWords = @(Get-LsCleanList $SubjectWords)
    $words = @(Get-LsCleanList $SubjectOrBodyWords)
    $labels = @($SensitivityLabelId | Where-Object { $null -ne $_ -and $_ -ne [guid]::Empty })

    foreach ($range in $ranges) {
        if (-not (Test-LsIpRange -Value $range)) { throw "-SenderIpRanges: '$range' is not an IP address, a CIDR range (192.0.2.0/24) or a range (192.0.2.10-192.0.2.20)." }
    }
    foreach ($domain in $domains) {
        if (-not (Test-LsDomainName -Name $domain)) { throw "-RecipientDomainIs: '$domain' is not a domain name." }
    }
    foreach ($word in @($subjectWords) + @($words)) {
        if ($word.Length -gt 128) { throw "A word or phrase has $($word.Length) characters; Exchange allows at most 128: '$($word.Substring(0, 40))...'" }
    }
    if ($TransportService -eq 'Edge') {
        $mailboxOnly = @()
        if ($ExternalRecipientsOnly) { $mailboxOnly += '-ExternalRecipientsOnly (SentToScope)' }
        if ($senders.Count -gt 0) { $mailboxOnly += '-From' }
        if ($groups.Count -gt 0) { $mailboxOnly += '-SenderMemberOf (group membership)' }
        if ($ranges.Count -gt 0) { $mailboxOnly += '-SenderIpRanges' }
        if ($recipients.Count -gt 0) { $mailboxOnly += '-SentTo' }
        if ($domains.Count -gt 0) { $mailboxOnly += '-RecipientDomainIs' }
        if ($mailboxOnly.Count -gt 0) { throw ('{0}: available only in Mailbox server rules, not on Edge Transport; use header or subject/body conditions there.' -f ($mailboxOnly -join ', ')) }
    }

    # Every condition this script manages, with its desired value ($null = not wanted).
    $desired = [ordered]@{
        SentToScope                        = $null
        From                               = $null
        FromMemberOf                       = $null
        SenderIpRanges                     = $null
        SentTo                             = $null
        RecipientDomainIs                  = $null
        HeaderContainsMessageHeader        = $null
        HeaderContainsWords                = $null
        SubjectContainsWords               = $null
        SubjectOrBodyContainsWords         = $null
        ExceptIfHeaderMatchesMessageHeader = $requestHeader
        ExceptIfHeaderMatchesPatterns      = (Get-LsStricterRequestPattern -RequestLevel $Level -RequestFallback $Fallback)
    }
    $descriptions = [System.Collections.Generic.List[string]]::new()
    if ($ExternalRecipientsOnly) { $desired.SentToScope = 'NotInOrganization'; $descriptions.Add('a recipient is outside the organization') }
    if ($senders.Count -gt 0) { $desired.From = $senders; $descriptions.Add('the sender is ' + (($senders | ForEach-Object { "'$_'" }) -join ' or ')) }
    if ($groups.Count -gt 0) { $desired.FromMemberOf = $groups; $descriptions.Add('the sender is a member of ' + (($groups | ForEach-Object { "'$_'" }) -join ' or ')) }
    if ($ranges.Count -gt 0) { $desired.SenderIpRanges = $ranges; $descriptions.Add('the sender IP is in ' + ($ranges -join ' or ')) }
    if ($recipients.Count -gt 0) { $desired.SentTo = $recipients; $descriptions.Add('a recipient is ' + (($recipients | ForEach-Object { "'$_'" }) -join ' or ')) }
    if ($domains.Count -gt 0) { $desired.RecipientDomainIs = $domains; $descriptions.Add('a recipient domain is ' + ($domains -join ' or ')) }
    if ($labels.Count -gt 0) {
        $desired.HeaderContainsMessageHeader = 'msip_labels'
        $desired.HeaderContainsWords = @($labels | ForEach-Object { 'MSIP_Label_{0}_Enabled=true' -f $_.ToString('D') })
        $descriptions.Add('the sensitivity label is ' + (($labels | ForEach-Object { $_.ToString('D') }) -join ' or ') + ' (msip_labels header)')
    }
    if ($subjectWords.Count -gt 0) { $desired.SubjectContainsWords = $subjectWords; $descriptions.Add('the subject contains ' + (($subjectWords | ForEach-Object { "'$_'" }) -join ' or ')) }
    if ($words.Count -gt 0) { $desired.SubjectOrBodyContainsWords = $words; $descriptions.Add('the subject or body contains ' + (($words | ForEach-Object { "'$_'" }) -join ' or ')) }
    if ($descriptions.Count -eq 0 -and -not $AllMessages) {
        throw 'Give at least one condition (-ExternalRecipientsOnly, -From, -SenderMemberOf, -SenderIpRanges, -SentTo, -RecipientDomainIs, -SensitivityLabelId, -SubjectWords, -SubjectOrBodyWords), or -AllMessages to stamp every message.'
    }
    if ($descriptions.Count -eq 0) { $descriptions.Add('every message') }

    $existing = $allRules | Where-Object { [string](Get-LsPropertyValue -InputObject $_ -Name 'Name') -eq $Name } | Select-Object -First 1
    if ($null -ne $existing -and [string](Get-LsPropertyValue -InputObject $existing -Name 'Comments') -eq $stripMarker) {
        throw "Transport rule '$Name' is one of the strip rules; choose another name."
    }

    # Order: the strip rules run first (they would remove this rule's stamp from mail from outside).
    $lastStrip = -1
    foreach ($rule in $stripRules) { $lastStrip = [Math]::Max($lastStrip, (Get-LsRulePriority $rule)) }
    if ($PSBoundParameters.ContainsKey('Priority')) {
        $maximum = $allRules.Count
        if ($null -ne $existing) { $maximum = $allRules.Count - 1 }
        if ($Priority -gt $maximum) { throw "-Priority $Priority is out of range: this organization has $($allRules.Count) transport rule(s), so the priority is 0 to $maximum." }
        if ($Priority -le $lastStrip) { throw "-Priority $Priority would run before the LinkSecure strip rules (priorities 0 to $lastStrip), which would then remove this rule's stamp from mail from outside; use a priority above $lastStrip." }
    }
    elseif ($null -ne $existing -and (Get-LsRulePriority $existing) -le $lastStrip) {
        throw "Transport rule '$Name' runs before the LinkSecure strip rules (priority $(Get-LsRulePriority $existing)); give -Priority above $lastStrip."
    }

    $headerValue = 'level={0}; fallback={1}' -f $Level, $Fallback
    $settings = [ordered]@{ SetHeaderName = $requestHeader; SetHeaderValue = $headerValue; Mode = $Mode }
    if ($PSBoundParameters.ContainsKey('Priority')) { $settings.Priority = $Priority }
    $description = 'When {0}: set header "{1}: {2}" unless the message already asks for at least that (mode {3}).' -f ($descriptions -join ' and '), $requestHeader, $headerValue, $Mode
    $work.Add([pscustomobject]@{ Name = $Name; Desired = $desired; Settings = $settings; Comments = $stampMarker; Description = $description })

    # A rule that stops rule processing before this one keeps it from running on the mail it matches.
    $mine = Get-LsRulePriority $existing
    if ($PSBoundParameters.ContainsKey('Priority')) { $mine = $Priority }
    foreach ($rule in $allRules) {
        $ruleName = [string](Get-LsPropertyValue -InputObject $rule -Name 'Name')
        if ($ruleName -eq $Name) { continue }
        if ((Get-LsPropertyValue -InputObject $rule -Name 'StopRuleProcessing') -eq $true -and (Get-LsRulePriority $rule) -lt $mine -and [string](Get-LsPropertyValue -InputObject $rule -Name 'State') -ne 'Disabled') {
            Write-Warning "Transport rule '$ruleName' (priority $(Get-LsRulePriority $rule)) stops rule processing before '$Name': mail it matches is never stamped."
        }
    }
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
    $done = [System.Collections.Generic.List[string]]::new()
    foreach ($item in $work) {
        # Compared with the rules as they are now: creating a rule at a priority moves the ones below it.
        if ($work.Count -gt 1) { $allRules = @(Get-TransportRule -ErrorAction Stop) }
        $existing = $allRules | Where-Object { [string](Get-LsPropertyValue -InputObject $_ -Name 'Name') -eq $item.Name } | Select-Object -First 1
        $plan = Get-LsRulePlan -Existing $existing -Desired $item.Desired -Settings $item.Settings -Comments $item.Comments
        if (Invoke-LsRuleChange -RuleName $item.Name -Existing $existing -Plan $plan -Description $item.Description) { $done.Add($item.Name) }
    }
    foreach ($ruleName in $done) { Get-TransportRule -Identity $ruleName -ErrorAction Stop }
}
finally {
    if ($transcriptStarted) { Stop-LsTranscript }
}
