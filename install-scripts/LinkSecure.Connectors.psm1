<#
.SYNOPSIS
    Send connector functions of the ExchangeLinkSecure install scripts.

.DESCRIPTION
    Imported by the scripts that create, change, remove or check the product's Send
    connectors. The connectors are organisation-wide objects: every Mailbox server routes
    to the same ones. Not meant to be used on its own.

    Pure helpers only: they read objects (Get-SendConnector results, routing settings)
    and return desired states and differences. The scripts make every change.

    Windows PowerShell 5.1 syntax only.
#>

#Requires -Version 5.1


Set-StrictMode -Version Latest

# The object helpers (Get-LsPropertyValue, ConvertTo-LsNameList, Test-LsSameSet).
Import-Module (Join-Path $PSScriptRoot 'LinkSecure.Install.psm1') -Verbose:$false

# ---------------------------------------------------------------------------------------
#region Send connectors
# ---------------------------------------------------------------------------------------

function Get-LsConnectorNames {
    <#
    .SYNOPSIS
        The four connector names the product owns for a prefix.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][string]$Prefix)
    [pscustomobject]@{
        DomainValidation = "$Prefix DomainValidation"
        CertificateValidation = "$Prefix CertificateValidation"
        EncryptionOnly   = "$Prefix EncryptionOnly"
        Relay            = "$Prefix Relay"
    }
}

