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

function global:Assert-LsCallOrder {
    # The named calls were made in this order (each one found after the previous one). A missing call
    # fails here, not silently.
    param([Parameter(Mandatory = $true)][string[]]$Names, [object[]]$Calls = @(Get-LsCall))
    $order = @($Calls | ForEach-Object { $_.Name })
    $position = -1
    foreach ($name in $Names) {
        $index = -1
        for ($i = $position + 1; $i -lt $order.Count; $i++) { if ($order[$i] -eq $name) { $index = $i; break } }
        if ($index -lt 0) {
            if ($order -contains $name) { throw "Expected a call to $name after the calls before it in $($Names -join ' > '); calls made: $($order -join ', ')" }
            throw "Expected a call to $name; calls made: $($order -join ', ')"
        }
        $position = $index
    }
}

function global:Get-LsMutatingCall {
    # Calls that change something (everything but the Get-/Test- reads, transcripts, the CLI's checks and waits).
    $global:LsFake.Calls | Where-Object { $_.Name -notmatch '^(Get|Test)-' -and $_.Name -notmatch 'Transcript' -and @('Invoke-LsCli', 'Wait-LsInterval') -notcontains $_.Name }
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
        Servers           = [System.Collections.Generic.List[object]]::new()
        EdgeSubscribed    = $false
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
        # A test makes a command fail: FailCommand['Name'] = 'message' (every call) or
        # @{ Message = '...'; After = N; Times = M; Exception = <exception to throw> } (the first N
        # calls succeed, then M calls fail; without Times every later call fails).
        FailCommand       = @{}
        FailCounts        = @{}
        # $true: the Exchange stand-ins behave like the remote Exchange Management Shell's proxy
        # functions: their errors are non-terminating unless the caller passes -ErrorAction Stop.
        RemoteShell       = $false
        # Folders locked down (Set-LsInstallFolderLocked).
        LockedFolders     = [System.Collections.Generic.List[string]]::new()
        # What the agent does when the transport service starts with it enabled: 'Started' (event
        # 1000), 'FactoryFailed' (event 3001) or 'Silent' (no event).
        AgentStart        = 'Started'
        # The agent's answer to a configuration change: 1001 (reloaded), 2001 (refused) or $null.
        ReloadEventId     = 1001
        # Exit code of "linksecure explain"; $null: 0 when the --config file exists, else 2.
        ExplainExitCode   = $null
    }
    $global:LsFake.Servers.Add($global:LsFake.Server)
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
    # Lets a test make a command fail (FailCommand in Reset-LsFake). Throws, or, for an Exchange
    # stand-in in RemoteShell mode called without -ErrorAction Stop, writes a non-terminating error
    # and returns $true (the caller then returns without effect), as an implicit-remoting proxy does.
    param([string]$Name, [hashtable]$Bound)
    if (-not $global:LsFake.FailCommand.ContainsKey($Name)) { return $false }
    $spec = $global:LsFake.FailCommand[$Name]
    $count = 0
    if ($global:LsFake.FailCounts.ContainsKey($Name)) { $count = $global:LsFake.FailCounts[$Name] }
    $global:LsFake.FailCounts[$Name] = $count + 1
    $message = [string]$spec
    if ($spec -is [hashtable]) {
        $message = [string]$spec.Message
        if ($count -lt [int]$spec.After) { return $false }
        if ($spec.ContainsKey('Times') -and $count -ge ([int]$spec.After + [int]$spec.Times)) { return $false }
        if ($spec.ContainsKey('Exception')) { throw $spec.Exception }
    }
    Stop-LsFakeCommand -Bound $Bound -Message $message
    $true
}

function global:Stop-LsFakeCommand {
    # The error of an Exchange stand-in: terminating, or non-terminating in RemoteShell mode unless the
    # caller asked for -ErrorAction Stop.
    param([hashtable]$Bound, [string]$Message)
    if ($global:LsFake.RemoteShell -and $null -ne $Bound -and [string]$Bound['ErrorAction'] -ne 'Stop') {
        $action = if ($Bound.ContainsKey('ErrorAction')) { $Bound['ErrorAction'] } else { 'Continue' }
        Write-Error -Message $Message -ErrorAction $action
        return
    }
    throw $Message
}

