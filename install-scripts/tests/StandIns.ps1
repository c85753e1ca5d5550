# Stand-ins for the Exchange and Windows commands that the install scripts call.
#
# Dot-source this file from a test file's BeforeAll. It provides:
#
#   * Global functions named like the Exchange cmdlets (Get-ExchangeServer,
#     Get-TransportAgent, Install-TransportAgent, ..., New-TransportRule). Each records
#     its call in $global:LsFake.Calls and reads or changes the fake organisation in
#     $global:LsFake. They throw where Exchange would (for example installing an agent
#     name twice), so a script that relies on an error path is caught out.
#   * Register-LsWindowsStandIns: Pester mocks for the module's Windows operations
#     (registry, event log, services, ACLs, snap-in, transcripts), backed by the same state.
#     Call it in a BeforeAll or BeforeEach of every Describe that runs a script.
#   * Reset-LsFake, New-LsPublishedFolder, New-LsTestConfig and Get-LsCall helpers.
#
# Nothing here touches the real system: the install folder is a temporary directory.

Set-StrictMode -Version Latest

$global:LsTestInstallScriptsRoot = Split-Path -Parent $PSScriptRoot
$global:LsTestExchangeCommandNames = @(
    'Get-ExchangeServer', 'Get-TransportAgent', 'Install-TransportAgent', 'Enable-TransportAgent',
    'Disable-TransportAgent', 'Set-TransportAgent', 'Uninstall-TransportAgent',
    'Get-SendConnector', 'New-SendConnector', 'Set-SendConnector', 'Remove-SendConnector',
    'Get-TransportRule', 'New-TransportRule', 'Set-TransportRule'
)

function global:Get-LsScriptPath {
    param([Parameter(Mandatory = $true)][string]$Name)
    Join-Path $global:LsTestInstallScriptsRoot $Name
}

function global:Add-LsCall {
    param([string]$Name, [hashtable]$Parameters)
    $copy = @{}
    foreach ($key in $Parameters.Keys) { $copy[$key] = $Parameters[$key] }
    $global:LsFake.Calls.Add([pscustomobject]@{ Name = $Name; Parameters = $copy })
}

function global:Get-LsCall {
    # The recorded calls, optionally only those of some command names.
    param([string[]]$Name)
    $calls = @($global:LsFake.Calls)
    if ($PSBoundParameters.ContainsKey('Name')) { $calls = @($calls | Where-Object { $Name -contains $_.Name }) }
    $calls
}

function global:Get-LsMutatingCall {
    # Calls that change something (everything but the Get-/Test- reads and transcripts).
    $global:LsFake.Calls | Where-Object { $_.Name -notmatch '^(Get|Test)-' -and $_.Name -notmatch 'Transcript' }
}

function global:Reset-LsFake {
    # A fresh fake server: Exchange 2019 CU14 Mailbox server, .NET 4.8, elevated, transport
    # running, the built-in Hub and Edge agents, no product installed.
    param(
        [string]$ServerName = 'EX1',
        [object]$AdminDisplayVersion = 'Version 15.2 (Build 1544.4)'
    )
    $global:LsFake = @{
        Calls             = [System.Collections.Generic.List[object]]::new()
        Server            = [pscustomobject]@{ Name = $ServerName; Fqdn = "$ServerName.contoso.test"; AdminDisplayVersion = $AdminDisplayVersion; ServerRole = 'Mailbox' }
        DotNetRelease     = 533320
        IsAdministrator   = $true
        SnapInAvailable   = $true
        Agents            = @{
            Hub  = [System.Collections.Generic.List[object]]::new()
            Edge = [System.Collections.Generic.List[object]]::new()
        }
        Connectors        = [System.Collections.Generic.List[object]]::new()
        Rules             = [System.Collections.Generic.List[object]]::new()
        Services          = @{ MSExchangeTransport = 'Running' }
        EventSources      = [System.Collections.Generic.List[string]]::new()
        Events            = [System.Collections.Generic.List[object]]::new()
        WritableFolders   = [System.Collections.Generic.List[string]]::new()
        Transcripts       = [System.Collections.Generic.List[string]]::new()
        ActiveTranscript  = $null
        FailCommand       = @{}
    }
    foreach ($name in @('Transport Rule Agent', 'DLP Policy Agent', 'Retention Policy Agent', 'Supervisory Review Agent', 'Malware Agent', 'Text Messaging Routing Agent', 'Text Messaging Delivery Agent', 'System Probe Drop Smtp Agent', 'System Probe Drop Routing Agent')) {
        Add-LsFakeAgent -TransportService Hub -Name $name -Factory "Microsoft.Exchange.Fake.$($name -replace ' ', '')Factory" -AssemblyPath "C:\Program Files\Microsoft\Exchange Server\V15\TransportRoles\agents\$($name -replace ' ', '').dll" -Enabled $true
    }
    foreach ($name in @('Connection Filtering Agent', 'Address Rewriting Inbound Agent', 'Edge Rule Agent', 'Content Filter Agent', 'Sender Id Agent', 'Sender Filter Agent', 'Recipient Filter Agent', 'Protocol Analysis Agent', 'Attachment Filtering Agent', 'Address Rewriting Outbound Agent')) {
        Add-LsFakeAgent -TransportService Edge -Name $name -Factory "Microsoft.Exchange.Fake.$($name -replace ' ', '')Factory" -AssemblyPath "C:\Program Files\Microsoft\Exchange Server\V15\TransportRoles\agents\$($name -replace ' ', '').dll" -Enabled $true
    }
}

