# A stand-in for Exchange's transport rules, for the transport-rule tests.
#
# Dot-source after StandIns.ps1. It provides:
#
#   * Install-LsRuleStandIns: Get-, New- and Set-TransportRule fakes that know every parameter
#     New-LinkSecureTransportRule.ps1 uses and refuse what Exchange refuses: a duplicate name,
#     a priority outside 0..(number of rules), a header condition or exception without its
#     words or patterns, SetHeaderName without SetHeaderValue, a rule without an action, a
#     pattern that is not a regular expression. Priorities are kept dense and unique, and a
#     rule created or moved to priority N pushes the others down, as in Exchange.
#   * Invoke-LsRuleEngine: applies the fake organization's rules to a test message in
#     priority order with Exchange's semantics: every condition kind present must match (any
#     value of a kind), any exception stops the rule, SetHeaderName replaces the field
#     ("adds or modifies"), RemoveHeader removes every instance, Audit modes do nothing,
#     StopRuleProcessing ends the pass, disabled rules are skipped.
#   * ConvertFrom-LsRequestHeader: the agent's request parser (src/LinkSecure.Core/Protocol/
#     RequestParser.cs) written again in PowerShell, to read the header the rules leave.
#     RequestCases.json holds cases that both this port (TransportRule.Tests.ps1) and the
#     real parser (tests/LinkSecure.Core.Tests/Protocol/RequestParserCaseFileTests.cs) must
#     read the same way, so the port cannot drift from the parser unnoticed.
#
# Header matching is case-insensitive, as in Exchange (lab item: docs/admin-guide.md).

Set-StrictMode -Version Latest

$global:LsRuleListParameters = @(
    'From', 'FromMemberOf', 'SenderIpRanges', 'SentTo', 'RecipientDomainIs', 'HeaderContainsWords', 'HeaderMatchesPatterns',
    'SubjectContainsWords', 'SubjectOrBodyContainsWords', 'ExceptIfHeaderMatchesPatterns'
)
$global:LsRuleScalarParameters = @(
    'SentToScope', 'HeaderContainsMessageHeader', 'HeaderMatchesMessageHeader', 'ExceptIfHeaderMatchesMessageHeader',
    'SetHeaderName', 'SetHeaderValue', 'RemoveHeader', 'Mode', 'Comments', 'StopRuleProcessing', 'State'
)

function global:Update-LsFakeRulePriority {
    $list = $global:LsFake.Rules
    for ($i = 0; $i -lt $list.Count; $i++) { $list[$i].Priority = $i }
}

function global:Test-LsFakeRuleShape {
    # What Exchange refuses in a rule's final shape.
    param([object]$Rule)
    foreach ($pair in @(@('HeaderContainsMessageHeader', 'HeaderContainsWords'), @('HeaderMatchesMessageHeader', 'HeaderMatchesPatterns'), @('ExceptIfHeaderMatchesMessageHeader', 'ExceptIfHeaderMatchesPatterns'))) {
        $hasHeader = -not [string]::IsNullOrEmpty([string]$Rule.($pair[0]))
        $hasValues = @($Rule.($pair[1]) | Where-Object { -not [string]::IsNullOrEmpty([string]$_) }).Count -gt 0
        if ($hasHeader -ne $hasValues) { throw "$($pair[0]) and $($pair[1]) must be used together." }
    }
    foreach ($key in @('HeaderMatchesPatterns', 'ExceptIfHeaderMatchesPatterns')) {
        foreach ($pattern in @($Rule.$key | Where-Object { $null -ne $_ })) {
            try { [void][regex]::new([string]$pattern) } catch { throw "The pattern '$pattern' is not a valid regular expression." }
        }
    }
    if (([string]::IsNullOrEmpty([string]$Rule.SetHeaderName)) -ne ([string]::IsNullOrEmpty([string]$Rule.SetHeaderValue))) { throw 'SetHeaderName and SetHeaderValue must be used together.' }
    if ([string]::IsNullOrEmpty([string]$Rule.SetHeaderName) -and [string]::IsNullOrEmpty([string]$Rule.RemoveHeader)) { throw 'A transport rule needs at least one action.' }
}

