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
        if (Invoke-LsFakeFailure 'New-SendConnector' $PSBoundParameters) { return }
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
        if (Invoke-LsFakeFailure 'Set-SendConnector' $PSBoundParameters) { return }
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
        if (Invoke-LsFakeFailure 'Remove-SendConnector' $PSBoundParameters) { return }
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