function global:Add-LsFakeAgent {
    param([string]$TransportService, [string]$Name, [string]$Factory, [string]$AssemblyPath, [bool]$Enabled, [int]$Priority = 0)
    $list = $global:LsFake.Agents[$TransportService]
    $agent = [pscustomobject]@{
        Identity              = $Name
        Enabled               = $Enabled
        Priority              = 0
        TransportAgentFactory = $Factory
        AssemblyPath          = $AssemblyPath
    }
    if ($Priority -ge 1 -and $Priority -le $list.Count) { $list.Insert($Priority - 1, $agent) } else { $list.Add($agent) }
    Update-LsFakePriority -TransportService $TransportService
}

function global:Update-LsFakePriority {
    # Exchange numbers agents by position; we use 1 for the first (see the admin guide on
    # the 0/1-based documentation conflict).
    param([string]$TransportService)
    $list = $global:LsFake.Agents[$TransportService]
    for ($i = 0; $i -lt $list.Count; $i++) { $list[$i].Priority = $i + 1 }
}

function global:Get-LsFakeAgent {
    param([string]$TransportService, [string]$Identity)
    $list = $global:LsFake.Agents[$TransportService]
    foreach ($a in $list) { if ($a.Identity -eq $Identity) { return $a } }
    $null
}

function global:Invoke-LsFakeFailure {
    # Lets a test make one command throw.
    param([string]$Name)
    if ($global:LsFake.FailCommand.ContainsKey($Name)) { throw $global:LsFake.FailCommand[$Name] }
}

function global:Get-LsTransportServiceName {
    param($TransportService)
    if ($null -eq $TransportService -or [string]::IsNullOrEmpty([string]$TransportService)) { return 'Hub' }
    [string]$TransportService
}

# ---------------------------------------------------------------------------------------
# Exchange cmdlet stand-ins
# ---------------------------------------------------------------------------------------