function global:Install-LsRuleStandIns {
    function global:Get-TransportRule {
        [CmdletBinding()] param([Parameter(Position = 0)][object]$Identity)
        Add-LsCall 'Get-TransportRule' $PSBoundParameters
        $list = @($global:LsFake.Rules)
        if ($null -ne $Identity) {
            $list = @($list | Where-Object { $_.Name -eq [string]$Identity })
            if ($list.Count -eq 0) { throw "The operation couldn't be performed because object '$Identity' couldn't be found." }
        }
        foreach ($r in $list) { $r.PSObject.Copy() }
    }

    function global:New-TransportRule {
        [CmdletBinding(SupportsShouldProcess = $true)]
        param(
            [Parameter(Mandatory = $true, Position = 0)][string]$Name,
            [object]$SentToScope, [object[]]$From, [object[]]$FromMemberOf, [object[]]$SenderIpRanges, [object[]]$SentTo, [object[]]$RecipientDomainIs,
            [object]$HeaderContainsMessageHeader, [object[]]$HeaderContainsWords, [object]$HeaderMatchesMessageHeader, [object[]]$HeaderMatchesPatterns,
            [object[]]$SubjectContainsWords, [object[]]$SubjectOrBodyContainsWords,
            [object]$ExceptIfHeaderMatchesMessageHeader, [object[]]$ExceptIfHeaderMatchesPatterns,
            [object]$SetHeaderName, [object]$SetHeaderValue, [object]$RemoveHeader,
            [int]$Priority, [string]$Mode = 'Enforce', [string]$Comments, [bool]$StopRuleProcessing = $false, [bool]$Enabled = $true
        )
        Add-LsCall 'New-TransportRule' $PSBoundParameters
        Invoke-LsFakeFailure 'New-TransportRule'
        if (@($global:LsFake.Rules | Where-Object { $_.Name -eq $Name }).Count -gt 0) { throw "A transport rule named '$Name' already exists." }
        $count = $global:LsFake.Rules.Count
        if ($PSBoundParameters.ContainsKey('Priority') -and ($Priority -lt 0 -or $Priority -gt $count)) { throw "The priority must be between 0 and $count." }
        $rule = [ordered]@{ Name = $Name; Identity = $Name; Priority = 0; State = 'Enabled' }
        foreach ($key in $global:LsRuleScalarParameters) { $rule[$key] = $null }
        foreach ($key in $global:LsRuleListParameters) { $rule[$key] = $null }
        $rule.Mode = $Mode
        $rule.StopRuleProcessing = $StopRuleProcessing
        if (-not $Enabled) { $rule.State = 'Disabled' }
        foreach ($key in $PSBoundParameters.Keys) {
            if ($global:LsRuleListParameters -contains $key) { $rule[$key] = @($PSBoundParameters[$key] | ForEach-Object { [string]$_ }) }
            elseif (@('SentToScope', 'HeaderContainsMessageHeader', 'HeaderMatchesMessageHeader', 'ExceptIfHeaderMatchesMessageHeader', 'SetHeaderName', 'SetHeaderValue', 'RemoveHeader', 'Comments') -contains $key) { $rule[$key] = [string]$PSBoundParameters[$key] }
        }
        $object = [pscustomobject]$rule
        Test-LsFakeRuleShape $object
        if ($PSBoundParameters.ContainsKey('Priority')) { $global:LsFake.Rules.Insert($Priority, $object) } else { $global:LsFake.Rules.Add($object) }
        Update-LsFakeRulePriority
        $object
    }

    function global:Set-TransportRule {
        [CmdletBinding(SupportsShouldProcess = $true)]
        param(
            [Parameter(Mandatory = $true, Position = 0)][object]$Identity,
            [object]$SentToScope, [object[]]$From, [object[]]$FromMemberOf, [object[]]$SenderIpRanges, [object[]]$SentTo, [object[]]$RecipientDomainIs,
            [object]$HeaderContainsMessageHeader, [object[]]$HeaderContainsWords, [object]$HeaderMatchesMessageHeader, [object[]]$HeaderMatchesPatterns,
            [object[]]$SubjectContainsWords, [object[]]$SubjectOrBodyContainsWords,
            [object]$ExceptIfHeaderMatchesMessageHeader, [object[]]$ExceptIfHeaderMatchesPatterns,
            [object]$SetHeaderName, [object]$SetHeaderValue, [object]$RemoveHeader,
            [int]$Priority, [string]$Mode, [string]$Comments, [bool]$StopRuleProcessing
        )
        Add-LsCall 'Set-TransportRule' $PSBoundParameters
        Invoke-LsFakeFailure 'Set-TransportRule'
        $rule = $global:LsFake.Rules | Where-Object { $_.Name -eq [string]$Identity } | Select-Object -First 1
        if ($null -eq $rule) { throw "The operation couldn't be performed because object '$Identity' couldn't be found." }
        $copy = $rule.PSObject.Copy()
        foreach ($key in $PSBoundParameters.Keys) {
            if (@('Identity', 'Priority', 'Confirm', 'WhatIf', 'Verbose', 'Debug', 'ErrorAction') -contains $key) { continue }
            $value = $PSBoundParameters[$key]
            if ($null -ne $value -and $global:LsRuleListParameters -contains $key) { $value = @($value | ForEach-Object { [string]$_ }) }
            elseif ($null -ne $value -and $key -ne 'StopRuleProcessing') { $value = [string]$value }
            $copy.$key = $value
        }
        Test-LsFakeRuleShape $copy
        foreach ($property in $copy.PSObject.Properties) { $rule.($property.Name) = $property.Value }
        if ($PSBoundParameters.ContainsKey('Priority')) {
            $last = $global:LsFake.Rules.Count - 1
            if ($Priority -lt 0 -or $Priority -gt $last) { throw "The priority must be between 0 and $last." }
            [void]$global:LsFake.Rules.Remove($rule)
            $global:LsFake.Rules.Insert($Priority, $rule)
            Update-LsFakeRulePriority
        }
    }
}

