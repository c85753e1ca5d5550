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
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][object]$Routing)
    $names = Get-LsConnectorNames -Prefix $Routing.sendConnectorPrefix
    $list = [System.Collections.Generic.List[object]]::new()
    # The relay connector: in smartHost mode, and in connector mode beside the others when the smart hosts are
    # validating relays (routing.validatingRelay, docs/relay.md).
    if ($Routing.mode -eq 'smartHost' -or ($Routing.validatingRelay -eq $true -and @($Routing.smartHosts).Count -gt 0)) {
        $list.Add([pscustomobject]@{
                Name              = $names.Relay
                Domain            = [string]$Routing.smartHostDomain
                DNSRoutingEnabled = $false
                SmartHosts        = @($Routing.smartHosts)
                RequireTLS        = $true
                TlsAuthLevel      = [string]$Routing.smartHostTlsAuthLevel
                TlsDomain         = $(if ($Routing.smartHostTlsDomain) { [string]$Routing.smartHostTlsDomain } else { $null })
            })
    }
    if ($Routing.mode -ne 'smartHost') {
        $list.Add([pscustomobject]@{
                Name              = $names.DomainValidation
                Domain            = [string]$Routing.domainValidationDomain
                DNSRoutingEnabled = $true
                SmartHosts        = @()
                RequireTLS        = $true
                TlsAuthLevel      = 'DomainValidation'
            })
        $list.Add([pscustomobject]@{
                Name              = $names.CertificateValidation
                Domain            = [string]$Routing.certificateValidationDomain
                DNSRoutingEnabled = $true
                SmartHosts        = @()
                RequireTLS        = $true
                TlsAuthLevel      = 'CertificateValidation'
            })
        $list.Add([pscustomobject]@{
                Name              = $names.EncryptionOnly
                Domain            = [string]$Routing.encryptionOnlyDomain
                DNSRoutingEnabled = $true
                SmartHosts        = @()
                RequireTLS        = $true
                TlsAuthLevel      = 'EncryptionOnly'
            })
    }
    $list.ToArray()
}

function Get-LsAddressSpaceDomain {
    <#
    .SYNOPSIS
        The domains of a connector's SMTP address spaces.
    .DESCRIPTION
        Accepts AddressSpace objects (Type, Address) and their documented string form
        "SMTP:domain;cost" (what a remote shell may deliver).
    #>
    [CmdletBinding()]
    param([AllowNull()][object]$AddressSpaces)
    $domains = [System.Collections.Generic.List[string]]::new()
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
        if ($null -ne $address -and $type -eq 'SMTP') { $domains.Add(([string]$address).Trim()) }
    }
    $domains.ToArray()
}

function Compare-LsSendConnector {
    <#
    .SYNOPSIS
        Compares an existing Send connector with the desired one.
    .DESCRIPTION
        Returns the names of the differing settings and the Set-SendConnector parameters
        that fix them. SourceServers, when given, must all be among the connector's source
        servers (they are added, never removed).
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][object]$Existing,
        [Parameter(Mandatory = $true)][object]$Desired,
        [AllowNull()][string[]]$SourceServers
    )
    $differences = [System.Collections.Generic.List[string]]::new()
    $parameters = @{}

    $domains = @(Get-LsAddressSpaceDomain -AddressSpaces (Get-LsPropertyValue -InputObject $Existing -Name 'AddressSpaces'))
    if (-not (Test-LsSameSet -Left $domains -Right @($Desired.Domain))) {
        $differences.Add('AddressSpaces')
        $parameters['AddressSpaces'] = @("SMTP:$($Desired.Domain);1")
    }
    if ([bool](Get-LsPropertyValue -InputObject $Existing -Name 'DNSRoutingEnabled') -ne $Desired.DNSRoutingEnabled) {
        $differences.Add('DNSRoutingEnabled')
        $parameters['DNSRoutingEnabled'] = $Desired.DNSRoutingEnabled
    }
    $smartHosts = @(ConvertTo-LsNameList -InputObject (Get-LsPropertyValue -InputObject $Existing -Name 'SmartHosts'))
    if (-not $Desired.DNSRoutingEnabled -and -not (Test-LsSameSet -Left $smartHosts -Right $Desired.SmartHosts)) {
        $differences.Add('SmartHosts')
        $parameters['SmartHosts'] = @($Desired.SmartHosts)
    }
    if ([bool](Get-LsPropertyValue -InputObject $Existing -Name 'RequireTLS') -ne $Desired.RequireTLS) {
        $differences.Add('RequireTLS')
        $parameters['RequireTLS'] = $Desired.RequireTLS
    }
    if ([bool](Get-LsPropertyValue -InputObject $Existing -Name 'IgnoreSTARTTLS' -Default $false)) {
        $differences.Add('IgnoreSTARTTLS')
        $parameters['IgnoreSTARTTLS'] = $false
    }
    $desiredTlsDomain = Get-LsPropertyValue -InputObject $Desired -Name 'TlsDomain'
    if ($desiredTlsDomain -and [string](Get-LsPropertyValue -InputObject $Existing -Name 'TlsDomain') -ne $desiredTlsDomain) {
        $differences.Add('TlsDomain')
        $parameters['TlsDomain'] = $desiredTlsDomain
    }
    $tls = [string](Get-LsPropertyValue -InputObject $Existing -Name 'TlsAuthLevel')
    if ($tls -ne $Desired.TlsAuthLevel) {
        $differences.Add('TlsAuthLevel')
        $parameters['TlsAuthLevel'] = $Desired.TlsAuthLevel
        # RequireTLS must be sent with TlsAuthLevel: Exchange rejects TlsAuthLevel without it.
        $parameters['RequireTLS'] = $true
    }
    if ($null -ne $SourceServers -and @($SourceServers).Count -gt 0) {
        $current = @(ConvertTo-LsNameList -InputObject (Get-LsPropertyValue -InputObject $Existing -Name 'SourceTransportServers'))
        $missing = @($SourceServers | Where-Object { $current -notcontains $_ })
        if ($missing.Count -gt 0) {
            $differences.Add('SourceTransportServers')
            $parameters['SourceTransportServers'] = @(@($current) + $missing)
        }
    }
    [pscustomobject]@{
        Differences = $differences.ToArray()
        Parameters  = $parameters
    }
}

#endregion

Export-ModuleMember -Function @(
    'Get-LsConnectorNames', 'Get-LsDesiredConnectors', 'Get-LsAddressSpaceDomain', 'Compare-LsSendConnector'
)