function global:Install-LsExchangeStandIns {
    # Defines the Exchange stand-ins as global functions (what the snap-in would add).
    function global:Get-ExchangeServer {
        [CmdletBinding()] param([Parameter(Position = 0)][object]$Identity)
        Add-LsCall 'Get-ExchangeServer' $PSBoundParameters
        if ($null -ne $Identity -and [string]$Identity -ne $global:LsFake.Server.Name) {
            throw "The operation couldn't be performed because object '$Identity' couldn't be found."
        }
        $global:LsFake.Server
    }

    function global:Get-TransportAgent {
        [CmdletBinding()] param([Parameter(Position = 0)][object]$Identity, [string]$TransportService)
        Add-LsCall 'Get-TransportAgent' $PSBoundParameters
        $service = Get-LsTransportServiceName $TransportService
        $agents = @($global:LsFake.Agents[$service])
        if ($null -ne $Identity) {
            $agents = @($agents | Where-Object { $_.Identity -eq [string]$Identity })
            if ($agents.Count -eq 0) { throw "Couldn't find transport agent '$Identity'." }
        }
        # Copies, like objects from a cmdlet: changing them changes nothing.
        foreach ($a in $agents) { [pscustomobject]@{ Identity = $a.Identity; Enabled = $a.Enabled; Priority = $a.Priority; TransportAgentFactory = $a.TransportAgentFactory; AssemblyPath = $a.AssemblyPath } }
    }

    function global:Install-TransportAgent {
        [CmdletBinding(SupportsShouldProcess = $true)]
        param([Parameter(Mandatory = $true, Position = 0)][string]$Name, [Parameter(Mandatory = $true)][string]$TransportAgentFactory, [Parameter(Mandatory = $true)][string]$AssemblyPath, [string]$TransportService)
        Add-LsCall 'Install-TransportAgent' $PSBoundParameters
        Invoke-LsFakeFailure 'Install-TransportAgent'
        $service = Get-LsTransportServiceName $TransportService
        if ($Name.Length -gt 64) { throw 'The agent name is longer than 64 characters.' }
        if ($AssemblyPath.StartsWith('\\')) { throw 'UNC paths are not allowed for AssemblyPath.' }
        if ($null -ne (Get-LsFakeAgent $service $Name)) { throw "Transport agent '$Name' already exists." }
        if (-not (Test-Path -LiteralPath $AssemblyPath -PathType Leaf)) { throw "The file '$AssemblyPath' doesn't exist." }
        # New agents are installed disabled and appended at the end.
        Add-LsFakeAgent -TransportService $service -Name $Name -Factory $TransportAgentFactory -AssemblyPath $AssemblyPath -Enabled $false
        Get-LsFakeAgent $service $Name
    }

    function global:Enable-TransportAgent {
        [CmdletBinding(SupportsShouldProcess = $true)]
        param([Parameter(Mandatory = $true, Position = 0)][object]$Identity, [string]$TransportService)
        Add-LsCall 'Enable-TransportAgent' $PSBoundParameters
        $agent = Get-LsFakeAgent (Get-LsTransportServiceName $TransportService) ([string]$Identity)
        if ($null -eq $agent) { throw "Couldn't find transport agent '$Identity'." }
        $agent.Enabled = $true
    }

    function global:Disable-TransportAgent {
        [CmdletBinding(SupportsShouldProcess = $true)]
        param([Parameter(Mandatory = $true, Position = 0)][object]$Identity, [string]$TransportService)
        Add-LsCall 'Disable-TransportAgent' $PSBoundParameters
        $agent = Get-LsFakeAgent (Get-LsTransportServiceName $TransportService) ([string]$Identity)
        if ($null -eq $agent) { throw "Couldn't find transport agent '$Identity'." }
        $agent.Enabled = $false
    }

    function global:Set-TransportAgent {
        [CmdletBinding(SupportsShouldProcess = $true)]
        param([Parameter(Mandatory = $true, Position = 0)][object]$Identity, [int]$Priority, [string]$TransportService)
        Add-LsCall 'Set-TransportAgent' $PSBoundParameters
        $service = Get-LsTransportServiceName $TransportService
        $agent = Get-LsFakeAgent $service ([string]$Identity)
        if ($null -eq $agent) { throw "Couldn't find transport agent '$Identity'." }
        $list = $global:LsFake.Agents[$service]
        if ($Priority -lt 1 -or $Priority -gt $list.Count) { throw "Priority $Priority is out of range (1-$($list.Count))." }
        [void]$list.Remove($agent)
        $list.Insert($Priority - 1, $agent)
        Update-LsFakePriority -TransportService $service
    }

    function global:Uninstall-TransportAgent {
        [CmdletBinding(SupportsShouldProcess = $true)]
        param([Parameter(Mandatory = $true, Position = 0)][object]$Identity, [string]$TransportService)
        Add-LsCall 'Uninstall-TransportAgent' $PSBoundParameters
        $service = Get-LsTransportServiceName $TransportService
        $agent = Get-LsFakeAgent $service ([string]$Identity)
        if ($null -eq $agent) { throw "Couldn't find transport agent '$Identity'." }
        [void]$global:LsFake.Agents[$service].Remove($agent)
        Update-LsFakePriority -TransportService $service
    }

    function global:Get-SendConnector {
        [CmdletBinding()] param([Parameter(Position = 0)][object]$Identity)
        Add-LsCall 'Get-SendConnector' $PSBoundParameters
        $list = @($global:LsFake.Connectors)
        if ($null -ne $Identity) {
            $list = @($list | Where-Object { $_.Name -eq [string]$Identity })
            if ($list.Count -eq 0) { throw "The operation couldn't be performed because object '$Identity' couldn't be found." }
        }
        foreach ($c in $list) { $c.PSObject.Copy() }
    }

    function global:New-SendConnector {
        [CmdletBinding(SupportsShouldProcess = $true)]
        param(
            [Parameter(Mandatory = $true, Position = 0)][string]$Name,
            [object[]]$AddressSpaces, [string]$Usage, [switch]$Custom, [bool]$DNSRoutingEnabled = $true,
            [object[]]$SmartHosts, [bool]$RequireTLS, [string]$TlsAuthLevel, [string]$TlsDomain, [object[]]$SourceTransportServers
        )
        Add-LsCall 'New-SendConnector' $PSBoundParameters
        Invoke-LsFakeFailure 'New-SendConnector'
        if (@($global:LsFake.Connectors | Where-Object { $_.Name -eq $Name }).Count -gt 0) { throw "A Send connector named '$Name' already exists." }
        if (-not $DNSRoutingEnabled -and @($SmartHosts).Count -eq 0) { throw 'SmartHosts are required when DNSRoutingEnabled is $false.' }
        if ($DNSRoutingEnabled -and @($SmartHosts | Where-Object { $null -ne $_ }).Count -gt 0) { throw 'DNSRoutingEnabled must be $false when SmartHosts are set.' }
        if (-not [string]::IsNullOrEmpty($TlsAuthLevel) -and -not $RequireTLS) { throw "TlsAuthLevel can't be set when RequireTLS is false." }
        $sources = @($SourceTransportServers | Where-Object { -not [string]::IsNullOrEmpty([string]$_) })
        if ($sources.Count -eq 0) { $sources = @($global:LsFake.Server.Name) }
        $connector = [pscustomobject]@{
            Name                   = $Name
            Identity               = $Name
            AddressSpaces          = @($AddressSpaces | ForEach-Object { [string]$_ })
            DNSRoutingEnabled      = $DNSRoutingEnabled
            SmartHosts             = @($SmartHosts | Where-Object { $null -ne $_ } | ForEach-Object { [string]$_ })
            RequireTLS             = $RequireTLS
            IgnoreSTARTTLS         = $false
            TlsAuthLevel           = $(if ([string]::IsNullOrEmpty($TlsAuthLevel)) { $null } else { $TlsAuthLevel })
            TlsDomain              = $TlsDomain
            SourceTransportServers = @($sources | ForEach-Object { [string]$_ })
        }
        $global:LsFake.Connectors.Add($connector)
        $connector
    }

    function global:Set-SendConnector {
        [CmdletBinding(SupportsShouldProcess = $true)]
        param(
            [Parameter(Mandatory = $true, Position = 0)][object]$Identity,
            [object[]]$AddressSpaces, [bool]$DNSRoutingEnabled, [object[]]$SmartHosts, [bool]$RequireTLS, [bool]$IgnoreSTARTTLS,
            [string]$TlsAuthLevel, [string]$TlsDomain, [object[]]$SourceTransportServers
        )
        Add-LsCall 'Set-SendConnector' $PSBoundParameters
        $connector = $global:LsFake.Connectors | Where-Object { $_.Name -eq [string]$Identity } | Select-Object -First 1
        if ($null -eq $connector) { throw "The operation couldn't be performed because object '$Identity' couldn't be found." }
        foreach ($key in @('AddressSpaces', 'SmartHosts', 'SourceTransportServers')) {
            if ($PSBoundParameters.ContainsKey($key)) { $connector.$key = @($PSBoundParameters[$key] | ForEach-Object { [string]$_ }) }
        }
        foreach ($key in @('DNSRoutingEnabled', 'RequireTLS', 'IgnoreSTARTTLS', 'TlsAuthLevel', 'TlsDomain')) {
            if ($PSBoundParameters.ContainsKey($key)) { $connector.$key = $PSBoundParameters[$key] }
        }
        if ($connector.TlsAuthLevel -and -not $connector.RequireTLS) { throw "TlsAuthLevel can't be set when RequireTLS is false." }
    }

    function global:Remove-SendConnector {
        [CmdletBinding(SupportsShouldProcess = $true)]
        param([Parameter(Mandatory = $true, Position = 0)][object]$Identity)
        Add-LsCall 'Remove-SendConnector' $PSBoundParameters
        $connector = $global:LsFake.Connectors | Where-Object { $_.Name -eq [string]$Identity } | Select-Object -First 1
        if ($null -eq $connector) { throw "The operation couldn't be performed because object '$Identity' couldn't be found." }
        [void]$global:LsFake.Connectors.Remove($connector)
    }

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

    $ruleParameters = @('SentToScope', 'HeaderContainsMessageHeader', 'HeaderContainsWords', 'SubjectOrBodyContainsWords', 'FromMemberOf', 'SetHeaderName', 'SetHeaderValue', 'Priority', 'Mode', 'Comments', 'Enabled')
    $global:LsFake['RuleParameters'] = $ruleParameters

    function global:New-TransportRule {
        [CmdletBinding(SupportsShouldProcess = $true)]
        param(
            [Parameter(Mandatory = $true, Position = 0)][string]$Name,
            [object]$SentToScope, [object]$HeaderContainsMessageHeader, [object[]]$HeaderContainsWords,
            [object[]]$SubjectOrBodyContainsWords, [object[]]$FromMemberOf, [object]$SetHeaderName, [object]$SetHeaderValue,
            [int]$Priority, [string]$Mode, [string]$Comments, [bool]$Enabled = $true
        )
        Add-LsCall 'New-TransportRule' $PSBoundParameters
        if (@($global:LsFake.Rules | Where-Object { $_.Name -eq $Name }).Count -gt 0) { throw "A transport rule named '$Name' already exists." }
        if ($null -ne $HeaderContainsMessageHeader -and @($HeaderContainsWords).Count -eq 0) { throw 'HeaderContainsWords is required with HeaderContainsMessageHeader.' }
        if (($null -eq $SetHeaderName) -ne ($null -eq $SetHeaderValue)) { throw 'SetHeaderName and SetHeaderValue go together.' }
        $rule = [ordered]@{ Name = $Name; Identity = $Name; State = 'Enabled'; Mode = 'Enforce'; Priority = $global:LsFake.Rules.Count }
        foreach ($key in $global:LsFake.RuleParameters) {
            if ($key -eq 'Priority' -or $key -eq 'Mode') { if ($PSBoundParameters.ContainsKey($key)) { $rule[$key] = $PSBoundParameters[$key] }; continue }
            if ($key -eq 'Enabled') { continue }
            if ($PSBoundParameters.ContainsKey($key)) { $rule[$key] = $PSBoundParameters[$key] } else { $rule[$key] = $null }
        }
        # Exchange stores these as string collections.
        foreach ($key in @('HeaderContainsWords', 'SubjectOrBodyContainsWords', 'FromMemberOf')) { if ($null -ne $rule[$key]) { $rule[$key] = @($rule[$key] | ForEach-Object { [string]$_ }) } }
        if ($null -ne $rule['SentToScope']) { $rule['SentToScope'] = [string]$rule['SentToScope'] }
        $object = [pscustomobject]$rule
        $global:LsFake.Rules.Add($object)
        $object
    }

    function global:Set-TransportRule {
        [CmdletBinding(SupportsShouldProcess = $true)]
        param(
            [Parameter(Mandatory = $true, Position = 0)][object]$Identity,
            [object]$SentToScope, [object]$HeaderContainsMessageHeader, [object[]]$HeaderContainsWords,
            [object[]]$SubjectOrBodyContainsWords, [object[]]$FromMemberOf, [object]$SetHeaderName, [object]$SetHeaderValue,
            [int]$Priority, [string]$Mode, [string]$Comments
        )
        Add-LsCall 'Set-TransportRule' $PSBoundParameters
        $rule = $global:LsFake.Rules | Where-Object { $_.Name -eq [string]$Identity } | Select-Object -First 1
        if ($null -eq $rule) { throw "The operation couldn't be performed because object '$Identity' couldn't be found." }
        foreach ($key in $PSBoundParameters.Keys) {
            if (@('Identity', 'Confirm', 'WhatIf', 'Verbose', 'Debug', 'ErrorAction') -contains $key) { continue }
            $value = $PSBoundParameters[$key]
            if ($null -ne $value -and @('HeaderContainsWords', 'SubjectOrBodyContainsWords', 'FromMemberOf') -contains $key) { $value = @($value | ForEach-Object { [string]$_ }) }
            if ($null -ne $value -and $key -eq 'SentToScope') { $value = [string]$value }
            $rule.$key = $value
        }
    }
}