function global:Add-LsFakeRule {
    # A rule made by someone else (an administrator, another product), straight into the fake organization.
    param([hashtable]$Rule)
    $object = [ordered]@{ Name = $Rule.Name; Identity = $Rule.Name; Priority = 0; State = 'Enabled' }
    foreach ($key in $global:LsRuleScalarParameters) { $object[$key] = $null }
    foreach ($key in $global:LsRuleListParameters) { $object[$key] = $null }
    $object.Mode = 'Enforce'
    $object.StopRuleProcessing = $false
    foreach ($key in $Rule.Keys) { $object[$key] = $Rule[$key] }
    $global:LsFake.Rules.Add([pscustomobject]$object)
    Update-LsFakeRulePriority
}

function global:New-LsTestMessage {
    # A message as the rules see it. Headers: an ordered list of @{ Name; Value }.
    param(
        [string]$From = 'alice@contoso.example',
        [string[]]$FromGroups = @(),
        [string]$SenderIp = '10.0.0.5',
        [string[]]$To = @('bob@partner.example'),
        [string]$Subject = 'Hello',
        [string]$Body = 'Text.',
        [object[]]$Headers = @(),
        [string[]]$AcceptedDomains = @('contoso.example')
    )
    $list = [System.Collections.Generic.List[object]]::new()
    foreach ($header in $Headers) { $list.Add([pscustomobject]@{ Name = [string]$header[0]; Value = [string]$header[1] }) }
    [pscustomobject]@{ From = $From; FromGroups = $FromGroups; SenderIp = $SenderIp; To = $To; Subject = $Subject; Body = $Body; Headers = $list; AcceptedDomains = $AcceptedDomains }
}

function global:Test-LsFakeIpInRange {
    param([string]$Ip, [string]$Range)
    $address = [System.Net.IPAddress]::Parse($Ip).GetAddressBytes()
    if ($Range -match '^([^/]+)/(\d+)$') {
        $network = [System.Net.IPAddress]::Parse($Matches[1]).GetAddressBytes()
        $bits = [int]$Matches[2]
        if ($network.Length -ne $address.Length) { return $false }
        for ($i = 0; $i -lt $address.Length; $i++) {
            $take = [Math]::Min(8, [Math]::Max(0, $bits - 8 * $i))
            $mask = [byte]((0xFF -shl (8 - $take)) -band 0xFF)
            if (($address[$i] -band $mask) -ne ($network[$i] -band $mask)) { return $false }
        }
        return $true
    }
    if ($Range -match '^([^-]+)-([^-]+)$') {
        $first = [System.Net.IPAddress]::Parse($Matches[1]).GetAddressBytes()
        $last = [System.Net.IPAddress]::Parse($Matches[2]).GetAddressBytes()
        $value = [System.Numerics.BigInteger]::new([byte[]](@($address[($address.Length - 1)..0]) + 0))
        $low = [System.Numerics.BigInteger]::new([byte[]](@($first[($first.Length - 1)..0]) + 0))
        $high = [System.Numerics.BigInteger]::new([byte[]](@($last[($last.Length - 1)..0]) + 0))
        return ($value -ge $low -and $value -le $high)
    }
    [System.Net.IPAddress]::Parse($Range).Equals([System.Net.IPAddress]::Parse($Ip))
}

