# The Send connectors: the stand-ins enforce what Exchange enforces, the org step (Set-LinkSecureConnectors.ps1)
# in every egress topology, a server's install and uninstall never changing them, and the drift check.

BeforeAll {
    . (Join-Path $PSScriptRoot 'StandIns.ps1')
    Import-Module (Get-LsScriptPath 'LinkSecure.Install.psm1') -Force
    Import-Module (Get-LsScriptPath 'LinkSecure.Connectors.psm1') -Force
    $script:OrgScript = Get-LsScriptPath 'Set-LinkSecureConnectors.ps1'
    $script:InstallScript = Get-LsScriptPath 'Install-LinkSecureAgent.ps1'
    $script:TestScript = Get-LsScriptPath 'Test-LinkSecureInstallation.ps1'
    $script:Relay = @{ smartHosts = @('relay1.contoso.test', 'relay2.contoso.test'); smartHostTlsDomain = 'relay.contoso.test' }

    function New-Config {
        # A configuration file with routing overrides; returns its path.
        param([hashtable]$Routing = @{}, [string]$Name = 'config.json')
        $path = Join-Path $script:Root $Name
        Set-Content -LiteralPath $path -Value (New-LsTestConfig -Routing $Routing)
        $path
    }

    function Invoke-Org {
        param([hashtable]$Arguments)
        $Arguments['Confirm'] = $false
        & $script:OrgScript @Arguments
    }

    function Get-Connector {
        param([string]$Name)
        $global:LsFake.Connectors | Where-Object Name -eq $Name
    }

    function Get-OwnConnector {
        @($global:LsFake.Connectors | Where-Object { $_.Name -like 'ExchangeLinkSecure *' })
    }

    function Invoke-Check {
        $rows = & $script:TestScript -InstallPath $script:InstallPath 6>$null
        @($rows | Where-Object { $_.Check -like 'Send connector*' })
    }
}

Describe 'Send connector stand-ins (what Exchange enforces)' {
    BeforeEach {
        Reset-LsFake
        Install-LsExchangeStandIns
        Add-LsFakeServer -Name 'EDGE1' -Role Edge
    }

    It 'refuses a DomainValidation smart-host connector without TlsDomain' {
        { New-SendConnector -Name 'R' -AddressSpaces 'SMTP:r.invalid;1' -DNSRoutingEnabled $false -SmartHosts 'relay.contoso.test' -RequireTLS $true -TlsAuthLevel DomainValidation } |
            Should -Throw '*TlsDomain is required*'
        New-SendConnector -Name 'R' -AddressSpaces 'SMTP:r.invalid;1' -DNSRoutingEnabled $false -SmartHosts 'relay.contoso.test' -RequireTLS $true -TlsAuthLevel DomainValidation -TlsDomain 'relay.contoso.test' | Out-Null
        (Get-Connector 'R').TlsDomain | Should -Be 'relay.contoso.test'
    }

    It 'refuses Mailbox servers and an Edge subscription as sources of one connector' {
        { New-SendConnector -Name 'M' -AddressSpaces 'SMTP:m.invalid;1' -SourceTransportServers 'EX1', 'EDGE1' } | Should -Throw '*both Mailbox servers and Edge Subscriptions*'
        @($global:LsFake.Connectors).Count | Should -Be 0
    }

    It 'refuses a non-SMTP address space with DNS routing, and on an Edge subscription' {
        { New-SendConnector -Name 'T' -AddressSpaces 'LinkSecure:t.invalid;1' -RequireTLS $true } | Should -Throw '*needs smart host routing*'
        { New-SendConnector -Name 'T' -AddressSpaces 'LinkSecure:t.invalid;1' -DNSRoutingEnabled $false -SmartHosts 'r.contoso.test' -SourceTransportServers 'EDGE1' } | Should -Throw '*must be SMTP*'
        New-SendConnector -Name 'T' -AddressSpaces 'LinkSecure:t.invalid;1' -DNSRoutingEnabled $false -SmartHosts 'r.contoso.test' -SourceTransportServers 'EX1' | Out-Null
        (Get-Connector 'T').AddressSpaces | Should -Be @('LinkSecure:t.invalid;1')
    }

    It 'refuses an invalid SMTP address space and the removed LinkedReceiveConnector parameter set' {
        { New-SendConnector -Name 'B' -AddressSpaces 'SMTP:*contoso.com;1' } | Should -Throw '*RFC 1035*'
        { New-SendConnector -Name 'L' -LinkedReceiveConnector 'Default EX1' } | Should -Throw '*no longer available*'
    }

    It 'leaves a connector unchanged when Set-SendConnector would make it invalid' {
        New-SendConnector -Name 'S' -AddressSpaces 'SMTP:s.invalid;1' -RequireTLS $true -TlsAuthLevel CertificateValidation | Out-Null
        { Set-SendConnector -Identity 'S' -RequireTLS $false } | Should -Throw '*RequireTLS is false*'
        { Set-SendConnector -Identity 'S' -SmartHosts 'relay.contoso.test' } | Should -Throw '*DNSRoutingEnabled must be*'
        (Get-Connector 'S').RequireTLS | Should -BeTrue
        @((Get-Connector 'S').SmartHosts).Count | Should -Be 0
    }

    It 'disables the connector cmdlets on a subscribed Edge Transport server' {
        $global:LsFake.Server.ServerRole = 'Edge'
        $global:LsFake.EdgeSubscribed = $true
        { New-SendConnector -Name 'E' -AddressSpaces 'SMTP:e.invalid;1' } | Should -Throw '*subscribed*'
    }

    It 'hands out copies: changing a Get-SendConnector result changes nothing' {
        New-SendConnector -Name 'C' -AddressSpaces 'SMTP:c.invalid;1' | Out-Null
        (Get-SendConnector -Identity 'C').Enabled = $false
        (Get-Connector 'C').Enabled | Should -BeTrue
    }
}