function global:Remove-LsExchangeStandIns {
    # Takes the Exchange cmdlets away (as in a plain PowerShell window).
    foreach ($name in $global:LsTestExchangeCommandNames) {
        while (Test-Path "Function:\$name") { Remove-Item "Function:\$name" }
    }
}

# ---------------------------------------------------------------------------------------
# Windows operation stand-ins (Pester mocks of the module's platform functions)
# ---------------------------------------------------------------------------------------

function global:Register-LsWindowsStandIns {
    Mock Add-LsExchangeSnapin {
        Add-LsCall 'Add-LsExchangeSnapin' @{}
        if (-not $global:LsFake.SnapInAvailable) { throw "The Windows PowerShell snap-in 'Microsoft.Exchange.Management.PowerShell.SnapIn' is not installed on this computer." }
        Install-LsExchangeStandIns
    }
    Mock Test-LsAdministrator { Add-LsCall 'Test-LsAdministrator' @{}; $global:LsFake.IsAdministrator }
    Mock Get-LsComputerName { $global:LsFake.Server.Name }
    Mock Get-LsDotNetFrameworkRelease { Add-LsCall 'Get-LsDotNetFrameworkRelease' @{}; $global:LsFake.DotNetRelease }
    Mock Test-LsEventLogSource { $global:LsFake.EventSources.Contains($Source) }
    Mock New-LsEventLogSource {
        Add-LsCall 'New-LsEventLogSource' @{ Source = $Source; LogName = $LogName }
        if ($global:LsFake.EventSources.Contains($Source)) { throw "Source $Source already exists." }
        $global:LsFake.EventSources.Add($Source)
    }
    Mock Remove-LsEventLogSource {
        Add-LsCall 'Remove-LsEventLogSource' @{ Source = $Source }
        if (-not $global:LsFake.EventSources.Remove($Source)) { throw "Source $Source does not exist." }
    }
    Mock Get-LsRecentEventLogError {
        Add-LsCall 'Get-LsRecentEventLogError' @{ Source = $Source; LogName = $LogName; Since = $Since }
        @($global:LsFake.Events | Where-Object { $_.ProviderName -eq $Source -and $_.LevelDisplayName -eq 'Error' -and $_.TimeCreated -ge $Since })
    }
    Mock Get-LsServiceStatus { $global:LsFake.Services[$Name] }
    Mock Stop-LsService {
        Add-LsCall 'Stop-LsService' @{ Name = $Name }
        Invoke-LsFakeFailure 'Stop-LsService'
        $global:LsFake.Services[$Name] = 'Stopped'
    }
    Mock Start-LsService {
        Add-LsCall 'Start-LsService' @{ Name = $Name }
        $global:LsFake.Services[$Name] = 'Running'
    }
    Mock Restart-LsService {
        Add-LsCall 'Restart-LsService' @{ Name = $Name }
        $global:LsFake.Services[$Name] = 'Running'
    }
    Mock Test-LsFolderWriteAccess { $global:LsFake.WritableFolders.Contains("$Path|$Account") }
    Mock Grant-LsFolderWriteAccess {
        Add-LsCall 'Grant-LsFolderWriteAccess' @{ Path = $Path; Account = $Account }
        if (-not (Test-Path -LiteralPath $Path -PathType Container)) { throw "Folder $Path not found." }
        $global:LsFake.WritableFolders.Add("$Path|$Account")
    }
    Mock Start-LsTranscript {
        Add-LsCall 'Start-LsTranscript' @{ Path = $Path }
        if ($null -ne $global:LsFake.ActiveTranscript) { throw 'A transcript is already running.' }
        Set-Content -LiteralPath $Path -Value "Transcript started $(Get-Date -Format o)"
        $global:LsFake.ActiveTranscript = $Path
        $global:LsFake.Transcripts.Add($Path)
    }
    Mock Stop-LsTranscript {
        Add-LsCall 'Stop-LsTranscript' @{}
        if ($null -ne $global:LsFake.ActiveTranscript -and (Test-Path -LiteralPath (Split-Path -Parent $global:LsFake.ActiveTranscript))) {
            Add-Content -LiteralPath $global:LsFake.ActiveTranscript -Value 'Transcript stopped'
        }
        $global:LsFake.ActiveTranscript = $null
    }
}