function global:Test-LsFakeRuleMatches {
    param([object]$Rule, [object]$Message)
    $has = { param($v) @($v | Where-Object { -not [string]::IsNullOrEmpty([string]$_) }).Count -gt 0 }
    $headerValues = { param($name) @($Message.Headers | Where-Object { $_.Name -eq $name } | ForEach-Object { $_.Value }) }
    $isOutside = { param($address) $domain = ($address -split '@')[-1]; -not (@($Message.AcceptedDomains) -contains $domain.ToLowerInvariant()) }

    if ($Rule.SentToScope -eq 'NotInOrganization' -and -not (@($Message.To | Where-Object { & $isOutside $_ }).Count -gt 0)) { return $false }
    if ((& $has $Rule.From) -and -not (@($Rule.From) -contains $Message.From)) { return $false }
    if ((& $has $Rule.FromMemberOf) -and @($Rule.FromMemberOf | Where-Object { @($Message.FromGroups) -contains $_ }).Count -eq 0) { return $false }
    if ((& $has $Rule.SenderIpRanges) -and @($Rule.SenderIpRanges | Where-Object { Test-LsFakeIpInRange -Ip $Message.SenderIp -Range $_ }).Count -eq 0) { return $false }
    if ((& $has $Rule.SentTo) -and @($Rule.SentTo | Where-Object { @($Message.To) -contains $_ }).Count -eq 0) { return $false }
    if (& $has $Rule.RecipientDomainIs) {
        $hit = @($Message.To | Where-Object { $d = ($_ -split '@')[-1].ToLowerInvariant(); @($Rule.RecipientDomainIs | Where-Object { $d -eq $_ -or $d.EndsWith('.' + $_) }).Count -gt 0 })
        if ($hit.Count -eq 0) { return $false }
    }
    if (-not [string]::IsNullOrEmpty([string]$Rule.HeaderContainsMessageHeader)) {
        $values = & $headerValues $Rule.HeaderContainsMessageHeader
        if (@($values | Where-Object { $v = $_; @($Rule.HeaderContainsWords | Where-Object { $v.IndexOf($_, [StringComparison]::OrdinalIgnoreCase) -ge 0 }).Count -gt 0 }).Count -eq 0) { return $false }
    }
    if (-not [string]::IsNullOrEmpty([string]$Rule.HeaderMatchesMessageHeader)) {
        $values = & $headerValues $Rule.HeaderMatchesMessageHeader
        if (@($values | Where-Object { $v = $_; @($Rule.HeaderMatchesPatterns | Where-Object { [regex]::IsMatch($v, $_, 'IgnoreCase') }).Count -gt 0 }).Count -eq 0) { return $false }
    }
    if ((& $has $Rule.SubjectContainsWords) -and @($Rule.SubjectContainsWords | Where-Object { $Message.Subject.IndexOf($_, [StringComparison]::OrdinalIgnoreCase) -ge 0 }).Count -eq 0) { return $false }
    if ((& $has $Rule.SubjectOrBodyContainsWords) -and @($Rule.SubjectOrBodyContainsWords | Where-Object { ($Message.Subject + "`n" + $Message.Body).IndexOf($_, [StringComparison]::OrdinalIgnoreCase) -ge 0 }).Count -eq 0) { return $false }
    if (-not [string]::IsNullOrEmpty([string]$Rule.ExceptIfHeaderMatchesMessageHeader)) {
        $values = & $headerValues $Rule.ExceptIfHeaderMatchesMessageHeader
        if (@($values | Where-Object { $v = $_; @($Rule.ExceptIfHeaderMatchesPatterns | Where-Object { [regex]::IsMatch($v, $_, 'IgnoreCase') }).Count -gt 0 }).Count -gt 0) { return $false }
    }
    $true
}