Describe 'Set-LinkSecureConnectors.ps1 (the organisation-level step)' {
    BeforeAll {
        Register-LsWindowsStandIns
    }

    BeforeEach {
        Reset-LsFake
        Install-LsExchangeStandIns
        Add-LsFakeServer -Name 'EX2'
        Add-LsFakeServer -Name 'EDGE1' -Role Edge
        $script:Root = New-LsTestRoot
    }

    AfterEach {
        Remove-Item -LiteralPath $script:Root -Recurse -Force -ErrorAction SilentlyContinue
    }

    Context 'Direct' {
        BeforeEach {
            Add-LsFakeInternetConnector -SourceTransportServers @('EX1', 'EX2')
        }

        It 'copies the Internet connector''s egress settings, logs verbosely and records the routing in the Comment' {
            $result = Invoke-Org @{ ConfigPath = (New-Config); Egress = 'Direct' }

            $own = Get-OwnConnector
            $own.Count | Should -Be 3
            $internet = Get-Connector 'Internet'
            foreach ($c in $own) {
                $c.SourceTransportServers | Should -Be @('EX1', 'EX2')
                foreach ($name in @('Fqdn', 'TlsCertificateName', 'FrontendProxyEnabled', 'UseExternalDNSServersEnabled', 'MaxMessageSize')) {
                    $c.$name | Should -Be $internet.$name -Because $name
                }
                $c.ProtocolLoggingLevel | Should -Be 'Verbose'
                $c.RequireTLS | Should -BeTrue
                $c.DNSRoutingEnabled | Should -BeTrue
                $c.Comment | Should -Match '^LinkSecure v1; route=\w+; space=SMTP:linksecure-\w\w\.invalid; .*egress=Direct; routing=[0-9a-f]{16}; sha256=[0-9a-f]{16}$'
            }
            (Get-Connector 'ExchangeLinkSecure DomainValidation').AddressSpaces | Should -Be @('SMTP:linksecure-dv.invalid;1')
            (Get-Connector 'ExchangeLinkSecure DomainValidation').TlsAuthLevel | Should -Be 'DomainValidation'
            (Get-Connector 'ExchangeLinkSecure EncryptionOnly').TlsAuthLevel | Should -Be 'EncryptionOnly'
            (Get-LsCall 'New-SendConnector')[0].Parameters.Usage | Should -Be 'Custom'
            @($result | Where-Object Status -eq 'Changed').Count | Should -Be 3
            # The Internet connector itself is never touched.
            @(Get-LsCall 'Set-SendConnector', 'Remove-SendConnector').Count | Should -Be 0
        }

        It 'changes nothing on a second run' {
            $config = New-Config
            Invoke-Org @{ ConfigPath = $config; Egress = 'Direct' } | Out-Null
            $global:LsFake.Calls.Clear()

            $result = Invoke-Org @{ ConfigPath = $config; Egress = 'Direct' }
            @(Get-LsMutatingCall).Count | Should -Be 0
            @($result | ForEach-Object Status | Sort-Object -Unique) | Should -Be @('Unchanged')
        }

        It 'repairs a connector changed by hand, clears smart hosts for DNS routing and re-enables it' {
            $config = New-Config
            Invoke-Org @{ ConfigPath = $config; Egress = 'Direct' } | Out-Null
            $dv = Get-Connector 'ExchangeLinkSecure DomainValidation'
            $dv.TlsAuthLevel = 'EncryptionOnly'
            $dv.DNSRoutingEnabled = $false
            $dv.SmartHosts = @('old-relay.contoso.test')
            $dv.Enabled = $false
            $global:LsFake.Calls.Clear()

            Invoke-Org @{ ConfigPath = $config; Egress = 'Direct' } | Out-Null
            $set = @(Get-LsCall 'Set-SendConnector')
            $set.Count | Should -Be 1
            $set[0].Parameters.ContainsKey('SmartHosts') | Should -BeTrue
            $set[0].Parameters.SmartHosts | Should -BeNullOrEmpty
            $dv = Get-Connector 'ExchangeLinkSecure DomainValidation'
            $dv.TlsAuthLevel | Should -Be 'DomainValidation'
            $dv.DNSRoutingEnabled | Should -BeTrue
            @($dv.SmartHosts).Count | Should -Be 0
            $dv.Enabled | Should -BeTrue
        }

        It 'refuses when the Internet connector sends through smart hosts, and changes nothing' {
            (Get-Connector 'Internet').DNSRoutingEnabled = $false
            (Get-Connector 'Internet').SmartHosts = @('gateway.contoso.test')
            { Invoke-Org @{ ConfigPath = (New-Config); Egress = 'Direct' } } | Should -Throw '*sends through smart hosts (gateway.contoso.test)*-Egress SmartHost*'
            @(Get-LsMutatingCall).Count | Should -Be 0
        }

        It 'asks which connector to copy when several have the address space *' {
            Add-LsFakeInternetConnector -Name 'Internet backup' -SourceTransportServers @('EX2')
            { Invoke-Org @{ ConfigPath = (New-Config); Egress = 'Direct' } } | Should -Throw '*Several Send connectors*-InternetConnector*'
            Invoke-Org @{ ConfigPath = (New-Config); Egress = 'Direct'; InternetConnector = 'Internet backup' } | Out-Null
            foreach ($c in Get-OwnConnector) { $c.SourceTransportServers | Should -Be @('EX2') }
        }

        It 'refuses routing.mode smartHost (secure mail would not leave directly)' {
            { Invoke-Org @{ ConfigPath = (New-Config @{ mode = 'smartHost'; smartHosts = @('relay.contoso.test'); smartHostTlsDomain = 'relay.contoso.test' }); Egress = 'Direct' } } |
                Should -Throw '*-Egress SmartHost*'
        }

        It 'adds the relay connector beside the others for a validating relay, with a non-SMTP address space and its TlsDomain' {
            Invoke-Org @{ ConfigPath = (New-Config ($script:Relay + @{ validatingRelay = $true })); Egress = 'Direct' } | Out-Null

            (Get-OwnConnector).Count | Should -Be 4
            $relay = Get-Connector 'ExchangeLinkSecure Relay'
            $relay.AddressSpaces | Should -Be @('LinkSecure:linksecure-relay.invalid;1')
            $relay.DNSRoutingEnabled | Should -BeFalse
            $relay.SmartHosts | Should -Be @('relay1.contoso.test', 'relay2.contoso.test')
            $relay.TlsAuthLevel | Should -Be 'DomainValidation'
            $relay.TlsDomain | Should -Be 'relay.contoso.test'
        }

        It 'refuses Mailbox and Edge source servers together, with what to do' {
            { Invoke-Org @{ ConfigPath = (New-Config); Egress = 'Direct'; SourceTransportServers = @('EX1', 'EDGE1') } } | Should -Throw '*both Mailbox servers and an Edge subscription*-Egress Edge*'
            @(Get-LsMutatingCall).Count | Should -Be 0
        }
    }

    Context 'a mode change' {
        BeforeEach {
            Add-LsFakeInternetConnector
            Invoke-Org @{ ConfigPath = (New-Config); Egress = 'Direct' } | Out-Null
            $global:LsFake.Calls.Clear()
        }

        It 'creates the new connector and keeps the old ones, which other servers may still route to' {
            $result = Invoke-Org @{ ConfigPath = (New-Config ($script:Relay + @{ mode = 'smartHost' }) 'relay.json'); Egress = 'SmartHost' }

            (Get-OwnConnector).Count | Should -Be 4
            @(Get-LsCall 'Remove-SendConnector').Count | Should -Be 0
            @($result | Where-Object Status -eq 'Skipped' | ForEach-Object Target) | Should -Be @('ExchangeLinkSecure DomainValidation', 'ExchangeLinkSecure CertificateValidation', 'ExchangeLinkSecure EncryptionOnly')
        }

        It 'refuses to repoint a connector other servers route to, unless -Force' {
            $moved = New-Config @{ domainValidationDomain = 'ls-dv.contoso.test' } 'moved.json'
            { Invoke-Org @{ ConfigPath = $moved; Egress = 'Direct' } } | Should -Throw "*address space of 'ExchangeLinkSecure DomainValidation'*sendConnectorPrefix*"
            @(Get-LsMutatingCall).Count | Should -Be 0
            Invoke-Org @{ ConfigPath = $moved; Egress = 'Direct'; Force = $true } | Out-Null
            (Get-Connector 'ExchangeLinkSecure DomainValidation').AddressSpaces | Should -Be @('SMTP:ls-dv.contoso.test;1')
        }

        It 'removes the unused ones with -RemoveUnused' {
            Invoke-Org @{ ConfigPath = (New-Config ($script:Relay + @{ mode = 'smartHost' }) 'relay.json'); Egress = 'SmartHost'; RemoveUnused = $true } | Out-Null
            @((Get-OwnConnector).Name) | Should -Be @('ExchangeLinkSecure Relay')
            (Get-Connector 'Internet') | Should -Not -BeNullOrEmpty
        }

        It 'removes only the product''s connectors with -RemoveConnectors' {
            New-SendConnector -Name 'ExchangeLinkSecure Partner' -AddressSpaces 'SMTP:partner.example;1' -RequireTLS $true | Out-Null
            Invoke-Org @{ RemoveConnectors = $true; SendConnectorPrefix = 'ExchangeLinkSecure' } | Out-Null
            @($global:LsFake.Connectors.Name) | Should -Be @('Internet', 'ExchangeLinkSecure Partner')
        }

        It 'changes nothing with -WhatIf and reports what it would do' {
            $before = $global:LsFake.Connectors | ConvertTo-Json -Depth 4
            $result = Invoke-Org @{ ConfigPath = (New-Config ($script:Relay + @{ mode = 'smartHost' }) 'relay.json'); Egress = 'SmartHost'; RemoveUnused = $true; WhatIf = $true }
            ($global:LsFake.Connectors | ConvertTo-Json -Depth 4) | Should -Be $before
            @(Get-LsMutatingCall).Count | Should -Be 0
            @($result | Where-Object Status -eq 'WhatIf').Count | Should -Be 4
        }
    }

    Context 'SmartHost and Relay' {
        BeforeEach {
            Add-LsFakeInternetConnector -SmartHosts @('gateway.contoso.test')
        }

        It 'passes the smart hosts'' TlsDomain (DomainValidation) and copies the gateway connector''s egress settings' {
            Invoke-Org @{ ConfigPath = (New-Config ($script:Relay + @{ mode = 'smartHost' })); Egress = 'SmartHost' } | Out-Null
            $relay = Get-Connector 'ExchangeLinkSecure Relay'
            (Get-LsCall 'New-SendConnector')[0].Parameters.TlsDomain | Should -Be 'relay.contoso.test'
            $relay.TlsAuthLevel | Should -Be 'DomainValidation'
            $relay.AddressSpaces | Should -Be @('LinkSecure:linksecure-relay.invalid;1')
            $relay.Fqdn | Should -Be 'mail.contoso.test'
            $relay.ProtocolLoggingLevel | Should -Be 'Verbose'
        }

        It 'refuses a DomainValidation smart host without routing.smartHostTlsDomain, before Exchange would' {
            { Invoke-Org @{ ConfigPath = (New-Config @{ mode = 'smartHost'; smartHosts = @('relay.contoso.test') }); Egress = 'SmartHost' } } | Should -Throw '*smartHostTlsDomain*'
            @(Get-LsMutatingCall).Count | Should -Be 0
        }

        It 'configures the validating relay with -Egress Relay, and refuses it without validatingRelay' {
            { Invoke-Org @{ ConfigPath = (New-Config ($script:Relay + @{ mode = 'smartHost' })); Egress = 'Relay' } } | Should -Throw '*validatingRelay*'
            Invoke-Org @{ ConfigPath = (New-Config ($script:Relay + @{ mode = 'smartHost'; validatingRelay = $true })); Egress = 'Relay' } | Out-Null
            (Get-Connector 'ExchangeLinkSecure Relay').TlsDomain | Should -Be 'relay.contoso.test'
            (Get-Connector 'ExchangeLinkSecure Relay').Comment | Should -BeLike '*egress=Relay*'
        }
    }

    Context 'Edge' {
        BeforeEach {
            Add-LsFakeInternetConnector -Name 'EdgeSync - Default-First-Site-Name to Internet' -SourceTransportServers @('EDGE1')
        }

        It 'sources the connectors by the Edge subscription only' {
            Invoke-Org @{ ConfigPath = (New-Config); Egress = 'Edge' } | Out-Null
            foreach ($c in Get-OwnConnector) { $c.SourceTransportServers | Should -Be @('EDGE1') }
        }

        It 'refuses Direct when mail leaves through the Edge subscription' {
            { Invoke-Org @{ ConfigPath = (New-Config); Egress = 'Direct' } } | Should -Throw '*choose -Egress Edge*'
        }

        It 'refuses a non-SMTP relay address space on Edge and says to use SMTP' {
            { Invoke-Org @{ ConfigPath = (New-Config ($script:Relay + @{ validatingRelay = $true })); Egress = 'Edge' } } | Should -Throw '*smartHostAddressSpaceType*SMTP*'
            Invoke-Org @{ ConfigPath = (New-Config ($script:Relay + @{ validatingRelay = $true; smartHostAddressSpaceType = 'SMTP' })); Egress = 'Edge' } | Out-Null
            (Get-Connector 'ExchangeLinkSecure Relay').AddressSpaces | Should -Be @('SMTP:linksecure-relay.invalid;1')
        }

        It 'configures an unsubscribed Edge Transport server''s own connectors without source servers' {
            $global:LsFake.Server.ServerRole = 'Edge'
            { Invoke-Org @{ ConfigPath = (New-Config ($script:Relay + @{ validatingRelay = $true })); Egress = 'Edge' } } | Should -Throw '*accept only SMTP address spaces*'
            Invoke-Org @{ ConfigPath = (New-Config); Egress = 'Edge' } | Out-Null
            (Get-OwnConnector).Count | Should -Be 3
            foreach ($call in Get-LsCall 'New-SendConnector') { $call.Parameters.ContainsKey('SourceTransportServers') | Should -BeFalse }
        }

        It 'refuses -Egress Edge for Mailbox-sourced connectors' {
            { Invoke-Org @{ ConfigPath = (New-Config); Egress = 'Edge'; SourceTransportServers = @('EX1') } } | Should -Throw '*sourced by the Edge subscription only*'
        }
    }

    It 'needs -Egress' {
        { Invoke-Org @{ ConfigPath = (New-Config) } } | Should -Throw '*-Egress Direct, Edge, SmartHost or Relay*'
    }
}