# ---------------------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------------------

function global:New-LsTestConfig {
    # A LinkSecure.config.json like the shipped template; -Routing overrides routing keys.
    param([hashtable]$Routing = @{}, [hashtable]$Top = @{})
    $routingSection = [ordered]@{
        mode                   = 'connector'
        domainValidationDomain = 'linksecure-dv.invalid'
        certificateValidationDomain = 'linksecure-cv.invalid'
        encryptionOnlyDomain   = 'linksecure-eo.invalid'
        smartHostDomain        = 'linksecure-relay.invalid'
        smartHosts             = @()
        smartHostTlsAuthLevel  = 'DomainValidation'
        sendConnectorPrefix    = 'ExchangeLinkSecure'
    }
    foreach ($key in $Routing.Keys) { $routingSection[$key] = $Routing[$key] }
    $config = [ordered]@{
        enforceForAllMail = $false
        internalDomains   = @()
        knownDomains      = [ordered]@{ useEmbedded = $true; files = @() }
        overrides         = @(
            [ordered]@{ domain = 'partner.example'; level = 3 },
            [ordered]@{ domain = 'legacy.example'; never = $true }
        )
        defer             = [ordered]@{ retryMinutes = 15; maxDeferMinutes = 240 }
        routing           = $routingSection
        agent             = [ordered]@{ lookupBudgetMilliseconds = 3000 }
        resolver          = [ordered]@{}
        downgrade         = [ordered]@{}
    }
    foreach ($key in $Top.Keys) { $config[$key] = $Top[$key] }
    "// ExchangeLinkSecure configuration (test fixture)`n" + ($config | ConvertTo-Json -Depth 6)
}