function Get-LsDesiredConnectors {
    <#
    .SYNOPSIS
        The Send connectors the routing settings call for (name, address space, TLS settings).
    .DESCRIPTION
        The DNS-routed connectors (DomainValidation, CertificateValidation, EncryptionOnly) have SMTP address
        spaces: Exchange looks up MX records only for SMTP domains. The relay connector (smart hosts) has the
        address space type routing.smartHostAddressSpaceType (default LinkSecure), the type the agent's relay route
        carries: no SMTP connector, not even the organisation's "*" Internet connector, matches it, so a missing
        relay connector leaves the recipient unreachable instead of sending it over opportunistic TLS.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][object]$Routing)
    $names = Get-LsConnectorNames -Prefix $Routing.sendConnectorPrefix
    $list = [System.Collections.Generic.List[object]]::new()
    # The relay connector: in smartHost mode, and in connector mode beside the others when the smart hosts are
    # validating relays (routing.validatingRelay, docs/relay.md).
    if ($Routing.mode -eq 'smartHost' -or ($Routing.validatingRelay -eq $true -and @($Routing.smartHosts).Count -gt 0)) {
        $list.Add((New-LsDesiredConnector -Name $names.Relay -Route 'Relay' -Domain $Routing.smartHostDomain -Type (Get-LsSmartHostAddressSpaceType -Routing $Routing) `
                    -SmartHosts @($Routing.smartHosts) -TlsAuthLevel $Routing.smartHostTlsAuthLevel -TlsDomain $Routing.smartHostTlsDomain))
    }
    if ($Routing.mode -ne 'smartHost') {
        foreach ($route in @('DomainValidation', 'CertificateValidation', 'EncryptionOnly')) {
            $key = $route.Substring(0, 1).ToLowerInvariant() + $route.Substring(1) + 'Domain'
            $list.Add((New-LsDesiredConnector -Name $names.$route -Route $route -Domain $Routing.$key -Type 'SMTP' -SmartHosts @() -TlsAuthLevel $route -TlsDomain $null))
        }
    }
    $list.ToArray()
}

function New-LsDesiredConnector {
    <#
    .SYNOPSIS
        One desired connector: the routing properties the agent relies on.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][string]$Name,
        [Parameter(Mandatory = $true)][string]$Route,
        [Parameter(Mandatory = $true)][string]$Domain,
        [Parameter(Mandatory = $true)][string]$Type,
        [AllowEmptyCollection()][string[]]$SmartHosts = @(),
        [Parameter(Mandatory = $true)][string]$TlsAuthLevel,
        [AllowNull()][object]$TlsDomain
    )
    [pscustomobject]@{
        Name              = $Name
        Route             = $Route
        Domain            = $Domain
        AddressSpaceType  = $Type
        AddressSpace      = '{0}:{1};1' -f $Type, $Domain
        DNSRoutingEnabled = ($SmartHosts.Count -eq 0)
        SmartHosts        = $SmartHosts
        RequireTLS        = $true
        TlsAuthLevel      = $TlsAuthLevel
        TlsDomain         = $(if ([string]::IsNullOrEmpty([string]$TlsDomain)) { $null } else { ([string]$TlsDomain).Trim().TrimEnd('.').ToLowerInvariant() })
    }
}

function Get-LsSmartHostAddressSpaceType {
    <#
    .SYNOPSIS
        The relay route's address space type (routing.smartHostAddressSpaceType), SMTP spelled SMTP.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][object]$Routing)
    $type = [string](Get-LsPropertyValue -InputObject $Routing -Name 'smartHostAddressSpaceType' -Default 'LinkSecure')
    if ([string]::IsNullOrEmpty($type)) { $type = 'LinkSecure' }
    if ($type -eq 'SMTP') { return 'SMTP' }
    $type
}

function Get-LsAddressSpace {
    <#
    .SYNOPSIS
        A connector's address spaces as objects with Type and Address.
    .DESCRIPTION
        Accepts AddressSpace objects (Type, Address) and their documented string form
        "Type:address;cost" (what a remote shell may deliver); a string without a type is SMTP.
    #>
    [CmdletBinding()]
    param([AllowNull()][object]$AddressSpaces)
    foreach ($space in @($AddressSpaces)) {
        if ($null -eq $space) { continue }
        $address = $null
        $type = 'SMTP'
        if ($space -is [string]) {
            $m = [regex]::Match($space, '^(?:(?<type>[^:;]+):)?(?<address>[^;]+)(?:;(?<cost>\d+))?$')
            if ($m.Success) {
                $address = $m.Groups['address'].Value
                if ($m.Groups['type'].Success) { $type = $m.Groups['type'].Value }
            }
        }
        else {
            $address = Get-LsPropertyValue -InputObject $space -Name 'Address'
            $type = [string](Get-LsPropertyValue -InputObject $space -Name 'Type' -Default 'SMTP')
            if ($null -eq $address) { $address = Get-LsPropertyValue -InputObject $space -Name 'Domain' }
        }
        if ($null -ne $address) { [pscustomobject]@{ Type = $type; Address = ([string]$address).Trim() } }
    }
}

function Get-LsAddressSpaceDomain {
    <#
    .SYNOPSIS
        The domains of a connector's SMTP address spaces.
    #>
    [CmdletBinding()]
    param([AllowNull()][object]$AddressSpaces)
    @(Get-LsAddressSpace -AddressSpaces $AddressSpaces | Where-Object { $_.Type -eq 'SMTP' } | ForEach-Object { $_.Address })
}

# ---------------------------------------------------------------------------------------
# The record in each connector's Comment
# ---------------------------------------------------------------------------------------

function Get-LsTextHash {
    <#
    .SYNOPSIS
        The first 16 hex digits of the SHA-256 of a text (UTF-8).
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][AllowEmptyString()][string]$Text)
    $sha = [System.Security.Cryptography.SHA256]::Create()
    try { $bytes = $sha.ComputeHash([System.Text.Encoding]::UTF8.GetBytes($Text)) }
    finally { $sha.Dispose() }
    (-join ($bytes | ForEach-Object { $_.ToString('x2') })).Substring(0, 16)
}

function Get-LsRoutingHash {
    <#
    .SYNOPSIS
        A hash of the whole routing section (every route, as every server's agent must read it).
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][object]$Routing)
    $parts = foreach ($property in ($Routing.PSObject.Properties | Sort-Object Name)) {
        $value = $property.Value
        if ($property.Name -eq 'smartHosts') { $value = (@($value | ForEach-Object { ([string]$_).ToLowerInvariant() } | Sort-Object) -join ',') }
        elseif ($value -is [string]) { $value = $value.ToLowerInvariant() }
        '{0}={1}' -f $property.Name, $value
    }
    Get-LsTextHash -Text ($parts -join ';')
}

function Get-LsConnectorComment {
    <#
    .SYNOPSIS
        The Comment that records what a connector implements, with its own hash.
    .DESCRIPTION
        "LinkSecure v1; route=...; space=Type:domain; tls=...; tlsDomain=...; smartHosts=...; egress=...;
        routing=<hash of the routing section>; sha256=<hash of the text before it>". The drift check of
        Test-LinkSecureInstallation.ps1 compares it with each server's configuration and with the connector.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][object]$Desired,
        [Parameter(Mandatory = $true)][string]$Egress,
        [Parameter(Mandatory = $true)][string]$RoutingHash
    )
    $values = [ordered]@{
        route      = $Desired.Route
        space      = '{0}:{1}' -f $Desired.AddressSpaceType, $Desired.Domain
        tls        = $Desired.TlsAuthLevel
        tlsDomain  = $(if ($Desired.TlsDomain) { $Desired.TlsDomain } else { '-' })
        smartHosts = $(if (@($Desired.SmartHosts).Count -gt 0) { (@($Desired.SmartHosts) | ForEach-Object { $_.ToLowerInvariant() }) -join ',' } else { '-' })
        egress     = $Egress
        routing    = $RoutingHash
    }
    $text = 'LinkSecure v1; ' + (($values.Keys | ForEach-Object { '{0}={1}' -f $_, $values[$_] }) -join '; ')
    '{0}; sha256={1}' -f $text, (Get-LsTextHash -Text $text)
}

function ConvertFrom-LsConnectorComment {
    <#
    .SYNOPSIS
        The fields of a connector Comment written by Get-LsConnectorComment, or $null for any other text.
    .DESCRIPTION
        Adds Intact: $true when the recorded sha256 matches the text (nobody edited the Comment by hand).
    #>
    [CmdletBinding()]
    param([AllowNull()][object]$Comment)
    $text = [string]$Comment
    $m = [regex]::Match($text, '^(?<body>LinkSecure v1; .*); sha256=(?<hash>[0-9a-f]{16})$')
    if (-not $m.Success) { return $null }
    $fields = [ordered]@{}
    foreach ($pair in ($m.Groups['body'].Value.Substring('LinkSecure v1; '.Length) -split '; ')) {
        $index = $pair.IndexOf('=')
        if ($index -gt 0) { $fields[$pair.Substring(0, $index)] = $pair.Substring($index + 1) }
    }
    $fields['Intact'] = ((Get-LsTextHash -Text $m.Groups['body'].Value) -eq $m.Groups['hash'].Value)
    [pscustomobject]$fields
}

# ---------------------------------------------------------------------------------------
# Egress: how the connectors' mail leaves the organisation
# ---------------------------------------------------------------------------------------

$script:EgressSettings = @('Fqdn', 'TlsCertificateName', 'FrontendProxyEnabled', 'UseExternalDNSServersEnabled', 'MaxMessageSize')

function Test-LsOwnConnector {
    <#
    .SYNOPSIS
        True for a connector of the product: one of the four names of the prefix. Any other connector, also one
        whose name merely starts with the prefix, is never changed or removed.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][object]$Connector, [Parameter(Mandatory = $true)][string]$Prefix)
    $name = [string](Get-LsPropertyValue -InputObject $Connector -Name 'Name')
    $names = Get-LsConnectorNames -Prefix $Prefix
    @($names.PSObject.Properties | ForEach-Object { [string]$_.Value }) -contains $name
}

function Find-LsInternetConnector {
    <#
    .SYNOPSIS
        The organisation's Internet connector (enabled, SMTP address space "*"), or a problem text.
    #>
    [CmdletBinding()]
    param(
        [AllowEmptyCollection()][object[]]$Connectors,
        [Parameter(Mandatory = $true)][string]$Prefix,
        [AllowEmptyString()][string]$Name
    )
    if (-not [string]::IsNullOrEmpty($Name)) {
        $named = @($Connectors | Where-Object { [string](Get-LsPropertyValue -InputObject $_ -Name 'Name') -eq $Name })
        if ($named.Count -eq 0) { return [pscustomobject]@{ Connector = $null; Problem = "No Send connector named '$Name' (-InternetConnector)." } }
        return [pscustomobject]@{ Connector = $named[0]; Problem = $null }
    }
    $candidates = @($Connectors | Where-Object {
            -not (Test-LsOwnConnector -Connector $_ -Prefix $Prefix) -and
            [bool](Get-LsPropertyValue -InputObject $_ -Name 'Enabled' -Default $true) -and
            @(Get-LsAddressSpace -AddressSpaces (Get-LsPropertyValue -InputObject $_ -Name 'AddressSpaces') | Where-Object { $_.Type -eq 'SMTP' -and $_.Address -eq '*' }).Count -gt 0
        })
    if ($candidates.Count -eq 1) { return [pscustomobject]@{ Connector = $candidates[0]; Problem = $null } }
    if ($candidates.Count -eq 0) {
        return [pscustomobject]@{ Connector = $null; Problem = 'No enabled Send connector with the address space * (the Internet connector) was found: name the connector whose egress to copy with -InternetConnector, or give -SourceTransportServers.' }
    }
    $list = ($candidates | ForEach-Object { [string](Get-LsPropertyValue -InputObject $_ -Name 'Name') }) -join "', '"
    [pscustomobject]@{ Connector = $null; Problem = "Several Send connectors have the address space * ('$list'): name the one whose egress to copy with -InternetConnector." }
}

function Get-LsEgressPlan {
    <#
    .SYNOPSIS
        The egress settings the connectors get for a topology, and the problems that rule it out.
    .DESCRIPTION
        Direct: the Internet connector's source servers (Mailbox servers) and egress settings (Fqdn,
        TlsCertificateName, FrontendProxyEnabled, UseExternalDNSServersEnabled, MaxMessageSize).
        Edge: the Edge subscription that sources the EdgeSync Internet connector, never Mailbox servers.
        SmartHost and Relay: routing.mode smartHost (Relay with routing.validatingRelay), sourced and
        configured like the Internet connector. Every topology turns on verbose protocol logging.
        ServerRoles maps server names to 'Mailbox' or 'Edge'. OnEdge: the script runs on an Edge
        Transport server, where SourceTransportServers is not a valid parameter.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][ValidateSet('Direct', 'Edge', 'SmartHost', 'Relay')][string]$Egress,
        [Parameter(Mandatory = $true)][object]$Routing,
        [AllowEmptyCollection()][object[]]$Connectors = @(),
        [Parameter(Mandatory = $true)][hashtable]$ServerRoles,
        [AllowEmptyString()][string]$InternetConnector,
        [AllowEmptyCollection()][string[]]$SourceTransportServers = @(),
        [switch]$OnEdge
    )
    $problems = [System.Collections.Generic.List[string]]::new()
    $settings = [ordered]@{}
    $sources = @($SourceTransportServers | Where-Object { -not [string]::IsNullOrEmpty($_) })
    $found = Find-LsInternetConnector -Connectors $Connectors -Prefix $Routing.sendConnectorPrefix -Name $InternetConnector
    $template = $found.Connector
    if ($null -eq $template -and ($sources.Count -eq 0 -or -not [string]::IsNullOrEmpty($InternetConnector)) -and -not $OnEdge) { $problems.Add($found.Problem) }
    $templateName = [string](Get-LsPropertyValue -InputObject $template -Name 'Name')
    $templateSources = @(ConvertTo-LsNameList -InputObject (Get-LsPropertyValue -InputObject $template -Name 'SourceTransportServers'))
    if ($sources.Count -eq 0) { $sources = $templateSources }
    # On an Edge Transport server the connectors are its own: SourceTransportServers is not a valid parameter there.
    if ($OnEdge) { $sources = @() }

    $roles = @($sources | ForEach-Object { if ($ServerRoles.ContainsKey($_)) { $ServerRoles[$_] } else { 'Unknown' } })
    foreach ($unknown in @($sources | Where-Object { -not $ServerRoles.ContainsKey($_) })) { $problems.Add("Source server '$unknown' is not an Exchange server of this organisation.") }
    $edgeSources = @($roles | Where-Object { $_ -eq 'Edge' }).Count
    if ($edgeSources -gt 0 -and $edgeSources -lt $roles.Count) {
        $problems.Add(("Exchange refuses a Send connector sourced by both Mailbox servers and an Edge subscription ({0}). Choose -Egress Edge with the Edge subscription only, or another topology with Mailbox servers only." -f ($sources -join ', ')))
    }
    $smartHostType = Get-LsSmartHostAddressSpaceType -Routing $Routing
    $hasRelay = @(Get-LsDesiredConnectors -Routing $Routing | Where-Object { -not $_.DNSRoutingEnabled }).Count -gt 0
    switch ($Egress) {
        'Edge' {
            if (-not $OnEdge -and ($sources.Count -eq 0 -or $edgeSources -lt $roles.Count)) {
                $problems.Add(("-Egress Edge needs connectors sourced by the Edge subscription only, but '{0}' is sourced by {1}. Name the EdgeSync Internet connector with -InternetConnector, or give the Edge subscription with -SourceTransportServers." -f $templateName, $(if ($sources.Count -gt 0) { $sources -join ', ' } else { 'no server' })))
            }
        }
        default {
            if ($edgeSources -gt 0 -and $edgeSources -eq $roles.Count) {
                $problems.Add(("Internet mail leaves through the Edge subscription ({0} sources '{1}'): choose -Egress Edge and install the agent on the Edge Transport servers." -f ($sources -join ', '), $templateName))
            }
        }
    }
    if (($Egress -eq 'Edge' -or $OnEdge) -and $hasRelay -and $smartHostType -ne 'SMTP') {
        $problems.Add("Edge Transport servers accept only SMTP address spaces, and routing.smartHostAddressSpaceType is '$smartHostType'. Set it to SMTP for the Edge topology (a missing relay connector then falls to the Internet connector; Test-LinkSecureInstallation.ps1 reports it).")
    }
    $templateSmartHosts = @(ConvertTo-LsNameList -InputObject (Get-LsPropertyValue -InputObject $template -Name 'SmartHosts'))
    if ($Egress -eq 'Direct') {
        if ($Routing.mode -eq 'smartHost') { $problems.Add("routing.mode is 'smartHost': secure mail goes to the smart hosts, not directly. Choose -Egress SmartHost, or -Egress Relay for a validating relay.") }
        if ($templateSmartHosts.Count -gt 0) {
            $problems.Add(("The Internet connector '{0}' sends through smart hosts ({1}), so mail does not leave directly: choose -Egress SmartHost (routing.mode smartHost, routing.smartHosts) or -Egress Relay." -f $templateName, ($templateSmartHosts -join ', ')))
        }
    }
    if ($Egress -eq 'SmartHost') {
        if ($Routing.mode -ne 'smartHost') { $problems.Add("-Egress SmartHost needs routing.mode 'smartHost' with routing.smartHosts: the connector-mode connectors would send directly.") }
        if ($Routing.validatingRelay -eq $true) { $problems.Add('routing.validatingRelay is on: choose -Egress Relay.') }
    }
    if ($Egress -eq 'Relay') {
        if ($Routing.mode -ne 'smartHost' -or $Routing.validatingRelay -ne $true) {
            $problems.Add("-Egress Relay needs routing.mode 'smartHost' and routing.validatingRelay true (with smartHosts and smartHostTlsDomain, docs/relay.md). A validating relay beside connector mode is -Egress Direct.")
        }
    }
    if ($null -ne $template) {
        foreach ($name in $script:EgressSettings) {
            $value = Get-LsPropertyValue -InputObject $template -Name $name
            if ($null -ne $value -and -not ($value -is [string] -and $value.Length -eq 0)) { $settings[$name] = $value }
        }
    }
    $settings['ProtocolLoggingLevel'] = 'Verbose'
    if ($OnEdge) { [void]$settings.Remove('FrontendProxyEnabled') }
    [pscustomobject]@{
        Egress                 = $Egress
        Template               = $templateName
        SourceTransportServers = @($sources)
        Settings               = $settings
        Problems               = $problems.ToArray()
    }
}

# ---------------------------------------------------------------------------------------
# Comparison and plan
# ---------------------------------------------------------------------------------------

function Compare-LsSendConnector {
    <#
    .SYNOPSIS
        Compares an existing Send connector with the desired one.
    .DESCRIPTION
        Returns the names of the differing settings and the Set-SendConnector parameters that fix them.
        The routing properties are always compared (address space and its type, DNS routing or smart hosts,
        RequireTLS, IgnoreSTARTTLS, TlsAuthLevel, TlsDomain, Enabled). With -Egress (the org step), also the
        source servers (exactly), the copied egress settings, protocol logging and the Comment.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][object]$Existing,
        [Parameter(Mandatory = $true)][object]$Desired,
        [AllowNull()][object]$Egress,
        [AllowEmptyString()][string]$Comment
    )
    $differences = [System.Collections.Generic.List[string]]::new()
    $parameters = @{}

    $spaces = @(Get-LsAddressSpace -AddressSpaces (Get-LsPropertyValue -InputObject $Existing -Name 'AddressSpaces'))
    $sameSpace = ($spaces.Count -eq 1) -and ($spaces[0].Type -eq $Desired.AddressSpaceType) -and ($spaces[0].Address -eq $Desired.Domain)
    if (-not $sameSpace) {
        $differences.Add('AddressSpaces')
        $parameters['AddressSpaces'] = @($Desired.AddressSpace)
    }
    $existingDns = [bool](Get-LsPropertyValue -InputObject $Existing -Name 'DNSRoutingEnabled')
    $smartHosts = @(ConvertTo-LsNameList -InputObject (Get-LsPropertyValue -InputObject $Existing -Name 'SmartHosts'))
    if ($existingDns -ne $Desired.DNSRoutingEnabled) {
        $differences.Add('DNSRoutingEnabled')
        $parameters['DNSRoutingEnabled'] = $Desired.DNSRoutingEnabled
    }
    if (-not (Test-LsSameSet -Left $smartHosts -Right @($Desired.SmartHosts))) {
        $differences.Add('SmartHosts')
        # "If you specify a SmartHosts parameter, the DNSRoutingEnabled parameter must be $false": clear them for DNS routing.
        $parameters['SmartHosts'] = $(if ($Desired.DNSRoutingEnabled) { $null } else { @($Desired.SmartHosts) })
        $parameters['DNSRoutingEnabled'] = $Desired.DNSRoutingEnabled
    }
    if ([bool](Get-LsPropertyValue -InputObject $Existing -Name 'RequireTLS') -ne $Desired.RequireTLS) {
        $differences.Add('RequireTLS')
        $parameters['RequireTLS'] = $Desired.RequireTLS
    }
    if ([bool](Get-LsPropertyValue -InputObject $Existing -Name 'IgnoreSTARTTLS' -Default $false)) {
        $differences.Add('IgnoreSTARTTLS')
        $parameters['IgnoreSTARTTLS'] = $false
    }
    $tlsDomain = [string](Get-LsPropertyValue -InputObject $Existing -Name 'TlsDomain')
    if ($tlsDomain.ToLowerInvariant() -ne [string]$Desired.TlsDomain) {
        $differences.Add('TlsDomain')
        $parameters['TlsDomain'] = $Desired.TlsDomain
    }
    $tls = [string](Get-LsPropertyValue -InputObject $Existing -Name 'TlsAuthLevel')
    if ($tls -ne $Desired.TlsAuthLevel) {
        $differences.Add('TlsAuthLevel')
        $parameters['TlsAuthLevel'] = $Desired.TlsAuthLevel
        # RequireTLS must be sent with TlsAuthLevel: Exchange rejects TlsAuthLevel without it.
        $parameters['RequireTLS'] = $true
    }
    if (-not [bool](Get-LsPropertyValue -InputObject $Existing -Name 'Enabled' -Default $true)) {
        $differences.Add('Enabled')
        $parameters['Enabled'] = $true
    }
    # A scoped connector is invisible to servers in other AD sites: their agents' routing domain would match "*".
    if ([bool](Get-LsPropertyValue -InputObject $Existing -Name 'IsScopedConnector' -Default $false)) {
        $differences.Add('IsScopedConnector')
        $parameters['IsScopedConnector'] = $false
    }
    $port = Get-LsPropertyValue -InputObject $Existing -Name 'Port'
    if ($Desired.DNSRoutingEnabled -and $null -ne $port -and [int]$port -ne 25) {
        # MX hosts listen on 25 (RFC 5321 section 4.5.4 relies on it); a DNS-routed connector on another port fails.
        $differences.Add('Port')
        $parameters['Port'] = 25
    }
    if ($null -ne $Egress) {
        $current = @(ConvertTo-LsNameList -InputObject (Get-LsPropertyValue -InputObject $Existing -Name 'SourceTransportServers'))
        if (@($Egress.SourceTransportServers).Count -gt 0 -and -not (Test-LsSameSet -Left $current -Right @($Egress.SourceTransportServers))) {
            $differences.Add('SourceTransportServers')
            $parameters['SourceTransportServers'] = @($Egress.SourceTransportServers)
        }
        foreach ($name in $Egress.Settings.Keys) {
            if ([string](Get-LsPropertyValue -InputObject $Existing -Name $name) -ne [string]$Egress.Settings[$name]) {
                $differences.Add($name)
                $parameters[$name] = $Egress.Settings[$name]
            }
        }
        if ([string](Get-LsPropertyValue -InputObject $Existing -Name 'Comment') -ne $Comment) {
            $differences.Add('Comment')
            $parameters['Comment'] = $Comment
        }
    }
    [pscustomobject]@{
        Differences = $differences.ToArray()
        Parameters  = $parameters
    }
}

function Get-LsConnectorPlan {
    <#
    .SYNOPSIS
        What the org step does to each connector: New, Set, Unchanged, Remove or Unused (kept).
    .DESCRIPTION
        Each item has Name, Action, Parameters (for New-/Set-SendConnector) and Detail. -Remove plans the
        removal of every connector of the prefix; -RemoveUnused removes those the routing no longer uses.
        Without either, a connector of ours that the routing does not use is reported and kept: other servers
        may still route to it.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][object]$Routing,
        [AllowNull()][object]$Egress,
        [AllowEmptyCollection()][object[]]$Connectors = @(),
        [switch]$Remove,
        [switch]$RemoveUnused
    )
    $byName = @{}
    foreach ($c in $Connectors) { $byName[[string](Get-LsPropertyValue -InputObject $c -Name 'Name')] = $c }
    $desiredConnectors = @(if (-not $Remove) { Get-LsDesiredConnectors -Routing $Routing })
    $routingHash = Get-LsRoutingHash -Routing $Routing
    foreach ($desired in $desiredConnectors) {
        $comment = Get-LsConnectorComment -Desired $desired -Egress $Egress.Egress -RoutingHash $routingHash
        $summary = '{0}, RequireTLS, TlsAuthLevel {1}{2}, {3}; egress {4}' -f $desired.AddressSpace, $desired.TlsAuthLevel, $(if ($desired.TlsDomain) { ' TlsDomain ' + $desired.TlsDomain } else { '' }), $(if ($desired.DNSRoutingEnabled) { 'DNS routing' } else { 'smart hosts ' + ($desired.SmartHosts -join ', ') }), $Egress.Egress
        $existing = $byName[$desired.Name]
        if ($null -eq $existing) {
            $parameters = @{
                Name              = $desired.Name
                Usage             = 'Custom'
                AddressSpaces     = @($desired.AddressSpace)
                DNSRoutingEnabled = $desired.DNSRoutingEnabled
                RequireTLS        = $true
                TlsAuthLevel      = $desired.TlsAuthLevel
                Comment           = $comment
            }
            if (-not $desired.DNSRoutingEnabled) { $parameters['SmartHosts'] = @($desired.SmartHosts) }
            if ($desired.TlsDomain) { $parameters['TlsDomain'] = $desired.TlsDomain }
            if (@($Egress.SourceTransportServers).Count -gt 0) { $parameters['SourceTransportServers'] = @($Egress.SourceTransportServers) }
            foreach ($name in $Egress.Settings.Keys) { $parameters[$name] = $Egress.Settings[$name] }
            [pscustomobject]@{ Name = $desired.Name; Action = 'New'; Parameters = $parameters; Detail = 'New-SendConnector: ' + $summary }
            continue
        }
        $comparison = Compare-LsSendConnector -Existing $existing -Desired $desired -Egress $Egress -Comment $comment
        if ($comparison.Differences.Count -eq 0) {
            [pscustomobject]@{ Name = $desired.Name; Action = 'Unchanged'; Parameters = @{}; Detail = $summary }
        }
        else {
            $parameters = $comparison.Parameters
            $parameters['Identity'] = $desired.Name
            [pscustomobject]@{ Name = $desired.Name; Action = 'Set'; Parameters = $parameters; Detail = 'Set-SendConnector: ' + ($comparison.Differences -join ', ') }
        }
    }
    $wanted = @($desiredConnectors | ForEach-Object { $_.Name })
    foreach ($c in $Connectors) {
        $name = [string](Get-LsPropertyValue -InputObject $c -Name 'Name')
        if ($wanted -contains $name -or -not (Test-LsOwnConnector -Connector $c -Prefix $Routing.sendConnectorPrefix)) { continue }
        if ($Remove -or $RemoveUnused) {
            [pscustomobject]@{ Name = $name; Action = 'Remove'; Parameters = @{ Identity = $name }; Detail = 'Remove-SendConnector' }
        }
        else {
            [pscustomobject]@{ Name = $name; Action = 'Unused'; Parameters = @{}; Detail = 'Not used by this routing section; kept because other servers may still route to it (remove with -RemoveUnused once no server does)' }
        }
    }
}

function Get-LsConnectorStep {
    <#
    .SYNOPSIS
        The org step's plan (Get-LsConnectorPlan) after every refusal: throws, naming what to do, when the egress
        topology cannot be configured or a connector would be repointed without -Force. Reads only.
    .DESCRIPTION
        Servers: the organisation's Exchange servers (Get-ExchangeServer); LocalServer: the one the step runs on (on an
        Edge Transport server the connectors get no source servers). Install-LinkSecureAgent.ps1 -ConfigureConnectors
        calls it in its preflight, so a refusal comes before any change; Set-LinkSecureConnectors.ps1 executes the plan.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][object]$Routing,
        [ValidateSet('Direct', 'Edge', 'SmartHost', 'Relay')][string]$Egress,
        [AllowEmptyCollection()][object[]]$Connectors = @(),
        [AllowNull()][object]$LocalServer,
        [AllowEmptyCollection()][object[]]$Servers = @(),
        [AllowEmptyString()][string]$InternetConnector,
        [AllowEmptyCollection()][string[]]$SourceTransportServers = @(),
        [switch]$Remove,
        [switch]$RemoveUnused,
        [switch]$Force
    )
    $egressPlan = $null
    if (-not $Remove) {
        $onEdge = [string](Get-LsPropertyValue -InputObject $LocalServer -Name 'ServerRole') -match 'Edge'
        $roles = @{}
        foreach ($s in @($Servers | Where-Object { -not $onEdge })) {
            $roles[[string](Get-LsPropertyValue -InputObject $s -Name 'Name')] = $(if ([string](Get-LsPropertyValue -InputObject $s -Name 'ServerRole') -match 'Edge') { 'Edge' } else { 'Mailbox' })
        }
        $egressPlan = Get-LsEgressPlan -Egress $Egress -Routing $Routing -Connectors $Connectors -ServerRoles $roles -InternetConnector $InternetConnector -SourceTransportServers $SourceTransportServers -OnEdge:$onEdge
        if ($egressPlan.Problems.Count -gt 0) {
            throw ("-Egress $Egress cannot be configured; nothing was changed:`n  " + ($egressPlan.Problems -join "`n  "))
        }
        Write-Verbose ("Egress {0}: copied from '{1}', source servers {2}" -f $Egress, $egressPlan.Template, ($egressPlan.SourceTransportServers -join ', '))
    }
    $plan = @(Get-LsConnectorPlan -Routing $Routing -Egress $egressPlan -Connectors $Connectors -Remove:$Remove -RemoveUnused:$RemoveUnused)
    # Repointing a connector moves the route under every server that still routes to the old address space: their
    # tagged recipients would match the "*" connector (DNS routes fail open). Only on purpose.
    $repointed = @($plan | Where-Object { $_.Action -eq 'Set' -and $_.Parameters.ContainsKey('AddressSpaces') })
    if ($repointed.Count -gt 0 -and -not $Force) {
        throw ("This would change the address space of {0}; servers whose routing section still names the old one would lose their route (a DNS-routed recipient then leaves through the * connector). Nothing was changed. Give the new routing domains a new routing.sendConnectorPrefix (new connectors beside the old; remove the old with -RemoveUnused once every server is updated), or use -Force when no server routes to the old address space." -f (($repointed | ForEach-Object { "'" + $_.Name + "'" }) -join ', '))
    }
    $plan
}

# ---------------------------------------------------------------------------------------
# Drift: a server's routing settings against the connectors
# ---------------------------------------------------------------------------------------

function Get-LsConnectorDrift {
    <#
    .SYNOPSIS
        Checks the connectors against this server's routing settings; returns check rows (Pass, Fail, Warn).
    .DESCRIPTION
        For every connector this server's agent routes to: it exists and is enabled (a missing DNS-routed
        connector lets the organisation's "*" connector deliver the recipient with opportunistic TLS: fail
        open; a missing relay connector with a non-SMTP address space leaves it unreachable: fail closed); its
        recorded Comment matches this server's routing (each differing field by name); its actual properties
        match the routing (each differing property by name). Connectors of ours that this routing does not
        use, and a routing section that differs from the one the connectors were configured from, are warnings.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][object]$Routing,
        [AllowEmptyCollection()][object[]]$Connectors = @()
    )
    $byName = @{}
    foreach ($c in $Connectors) { $byName[[string](Get-LsPropertyValue -InputObject $c -Name 'Name')] = $c }
    $routingHash = Get-LsRoutingHash -Routing $Routing
    $desiredConnectors = @(Get-LsDesiredConnectors -Routing $Routing)
    foreach ($desired in $desiredConnectors) {
        $check = "Send connector '$($desired.Name)'"
        $existing = $byName[$desired.Name]
        if ($null -eq $existing) {
            $effect = if ($desired.AddressSpaceType -eq 'SMTP') {
                "FAILS OPEN: the agent routes to $($desired.Domain) and the organisation's * connector delivers it with opportunistic TLS"
            }
            else { "fails closed: recipients routed to $($desired.AddressSpaceType):$($desired.Domain) wait in the Unreachable queue" }
            New-LsCheckResult -Check $check -Result 'Fail' -Detail "Missing; $effect. Run Set-LinkSecureConnectors.ps1 (the org step)."
            continue
        }
        $problems = [System.Collections.Generic.List[string]]::new()
        $comparison = Compare-LsSendConnector -Existing $existing -Desired $desired
        foreach ($d in $comparison.Differences) { $problems.Add("property $d differs from this server's routing") }
        $record = ConvertFrom-LsConnectorComment -Comment (Get-LsPropertyValue -InputObject $existing -Name 'Comment')
        $warnings = [System.Collections.Generic.List[string]]::new()
        if ($null -eq $record) {
            $warnings.Add('no LinkSecure record in its Comment (not configured by Set-LinkSecureConnectors.ps1)')
        }
        else {
            $expected = ConvertFrom-LsConnectorComment -Comment (Get-LsConnectorComment -Desired $desired -Egress ([string]$record.egress) -RoutingHash $routingHash)
            foreach ($field in @('route', 'space', 'tls', 'tlsDomain', 'smartHosts')) {
                $recorded = [string](Get-LsPropertyValue -InputObject $record -Name $field)
                if ($recorded -ne [string]$expected.$field) { $problems.Add("recorded $field '$recorded', this server's routing has '$($expected.$field)'") }
            }
            if ([string](Get-LsPropertyValue -InputObject $record -Name 'routing') -ne $routingHash) {
                $warnings.Add("configured from a different routing section (hash $($record.routing), this server $routingHash): make the routing section identical on every server")
            }
            if (-not $record.Intact) { $warnings.Add('its Comment was edited by hand') }
        }
        if ($problems.Count -gt 0) {
            New-LsCheckResult -Check $check -Result 'Fail' -Detail (($problems + $warnings) -join '; ')
        }
        elseif ($warnings.Count -gt 0) {
            New-LsCheckResult -Check $check -Result 'Warn' -Detail ($warnings -join '; ')
        }
        else {
            $closed = if ($desired.AddressSpaceType -eq 'SMTP') { 'if it goes missing the * connector would match (fails open)' } else { 'fails closed if missing' }
            New-LsCheckResult -Check $check -Result 'Pass' -Detail ('{0}, TlsAuthLevel {1}, egress {2}; {3}' -f $desired.AddressSpace, $desired.TlsAuthLevel, $record.egress, $closed)
        }
    }
    $wanted = @($desiredConnectors | ForEach-Object { $_.Name })
    foreach ($c in $Connectors) {
        $name = [string](Get-LsPropertyValue -InputObject $c -Name 'Name')
        if ($wanted -contains $name -or -not (Test-LsOwnConnector -Connector $c -Prefix $Routing.sendConnectorPrefix)) { continue }
        New-LsCheckResult -Check "Send connector '$name'" -Result 'Warn' -Detail "Not used by this server's routing: another server's routing differs, or it is left from a mode change (Set-LinkSecureConnectors.ps1 -RemoveUnused)"
    }
}

#endregion

Export-ModuleMember -Function @(
    'Get-LsConnectorNames', 'Get-LsDesiredConnectors', 'New-LsDesiredConnector', 'Get-LsSmartHostAddressSpaceType',
    'Get-LsAddressSpace', 'Get-LsAddressSpaceDomain', 'Get-LsTextHash', 'Get-LsRoutingHash', 'Get-LsConnectorComment',
    'ConvertFrom-LsConnectorComment', 'Test-LsOwnConnector', 'Find-LsInternetConnector', 'Get-LsEgressPlan',
    'Compare-LsSendConnector', 'Get-LsConnectorPlan', 'Get-LsConnectorStep', 'Get-LsConnectorDrift'
)