Describe 'A server''s install and the drift check' {
    BeforeAll {
        Register-LsWindowsStandIns
        Register-LsFileVersionStandIn
    }

    BeforeEach {
        Reset-LsFake
        Install-LsExchangeStandIns
        Add-LsFakeServer -Name 'EX2'
        Add-LsFakeInternetConnector -SourceTransportServers @('EX1', 'EX2')
        $script:Root = New-LsTestRoot
        $script:Published = New-LsPublishedFolder -Path (Join-Path $script:Root 'publish') -Version '1.0.0'
        $script:InstallPath = Join-Path $script:Root 'ExchangeLinkSecure'
        $script:Config = Join-Path $script:InstallPath 'LinkSecure.config.json'
    }

    AfterEach {
        Remove-Item -LiteralPath $script:Root -Recurse -Force -ErrorAction SilentlyContinue
    }

    It 'refuses to install before the org step, naming the missing connectors, and changes nothing' {
        { & $script:InstallScript -SourcePath $script:Published -InstallPath $script:InstallPath -Confirm:$false 6>$null } | Should -Throw '*ExchangeLinkSecure DomainValidation*FAILS OPEN*Set-LinkSecureConnectors.ps1*'
        @(Get-LsMutatingCall).Count | Should -Be 0
        $script:InstallPath | Should -Not -Exist
    }

    It 'refuses a routing section the connectors do not implement and never repoints them' {
        Invoke-Org @{ ConfigPath = (Join-Path $script:Published 'LinkSecure.config.json'); Egress = 'Direct' } | Out-Null
        $before = $global:LsFake.Connectors | ConvertTo-Json -Depth 4
        $global:LsFake.Calls.Clear()
        $other = New-Config @{ domainValidationDomain = 'ls-dv.contoso.test' }
        { & $script:InstallScript -SourcePath $script:Published -InstallPath $script:InstallPath -ConfigPath $other -Confirm:$false 6>$null } | Should -Throw "*recorded space 'SMTP:linksecure-dv.invalid', this server's routing has 'SMTP:ls-dv.contoso.test'*"
        ($global:LsFake.Connectors | ConvertTo-Json -Depth 4) | Should -Be $before
        @(Get-LsMutatingCall).Count | Should -Be 0
    }

    It 'refuses -ConfigureConnectors with an egress Exchange would reject before changing anything' {
        { & $script:InstallScript -SourcePath $script:Published -InstallPath $script:InstallPath -ConfigureConnectors -Egress Edge -Confirm:$false 6>$null } | Should -Throw '*-Egress Edge needs connectors sourced by the Edge subscription only*'
        @(Get-LsMutatingCall).Count | Should -Be 0
        $script:InstallPath | Should -Not -Exist
    }

    It 'configures the connectors itself with -ConfigureConnectors -Egress' {
        & $script:InstallScript -SourcePath $script:Published -InstallPath $script:InstallPath -ConfigureConnectors -Egress Direct -Confirm:$false 6>$null | Out-Null
        (Get-OwnConnector).Count | Should -Be 3
        foreach ($c in Get-OwnConnector) { $c.SourceTransportServers | Should -Be @('EX1', 'EX2') }
    }

    Context 'Test-LinkSecureInstallation.ps1' {
        BeforeEach {
            Invoke-Org @{ ConfigPath = (Join-Path $script:Published 'LinkSecure.config.json'); Egress = 'Direct' } | Out-Null
            & $script:InstallScript -SourcePath $script:Published -InstallPath $script:InstallPath -Confirm:$false 6>$null | Out-Null
            $global:LsFake.Calls.Clear()
        }

        It 'passes each connector and says which would fail open if missing' {
            $rows = Invoke-Check
            $rows.Count | Should -Be 3
            @($rows | Where-Object Result -ne 'Pass') | Should -BeNullOrEmpty
            $rows[0].Detail | Should -BeLike '*egress Direct*fails open*'
            @(Get-LsMutatingCall | Where-Object { $_.Name -like '*SendConnector' }).Count | Should -Be 0
        }

        It 'reports a connector missing as failing open (DNS routed) or closed (relay, non-SMTP)' {
            Set-Content -LiteralPath $script:Config -Value (New-LsTestConfig -Routing ($script:Relay + @{ validatingRelay = $true }))
            [void]$global:LsFake.Connectors.Remove((Get-Connector 'ExchangeLinkSecure EncryptionOnly'))
            $rows = Invoke-Check
            ($rows | Where-Object Check -eq "Send connector 'ExchangeLinkSecure EncryptionOnly'").Detail | Should -BeLike 'Missing; FAILS OPEN*'
            ($rows | Where-Object Check -eq "Send connector 'ExchangeLinkSecure Relay'").Detail | Should -BeLike 'Missing; fails closed*LinkSecure:linksecure-relay.invalid*'
            @($rows | Where-Object Result -eq 'Fail').Count | Should -Be 2
        }

        It 'names each recorded field and each property that differs from this server''s routing' {
            Set-Content -LiteralPath $script:Config -Value (New-LsTestConfig -Routing @{ certificateValidationDomain = 'ls-cv.contoso.test' })
            (Get-Connector 'ExchangeLinkSecure DomainValidation').RequireTLS = $false
            (Get-Connector 'ExchangeLinkSecure DomainValidation').TlsAuthLevel = $null
            $rows = Invoke-Check
            $cv = $rows | Where-Object Check -eq "Send connector 'ExchangeLinkSecure CertificateValidation'"
            $cv.Result | Should -Be 'Fail'
            $cv.Detail | Should -BeLike '*property AddressSpaces differs*recorded space*ls-cv.contoso.test*'
            $dv = $rows | Where-Object Check -eq "Send connector 'ExchangeLinkSecure DomainValidation'"
            $dv.Detail | Should -BeLike '*property RequireTLS differs*property TlsAuthLevel differs*different routing section*'
        }

        It 'fails a connector that is disabled, scoped to one site or on another port' {
            $dv = Get-Connector 'ExchangeLinkSecure DomainValidation'
            $dv.Enabled = $false
            $dv.IsScopedConnector = $true
            $dv.Port = 587
            $row = Invoke-Check | Where-Object Check -eq "Send connector 'ExchangeLinkSecure DomainValidation'"
            $row.Result | Should -Be 'Fail'
            $row.Detail | Should -BeLike '*property Enabled differs*property IsScopedConnector differs*property Port differs*'
        }

        It 'warns about a hand-edited record, an unused connector of ours and another server''s routing section' {
            $eo = Get-Connector 'ExchangeLinkSecure EncryptionOnly'
            $eo.Comment = $eo.Comment -replace 'egress=Direct', 'egress=Edge'
            New-SendConnector -Name 'ExchangeLinkSecure Relay' -AddressSpaces 'LinkSecure:linksecure-relay.invalid;1' -DNSRoutingEnabled $false -SmartHosts 'relay.contoso.test' | Out-Null
            $rows = Invoke-Check
            ($rows | Where-Object Check -eq "Send connector 'ExchangeLinkSecure EncryptionOnly'").Detail | Should -BeLike '*edited by hand*'
            ($rows | Where-Object Check -eq "Send connector 'ExchangeLinkSecure Relay'").Detail | Should -BeLike "Not used by this server's routing*"
            @($rows | Where-Object Result -eq 'Warn').Count | Should -Be 2

            Set-Content -LiteralPath $script:Config -Value (New-LsTestConfig -Routing @{ smartHostDomain = 'other-relay.invalid' })
            ($rows = Invoke-Check) | Out-Null
            ($rows | Where-Object Check -eq "Send connector 'ExchangeLinkSecure DomainValidation'").Detail | Should -BeLike '*configured from a different routing section*'
        }
    }
}