function global:New-LsPublishedFolder {
    # A fake "dotnet publish" output. The DLLs are text files whose content carries the
    # version, so two versions differ byte for byte.
    param([Parameter(Mandatory = $true)][string]$Path, [string]$Version = '1.0.0', [string]$ConfigText)
    New-Item -ItemType Directory -Path $Path -Force | Out-Null
    foreach ($dll in @('LinkSecure.Exchange.dll', 'LinkSecure.Core.dll', 'MimeKit.dll', 'DnsClient.dll', 'NLog.dll')) {
        Set-Content -LiteralPath (Join-Path $Path $dll) -Value "fake assembly $dll version=$Version"
    }
    if ([string]::IsNullOrEmpty($ConfigText)) { $ConfigText = New-LsTestConfig }
    Set-Content -LiteralPath (Join-Path $Path 'LinkSecure.config.json') -Value $ConfigText
    Set-Content -LiteralPath (Join-Path $Path 'LinkSecure.nlog.config') -Value "<nlog><!-- version=$Version --></nlog>"
    $Path
}

function global:Register-LsFileVersionStandIn {
    # Get-LsFileVersion reads a real PE version; the fake DLLs carry "version=x.y.z" instead.
    Mock Get-LsFileVersion {
        if (-not (Test-Path -LiteralPath $Path -PathType Leaf)) { return $null }
        $m = [regex]::Match((Get-Content -LiteralPath $Path -Raw), 'version=([0-9.]+)')
        if ($m.Success) { [version]$m.Groups[1].Value } else { $null }
    }
}

function global:New-LsTestRoot {
    # A fresh temporary folder for one test.
    $root = Join-Path ([System.IO.Path]::GetTempPath()) ('lstest-' + [guid]::NewGuid().ToString('N').Substring(0, 12))
    New-Item -ItemType Directory -Path $root -Force | Out-Null
    $root
}