function global:Add-LsFakeAgentEvent {
    # An event the agent would write to the Application log.
    param([int]$Id, [string]$Message)
    $level = if ($Id -ge 3000) { 'Error' } elseif ($Id -ge 2000) { 'Warning' } else { 'Information' }
    $global:LsFake.Events.Add([pscustomobject]@{ ProviderName = 'ExchangeLinkSecure'; Id = $Id; LevelDisplayName = $level; TimeCreated = (Get-Date); Message = $Message })
}

function global:Start-LsFakeTransport {
    # The transport service starts: an enabled ExchangeLinkSecure agent loads (event 1000) or not.
    param([string]$Name)
    $global:LsFake.Services[$Name] = 'Running'
    foreach ($service in @('Hub', 'Edge')) {
        $agent = Get-LsFakeAgent $service 'ExchangeLinkSecure Routing Agent'
        if ($null -eq $agent -or -not $agent.Enabled) { continue }
        if (-not (Test-Path -LiteralPath $agent.AssemblyPath -PathType Leaf)) { Add-LsFakeAgentEvent 3001 "The agent assembly $($agent.AssemblyPath) is missing."; continue }
        switch ($global:LsFake.AgentStart) {
            'Started' { Add-LsFakeAgentEvent 1000 "ExchangeLinkSecure agent started from $(Split-Path -Parent $agent.AssemblyPath)." }
            'FactoryFailed' { Add-LsFakeAgentEvent 3001 'The agent factory failed to start: the agent is inert.' }
        }
    }
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
        if ($null -eq $Identity) { return @($global:LsFake.Servers) }
        $server = $global:LsFake.Servers | Where-Object { $_.Name -eq [string]$Identity } | Select-Object -First 1
        if ($null -eq $server) { throw "The operation couldn't be performed because object '$Identity' couldn't be found." }
        $server
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
        if (Invoke-LsFakeFailure 'Install-TransportAgent' $PSBoundParameters) { return }
        $service = Get-LsTransportServiceName $TransportService
        if ($Name.Length -gt 64) { Stop-LsFakeCommand $PSBoundParameters 'The agent name is longer than 64 characters.'; return }
        if (-not [System.IO.Path]::IsPathRooted($AssemblyPath)) { Stop-LsFakeCommand $PSBoundParameters "AssemblyPath '$AssemblyPath' must be a full path."; return }
        if ($AssemblyPath.StartsWith('\\')) { Stop-LsFakeCommand $PSBoundParameters 'UNC paths are not allowed for AssemblyPath.'; return }
        if ($null -ne (Get-LsFakeAgent $service $Name)) { Stop-LsFakeCommand $PSBoundParameters "Transport agent '$Name' already exists."; return }
        if (-not (Test-Path -LiteralPath $AssemblyPath -PathType Leaf)) { Stop-LsFakeCommand $PSBoundParameters "The file '$AssemblyPath' doesn't exist."; return }
        # New agents are installed disabled and appended at the end.
        Add-LsFakeAgent -TransportService $service -Name $Name -Factory $TransportAgentFactory -AssemblyPath $AssemblyPath -Enabled $false
        Get-LsFakeAgent $service $Name
    }

    function global:Enable-TransportAgent {
        [CmdletBinding(SupportsShouldProcess = $true)]
        param([Parameter(Mandatory = $true, Position = 0)][object]$Identity, [string]$TransportService)
        Add-LsCall 'Enable-TransportAgent' $PSBoundParameters
        if (Invoke-LsFakeFailure 'Enable-TransportAgent' $PSBoundParameters) { return }
        $agent = Get-LsFakeAgent (Get-LsTransportServiceName $TransportService) ([string]$Identity)
        if ($null -eq $agent) { Stop-LsFakeCommand $PSBoundParameters "Couldn't find transport agent '$Identity'."; return }
        $agent.Enabled = $true
    }

    function global:Disable-TransportAgent {
        [CmdletBinding(SupportsShouldProcess = $true)]
        param([Parameter(Mandatory = $true, Position = 0)][object]$Identity, [string]$TransportService)
        Add-LsCall 'Disable-TransportAgent' $PSBoundParameters
        if (Invoke-LsFakeFailure 'Disable-TransportAgent' $PSBoundParameters) { return }
        $agent = Get-LsFakeAgent (Get-LsTransportServiceName $TransportService) ([string]$Identity)
        if ($null -eq $agent) { Stop-LsFakeCommand $PSBoundParameters "Couldn't find transport agent '$Identity'."; return }
        $agent.Enabled = $false
    }

    function global:Set-TransportAgent {
        [CmdletBinding(SupportsShouldProcess = $true)]
        param([Parameter(Mandatory = $true, Position = 0)][object]$Identity, [int]$Priority, [string]$TransportService)
        Add-LsCall 'Set-TransportAgent' $PSBoundParameters
        if (Invoke-LsFakeFailure 'Set-TransportAgent' $PSBoundParameters) { return }
        $service = Get-LsTransportServiceName $TransportService
        $agent = Get-LsFakeAgent $service ([string]$Identity)
        if ($null -eq $agent) { Stop-LsFakeCommand $PSBoundParameters "Couldn't find transport agent '$Identity'."; return }
        $list = $global:LsFake.Agents[$service]
        if ($Priority -lt 1 -or $Priority -gt $list.Count) { Stop-LsFakeCommand $PSBoundParameters "Priority $Priority is out of range (1-$($list.Count))."; return }
        [void]$list.Remove($agent)
        $list.Insert($Priority - 1, $agent)
        Update-LsFakePriority -TransportService $service
    }

    function global:Uninstall-TransportAgent {
        [CmdletBinding(SupportsShouldProcess = $true)]
        param([Parameter(Mandatory = $true, Position = 0)][object]$Identity, [string]$TransportService)
        Add-LsCall 'Uninstall-TransportAgent' $PSBoundParameters
        if (Invoke-LsFakeFailure 'Uninstall-TransportAgent' $PSBoundParameters) { return }
        $service = Get-LsTransportServiceName $TransportService
        $agent = Get-LsFakeAgent $service ([string]$Identity)
        if ($null -eq $agent) { Stop-LsFakeCommand $PSBoundParameters "Couldn't find transport agent '$Identity'."; return }
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
        # Copies, like objects from a cmdlet: changing them changes nothing.
        foreach ($c in $list) { $c.PSObject.Copy() }
    }

    # The parameters New-SendConnector and Set-SendConnector share here (the AddressSpaces parameter set).
    $global:LsFake['ConnectorParameters'] = @(
        'AddressSpaces', 'DNSRoutingEnabled', 'SmartHosts', 'RequireTLS', 'IgnoreSTARTTLS', 'TlsAuthLevel', 'TlsDomain',
        'SourceTransportServers', 'Comment', 'Fqdn', 'TlsCertificateName', 'FrontendProxyEnabled', 'UseExternalDNSServersEnabled',
        'MaxMessageSize', 'ProtocolLoggingLevel', 'Enabled', 'IsScopedConnector', 'Port'
    )

    function global:New-SendConnector {
        [CmdletBinding(SupportsShouldProcess = $true, DefaultParameterSetName = 'AddressSpaces')]
        param(
            [Parameter(Mandatory = $true, Position = 0)][string]$Name,
            [Parameter(Mandatory = $true, ParameterSetName = 'AddressSpaces')][object[]]$AddressSpaces,
            [Parameter(Mandatory = $true, ParameterSetName = 'LinkedReceiveConnector')][object]$LinkedReceiveConnector,
            [ValidateSet('Custom', 'Internal', 'Internet', 'Partner')][string]$Usage,
            [bool]$DNSRoutingEnabled = $true, [object[]]$SmartHosts, [bool]$RequireTLS, [bool]$IgnoreSTARTTLS,
            [ValidateSet('EncryptionOnly', 'CertificateValidation', 'DomainValidation')][string]$TlsAuthLevel, [string]$TlsDomain,
            [object[]]$SourceTransportServers, [string]$Comment, [string]$Fqdn, [string]$TlsCertificateName,
            [bool]$FrontendProxyEnabled, [bool]$UseExternalDNSServersEnabled, [object]$MaxMessageSize,
            [ValidateSet('None', 'Verbose')][string]$ProtocolLoggingLevel = 'None', [bool]$Enabled = $true,
            [bool]$IsScopedConnector, [ValidateRange(1, 65535)][int]$Port = 25
        )
        Add-LsCall 'New-SendConnector' $PSBoundParameters
        if (Invoke-LsFakeFailure 'New-SendConnector' $PSBoundParameters) { return }
        Assert-LsFakeConnectorCmdletsEnabled
        if ($PSCmdlet.ParameterSetName -eq 'LinkedReceiveConnector') { throw 'The LinkedReceiveConnector parameter is no longer available (Exchange 2013 and later).' }
        if (@($global:LsFake.Connectors | Where-Object { $_.Name -eq $Name }).Count -gt 0) { throw "A Send connector named '$Name' already exists." }
        if ($Name.Length -gt 64) { throw 'The Send connector name is longer than 64 characters.' }
        $onEdge = $global:LsFake.Server.ServerRole -eq 'Edge'
        if ($onEdge -and $PSBoundParameters.ContainsKey('SourceTransportServers')) { throw "The SourceTransportServers parameter isn't valid for Send connectors on an Edge Transport server." }
        $sources = @($SourceTransportServers | Where-Object { -not [string]::IsNullOrEmpty([string]$_) } | ForEach-Object { [string]$_ })
        if ($sources.Count -eq 0) { $sources = @($global:LsFake.Server.Name) }
        $connector = [ordered]@{ Name = $Name; Identity = $Name; IgnoreSTARTTLS = $false; TlsAuthLevel = $null; TlsDomain = $null; Comment = $null
            Fqdn = $null; TlsCertificateName = $null; FrontendProxyEnabled = $false; UseExternalDNSServersEnabled = $false
            MaxMessageSize = '35 MB (36,700,160 bytes)'; ProtocolLoggingLevel = $ProtocolLoggingLevel; Enabled = $Enabled; IsScopedConnector = $false; Port = $Port
            DNSRoutingEnabled = $DNSRoutingEnabled; RequireTLS = $RequireTLS; SmartHosts = @(); SourceTransportServers = $sources; AddressSpaces = @()
        }
        foreach ($key in $global:LsFake.ConnectorParameters) {
            if ($PSBoundParameters.ContainsKey($key)) { $connector[$key] = $PSBoundParameters[$key] }
        }
        $object = ConvertTo-LsFakeConnector $connector
        Assert-LsFakeConnectorValid $object
        $global:LsFake.Connectors.Add($object)
        $object.PSObject.Copy()
    }

    function global:Set-SendConnector {
        [CmdletBinding(SupportsShouldProcess = $true)]
        param(
            [Parameter(Mandatory = $true, Position = 0)][object]$Identity,
            [object[]]$AddressSpaces, [bool]$DNSRoutingEnabled, [AllowNull()][object[]]$SmartHosts, [bool]$RequireTLS, [bool]$IgnoreSTARTTLS,
            [ValidateSet('EncryptionOnly', 'CertificateValidation', 'DomainValidation')][string]$TlsAuthLevel, [AllowNull()][AllowEmptyString()][string]$TlsDomain,
            [object[]]$SourceTransportServers, [AllowNull()][AllowEmptyString()][string]$Comment, [string]$Fqdn, [string]$TlsCertificateName,
            [bool]$FrontendProxyEnabled, [bool]$UseExternalDNSServersEnabled, [object]$MaxMessageSize,
            [ValidateSet('None', 'Verbose')][string]$ProtocolLoggingLevel, [bool]$Enabled,
            [bool]$IsScopedConnector, [ValidateRange(1, 65535)][int]$Port
        )
        Add-LsCall 'Set-SendConnector' $PSBoundParameters
        if (Invoke-LsFakeFailure 'Set-SendConnector' $PSBoundParameters) { return }
        Assert-LsFakeConnectorCmdletsEnabled
        $index = -1
        for ($i = 0; $i -lt $global:LsFake.Connectors.Count; $i++) { if ($global:LsFake.Connectors[$i].Name -eq [string]$Identity) { $index = $i } }
        if ($index -lt 0) { throw "The operation couldn't be performed because object '$Identity' couldn't be found." }
        if ($global:LsFake.Server.ServerRole -eq 'Edge' -and $PSBoundParameters.ContainsKey('SourceTransportServers')) { throw "The SourceTransportServers parameter isn't valid for Send connectors on an Edge Transport server." }
        $state = [ordered]@{}
        foreach ($property in $global:LsFake.Connectors[$index].PSObject.Properties) { $state[$property.Name] = $property.Value }
        foreach ($key in $global:LsFake.ConnectorParameters) {
            if ($PSBoundParameters.ContainsKey($key)) { $state[$key] = $PSBoundParameters[$key] }
        }
        $object = ConvertTo-LsFakeConnector $state
        # Exchange validates the object it would save: nothing changes when the result is invalid.
        Assert-LsFakeConnectorValid $object
        $global:LsFake.Connectors[$index] = $object
    }

    function global:Remove-SendConnector {
        [CmdletBinding(SupportsShouldProcess = $true)]
        param([Parameter(Mandatory = $true, Position = 0)][object]$Identity)
        Add-LsCall 'Remove-SendConnector' $PSBoundParameters
        if (Invoke-LsFakeFailure 'Remove-SendConnector' $PSBoundParameters) { return }
        Assert-LsFakeConnectorCmdletsEnabled
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
# Send connector rules (what Exchange enforces; New-SendConnector / Set-SendConnector
# reference, "Send connectors" and "Manually configure Edge Transport server mail flow")
# ---------------------------------------------------------------------------------------

function global:ConvertTo-LsFakeAddressSpace {
    # "Type:Address;Cost", "Address" or an object with Type/Address/Cost -> a normalised string.
    param([object]$Space)
    if ($Space -isnot [string]) {
        $type = [string]$Space.Type; $address = [string]$Space.Address
        $cost = 1; if ($Space.PSObject.Properties['Cost']) { $cost = [int]$Space.Cost }
    }
    else {
        $m = [regex]::Match($Space, '^(?:(?<type>[^:;]+):)?(?<address>[^;]+)(?:;(?<cost>\d+))?$')
        if (-not $m.Success) { throw "The address space '$Space' isn't valid: use Type:AddressSpace;Cost." }
        $type = if ($m.Groups['type'].Success) { $m.Groups['type'].Value } else { 'SMTP' }
        $address = $m.Groups['address'].Value
        $cost = if ($m.Groups['cost'].Success) { [int]$m.Groups['cost'].Value } else { 1 }
    }
    if ($cost -lt 1 -or $cost -gt 100) { throw "The address space cost $cost is out of range (1-100)." }
    if ($type -eq 'SMTP' -and $address -ne '*' -and $address -ne '--' -and $address -notmatch '^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$') {
        throw "The SMTP address space '$address' isn't valid (RFC 1035; '*', '*.contoso.com' or 'contoso.com')."
    }
    if ($type -eq 'X400') { throw 'X400 address spaces need RFC 1685 addresses; this stand-in does not model them.' }
    '{0}:{1};{2}' -f $type, $address, $cost
}

function global:ConvertTo-LsFakeConnector {
    param([System.Collections.IDictionary]$State)
    $State['AddressSpaces'] = @($State['AddressSpaces'] | ForEach-Object { ConvertTo-LsFakeAddressSpace $_ })
    $State['SmartHosts'] = @($State['SmartHosts'] | Where-Object { $null -ne $_ } | ForEach-Object { [string]$_ })
    $State['SourceTransportServers'] = @($State['SourceTransportServers'] | Where-Object { $null -ne $_ } | ForEach-Object { if ($_ -is [string]) { $_ } else { [string]$_.Name } })
    if ([string]::IsNullOrEmpty([string]$State['TlsAuthLevel'])) { $State['TlsAuthLevel'] = $null }
    if ([string]::IsNullOrEmpty([string]$State['TlsDomain'])) { $State['TlsDomain'] = $null }
    [pscustomobject]$State
}

function global:Assert-LsFakeConnectorCmdletsEnabled {
    # "After an Edge Transport server is subscribed ... cmdlets for creating and modifying Send connectors on the
    # Edge Transport server are disabled."
    if ($global:LsFake.Server.ServerRole -eq 'Edge' -and $global:LsFake.EdgeSubscribed) {
        throw 'This Edge Transport server is subscribed to an Exchange organization: Send connectors are managed in the organization and replicated by EdgeSync.'
    }
}

function global:Assert-LsFakeConnectorValid {
    param([object]$Connector)
    if (@($Connector.AddressSpaces).Count -eq 0) { throw 'A Send connector needs at least one address space.' }
    $smartHosts = @($Connector.SmartHosts)
    if (-not $Connector.DNSRoutingEnabled -and $smartHosts.Count -eq 0) { throw 'SmartHosts are required when DNSRoutingEnabled is $false.' }
    if ($Connector.DNSRoutingEnabled -and $smartHosts.Count -gt 0) { throw 'DNSRoutingEnabled must be $false when SmartHosts are set.' }
    if ($Connector.TlsAuthLevel -and -not $Connector.RequireTLS) { throw "TlsAuthLevel can't be set when RequireTLS is false." }
    if ($Connector.TlsAuthLevel -and $Connector.IgnoreSTARTTLS) { throw "TlsAuthLevel can't be set when IgnoreSTARTTLS is true." }
    if ($Connector.RequireTLS -and $Connector.IgnoreSTARTTLS) { throw "RequireTLS and IgnoreSTARTTLS can't both be true." }
    if ($Connector.TlsAuthLevel -eq 'DomainValidation' -and -not $Connector.DNSRoutingEnabled -and [string]::IsNullOrEmpty([string]$Connector.TlsDomain)) {
        throw 'TlsDomain is required when TlsAuthLevel is DomainValidation and the connector routes through smart hosts (DNSRoutingEnabled $false).'
    }
    $servers = @(foreach ($name in @($Connector.SourceTransportServers)) {
            $server = $global:LsFake.Servers | Where-Object { $_.Name -eq $name } | Select-Object -First 1
            if ($null -eq $server) { throw "The source server '$name' couldn't be found." }
            $server
        })
    $edge = @($servers | Where-Object { $_.ServerRole -eq 'Edge' })
    if ($edge.Count -gt 0 -and $edge.Count -lt $servers.Count) {
        throw "You can't specify both Mailbox servers and Edge Subscriptions as source servers for the same Send connector."
    }
    $onEdge = ($edge.Count -gt 0) -or ($global:LsFake.Server.ServerRole -eq 'Edge')
    foreach ($space in @($Connector.AddressSpaces)) {
        $type = ([string]$space).Split(':')[0]
        if ($type -ne 'SMTP') {
            if ($onEdge) { throw "Address space type '$type' isn't allowed on an Edge Transport server: the type must be SMTP." }
            if ($Connector.DNSRoutingEnabled) { throw "A non-SMTP address space ('$space') needs smart host routing: set DNSRoutingEnabled to `$false and give SmartHosts." }
        }
    }
}

function global:Add-LsFakeServer {
    # Another server of the organisation (Mailbox, or Edge for an Edge subscription).
    param([Parameter(Mandatory = $true)][string]$Name, [ValidateSet('Mailbox', 'Edge')][string]$Role = 'Mailbox')
    $global:LsFake.Servers.Add([pscustomobject]@{ Name = $Name; Fqdn = "$Name.contoso.test"; AdminDisplayVersion = 'Version 15.2 (Build 1544.4)'; ServerRole = $Role })
}

function global:Add-LsFakeInternetConnector {
    # The organisation's existing "*" Internet connector (what -Egress copies).
    param(
        [string]$Name = 'Internet',
        [string[]]$SourceTransportServers = @('EX1'),
        [string[]]$SmartHosts = @(),
        [hashtable]$Properties = @{}
    )
    $state = [ordered]@{ Name = $Name; Identity = $Name; AddressSpaces = @('SMTP:*;1'); DNSRoutingEnabled = ($SmartHosts.Count -eq 0); SmartHosts = $SmartHosts
        RequireTLS = $false; IgnoreSTARTTLS = $false; TlsAuthLevel = $null; TlsDomain = $null; SourceTransportServers = $SourceTransportServers; Comment = $null
        Fqdn = 'mail.contoso.test'; TlsCertificateName = '<I>CN=Contoso CA<S>CN=mail.contoso.test'; FrontendProxyEnabled = $true; UseExternalDNSServersEnabled = $true
        MaxMessageSize = '50 MB (52,428,800 bytes)'; ProtocolLoggingLevel = 'None'; Enabled = $true; IsScopedConnector = $false; Port = 25
    }
    foreach ($key in $Properties.Keys) { $state[$key] = $Properties[$key] }
    $connector = ConvertTo-LsFakeConnector $state
    Assert-LsFakeConnectorValid $connector
    $global:LsFake.Connectors.Add($connector)
}

function global:Initialize-LsFakeConnectors {
    # The organisation-level step, as an administrator runs it once before installing servers: the product's
    # connectors for a configuration, Direct egress from the given source servers.
    param([Parameter(Mandatory = $true)][string]$ConfigPath, [string[]]$SourceTransportServers = @($global:LsFake.Server.Name))
    & (Get-LsScriptPath 'Set-LinkSecureConnectors.ps1') -ConfigPath $ConfigPath -Egress Direct -SourceTransportServers $SourceTransportServers -Confirm:$false | Out-Null
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
        [void](Invoke-LsFakeFailure 'New-LsEventLogSource')
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
    # Stop-Service on a stopped service and Start-Service on a running one do nothing, as in Windows.
    Mock Stop-LsService {
        Add-LsCall 'Stop-LsService' @{ Name = $Name }
        [void](Invoke-LsFakeFailure 'Stop-LsService')
        $global:LsFake.Services[$Name] = 'Stopped'
    }
    Mock Start-LsService {
        Add-LsCall 'Start-LsService' @{ Name = $Name }
        [void](Invoke-LsFakeFailure 'Start-LsService')
        if ($global:LsFake.Services[$Name] -ne 'Running') { Start-LsFakeTransport -Name $Name }
    }
    Mock Restart-LsService {
        Add-LsCall 'Restart-LsService' @{ Name = $Name }
        [void](Invoke-LsFakeFailure 'Restart-LsService')
        $global:LsFake.Services[$Name] = 'Stopped'
        Start-LsFakeTransport -Name $Name
    }
    # ACLs: a folder's "SDDL" is the stand-in's own record of it (locked or not, and who may write).
    Mock Test-LsFolderWriteAccess { $global:LsFake.WritableFolders.Contains("$Path|$Account") }
    Mock Grant-LsFolderWriteAccess {
        Add-LsCall 'Grant-LsFolderWriteAccess' @{ Path = $Path; Account = $Account }
        [void](Invoke-LsFakeFailure 'Grant-LsFolderWriteAccess')
        if (-not (Test-Path -LiteralPath $Path -PathType Container)) { throw "Folder $Path not found." }
        if ($Account -notmatch '^S-1-') { throw "Account '$Account' is a name, not a SID: it would not resolve on a localised Windows." }
        $global:LsFake.WritableFolders.Add("$Path|$Account")
    }
    Mock Get-LsFolderSecurity {
        Add-LsCall 'Get-LsFolderSecurity' @{ Path = $Path }
        $writers = @($global:LsFake.WritableFolders | Where-Object { $_.StartsWith("$Path|") })
        (@{ Locked = $global:LsFake.LockedFolders.Contains($Path); Writers = $writers } | ConvertTo-Json -Compress)
    }
    Mock Set-LsFolderSecurity {
        Add-LsCall 'Set-LsFolderSecurity' @{ Path = $Path; Sddl = $Sddl }
        $saved = $Sddl | ConvertFrom-Json
        [void]$global:LsFake.LockedFolders.Remove($Path)
        if ($saved.Locked) { $global:LsFake.LockedFolders.Add($Path) }
        foreach ($entry in @($global:LsFake.WritableFolders | Where-Object { $_.StartsWith("$Path|") })) { [void]$global:LsFake.WritableFolders.Remove($entry) }
        foreach ($entry in @($saved.Writers)) { if ($null -ne $entry) { $global:LsFake.WritableFolders.Add([string]$entry) } }
    }
    Mock Test-LsInstallFolderLocked { $global:LsFake.LockedFolders.Contains($Path) }
    Mock Set-LsInstallFolderLocked {
        Add-LsCall 'Set-LsInstallFolderLocked' @{ Path = $Path; ServiceSid = $ServiceSid }
        [void](Invoke-LsFakeFailure 'Set-LsInstallFolderLocked')
        if (-not (Test-Path -LiteralPath $Path -PathType Container)) { throw "Folder $Path not found." }
        if ($ServiceSid -notmatch '^S-1-') { throw "'$ServiceSid' is not a SID." }
        if (-not $global:LsFake.LockedFolders.Contains($Path)) { $global:LsFake.LockedFolders.Add($Path) }
    }
    # The linksecure CLI: "config validate" applies the installer's structural check (the stand-in for the
    # agent's validator), "explain" decides when its --config file exists.
    Mock Invoke-LsCli {
        Add-LsCall 'Invoke-LsCli' @{ Path = $Path; Arguments = $Arguments }
        [void](Invoke-LsFakeFailure 'Invoke-LsCli')
        if (-not (Test-Path -LiteralPath $Path -PathType Leaf)) { throw "The term '$Path' is not recognized." }
        if ($Arguments[0] -eq 'config' -and $Arguments[1] -eq 'validate') {
            try { $problems = @(Test-LsConfigStructure -Config (Read-LsConfig -Path $Arguments[2])) }
            catch { return [pscustomobject]@{ ExitCode = 1; Output = $_.Exception.Message } }
            if ($null -ne $global:LsFake['CliProblems']) { $problems += $global:LsFake.CliProblems }
            if ($problems.Count -eq 0) { return [pscustomobject]@{ ExitCode = 0; Output = "$($Arguments[2]): valid." } }
            return [pscustomobject]@{ ExitCode = 1; Output = ("$($Arguments[2]): $($problems.Count) error(s).`n  " + ($problems -join "`n  ")) }
        }
        if ($Arguments[0] -eq 'explain') {
            $configIndex = [array]::IndexOf($Arguments, '--config')
            $code = $global:LsFake.ExplainExitCode
            if ($null -eq $code) { $code = $(if ($configIndex -ge 0 -and (Test-Path -LiteralPath $Arguments[$configIndex + 1] -PathType Leaf)) { 0 } else { 2 }) }
            return [pscustomobject]@{ ExitCode = $code; Output = '[{"recipient":"health-check@example.com","decision":"Pass"}]' }
        }
        [pscustomobject]@{ ExitCode = 2; Output = "unknown command $($Arguments -join ' ')" }
    }
    Mock Get-LsAgentEvent {
        Add-LsCall 'Get-LsAgentEvent' @{ Source = $Source; Id = $Id; Since = $Since }
        if ($Id -contains 1001 -and $null -ne $global:LsFake.ReloadEventId -and @($global:LsFake.Events | Where-Object { $_.Id -in @(1001, 2001) -and $_.TimeCreated -ge $Since }).Count -eq 0) {
            # The agent's watcher answers a configuration change.
            Add-LsFakeAgentEvent $global:LsFake.ReloadEventId 'Configuration change seen.'
        }
        @($global:LsFake.Events | Where-Object { $_.ProviderName -eq $Source -and $Id -contains $_.Id -and $_.TimeCreated -ge $Since } | Sort-Object TimeCreated -Descending)
    }
    Mock Wait-LsInterval { Add-LsCall 'Wait-LsInterval' @{ Seconds = $Seconds } }
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
    # The package's admin CLI beside the agent folder (cli\linksecure.exe; Invoke-LsCli is a stand-in).
    $cli = Join-Path (Join-Path (Split-Path -Parent $Path) 'cli') 'linksecure.exe'
    New-Item -ItemType Directory -Path (Split-Path -Parent $cli) -Force | Out-Null
    Set-Content -LiteralPath $cli -Value 'fake linksecure CLI'
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