function global:Invoke-LsRuleEngine {
    # Applies the fake organization's rules to a message; returns the names of the rules that acted.
    param([object]$Message)
    $acted = [System.Collections.Generic.List[string]]::new()
    foreach ($rule in @($global:LsFake.Rules | Sort-Object Priority)) {
        if ($rule.State -eq 'Disabled') { continue }
        if (-not (Test-LsFakeRuleMatches -Rule $rule -Message $Message)) { continue }
        if ($rule.Mode -eq 'Enforce') {
            if (-not [string]::IsNullOrEmpty([string]$rule.RemoveHeader)) {
                $name = $rule.RemoveHeader
                @($Message.Headers | Where-Object { $_.Name -eq $name }) | ForEach-Object { [void]$Message.Headers.Remove($_) }
            }
            if (-not [string]::IsNullOrEmpty([string]$rule.SetHeaderName)) {
                # "Adds or modifies a header field": the rule's value replaces the field.
                $name = $rule.SetHeaderName
                @($Message.Headers | Where-Object { $_.Name -eq $name }) | ForEach-Object { [void]$Message.Headers.Remove($_) }
                $Message.Headers.Add([pscustomobject]@{ Name = $name; Value = [string]$rule.SetHeaderValue })
            }
            $acted.Add($rule.Name)
        }
        if ($rule.StopRuleProcessing -eq $true) { break }
    }
    , $acted.ToArray()
}

function global:ConvertFrom-LsRequestValue {
    # One Link-Security value -> @(level, fallback, wellFormed); RequestParser.TryParseValue.
    param([string]$Value)
    if ($Value.Length -gt 998) { return @(1, 'bounce', $false) }
    $text = $Value -replace "[`r`n]", ''
    $level = 1
    $fallback = 'bounce'
    $seenLevel = $false
    $seenFallback = $false
    foreach ($raw in $text.Split(';')) {
        $parameter = $raw.Trim()
        if ($parameter.Length -eq 0) { continue }
        $equals = $parameter.IndexOf('=')
        if ($equals -le 0) { return @(1, 'bounce', $false) }
        $name = $parameter.Substring(0, $equals).Trim()
        $argument = $parameter.Substring($equals + 1).Trim()
        if ($name -eq 'level') {
            if ($seenLevel) { return @(1, 'bounce', $false) }
            $seenLevel = $true
            if ($argument -notmatch '^[0-4]$') { return @(1, 'bounce', $false) }
            $level = [int]$argument
        }
        elseif ($name -eq 'fallback') {
            if ($seenFallback) { return @(1, 'bounce', $false) }
            $seenFallback = $true
            if ($argument -eq 'bounce') { $fallback = 'bounce' }
            elseif ($argument -eq 'safe-part') { $fallback = 'safe-part' }
            else { return @(1, 'bounce', $false) }
        }
        elseif ($name -match '[ \t]') { return @(1, 'bounce', $false) }
    }
    @($level, $fallback, $true)
}

function global:ConvertFrom-LsRequestHeader {
    # The request the agent reads from a header list (RequestParser.Parse): @{ Level; Fallback; Waived }.
    param([object[]]$Headers)
    $level = 0
    $fallback = 'bounce'
    $requested = $false
    $waiver = $false
    $tlsOther = $false
    foreach ($header in @($Headers)) {
        $name = [string]$header.Name
        $value = [string]$header.Value
        $parsed = $null
        if ($name -eq 'Link-Security' -or $name -eq 'X-Link-Security') { $parsed = ConvertFrom-LsRequestValue $value }
        elseif ($name -eq 'Require-TLS-ESMTP') { if ($value.Trim() -eq 'yes') { $parsed = @(1, 'bounce', $true) } }
        elseif ($name -eq 'TLS-Required') { if ($value.Trim() -eq 'no') { $waiver = $true } else { $tlsOther = $true } }
        if ($null -eq $parsed) { continue }
        if ($parsed[0] -eq 0) { $requested = $true; continue }
        if (-not $requested -or $level -eq 0) { $requested = $true; $level = $parsed[0]; $fallback = $parsed[1]; continue }
        # Several fields: the strictest wins, dimension by dimension.
        if ($parsed[0] -gt $level) { $level = $parsed[0] }
        if ($parsed[1] -eq 'bounce') { $fallback = 'bounce' }
    }
    if ($requested -and $level -ne 0) { return @{ Level = $level; Fallback = $fallback; Waived = $false } }
    @{ Level = 0; Fallback = 'bounce'; Waived = ($waiver -and -not $tlsOther) }
}
