BeforeAll {
    . (Join-Path $PSScriptRoot 'StandIns.ps1')
    Import-Module (Get-LsScriptPath 'LinkSecure.Install.psm1') -Force
    $script:InstallScript = Get-LsScriptPath 'Install-LinkSecureAgent.ps1'
    $script:AgentName = 'ExchangeLinkSecure Routing Agent'

    function Invoke-Install {
        param([hashtable]$Extra = @{})
        $arguments = @{ SourcePath = $script:Published; InstallPath = $script:InstallPath; Confirm = $false }
        foreach ($key in $Extra.Keys) { $arguments[$key] = $Extra[$key] }
        & $script:InstallScript @arguments -InformationVariable info 6>$null
        $script:LastInfo = @($info | ForEach-Object { [string]$_.MessageData })
    }

    function Get-StateSnapshot {
        # Everything a run could change, as one comparable string.
        $files = @()
        if (Test-Path $script:InstallPath) {
            $files = Get-ChildItem -LiteralPath $script:InstallPath -Recurse -File |
                Where-Object { $_.FullName -notmatch 'transcripts' } |
                ForEach-Object { '{0}={1}' -f $_.FullName.Substring($script:InstallPath.Length), (Get-FileHash -LiteralPath $_.FullName).Hash }
        }
        $agents = $global:LsFake.Agents.Hub | ForEach-Object { '{0}|{1}|{2}|{3}' -f $_.Identity, $_.Enabled, $_.Priority, $_.AssemblyPath }
        $connectors = $global:LsFake.Connectors | ForEach-Object { $_ | ConvertTo-Json -Compress }
        (@($files) + @($agents) + @($connectors) + @($global:LsFake.EventSources) + @($global:LsFake.WritableFolders) + @($global:LsFake.Services.Values)) -join "`n"
    }
}

Describe 'Install-LinkSecureAgent.ps1' {
    BeforeAll {
        Register-LsWindowsStandIns
        Register-LsFileVersionStandIn
    }

    BeforeEach {
        Reset-LsFake
        Install-LsExchangeStandIns
        $script:Root = New-LsTestRoot
        $script:Published = New-LsPublishedFolder -Path (Join-Path $script:Root 'publish') -Version '1.0.0'
        $script:InstallPath = Join-Path $script:Root 'Program Files/ExchangeLinkSecure'
        # The org step ran once before any server install (connectors are organisation-wide).
        Initialize-LsFakeConnectors -ConfigPath (Join-Path $script:Published 'LinkSecure.config.json')
        $global:LsFake.Calls.Clear()
    }

    AfterEach {
        Remove-Item -LiteralPath $script:Root -Recurse -Force -ErrorAction SilentlyContinue
    }

    Context 'fresh install' {
        It 'copies the files, registers everything and restarts transport once' {
            $result = Invoke-Install

            foreach ($file in @('LinkSecure.Exchange.dll', 'LinkSecure.Core.dll', 'MimeKit.dll', 'LinkSecure.config.json', 'LinkSecure.config.json.template', 'LinkSecure.nlog.config', 'LinkSecure.nlog.config.template')) {
                Join-Path $script:InstallPath $file | Should -Exist
            }
            Join-Path $script:InstallPath 'logs' | Should -Exist

            $agent = Get-LsFakeAgent Hub $script:AgentName
            $agent | Should -Not -BeNullOrEmpty
            $agent.Enabled | Should -BeTrue
            $agent.TransportAgentFactory | Should -Be 'LinkSecure.Exchange.LinkSecureRoutingAgentFactory'
            $agent.AssemblyPath | Should -Be (Join-Path $script:InstallPath 'LinkSecure.Exchange.dll')
            $agent.Priority | Should -BeGreaterThan (Get-LsFakeAgent Hub 'Transport Rule Agent').Priority

            $global:LsFake.EventSources | Should -Contain 'ExchangeLinkSecure'
            $global:LsFake.WritableFolders | Should -Contain ((Join-Path $script:InstallPath 'logs') + '|S-1-5-20')
            $global:LsFake.LockedFolders | Should -Contain $script:InstallPath
            (Get-LsCall 'Set-LsInstallFolderLocked')[0].Parameters.ServiceSid | Should -Be 'S-1-5-20'

            $install = @(Get-LsCall 'Install-TransportAgent')
            $install.Count | Should -Be 1
            $install[0].Parameters.Name | Should -Be $script:AgentName
            $install[0].Parameters.TransportService | Should -Be 'Hub'
            @(Get-LsCall 'Enable-TransportAgent').Count | Should -Be 1
            @(Get-LsCall 'Restart-LsService').Count | Should -Be 1
            (Get-LsCall 'Restart-LsService')[0].Parameters.Name | Should -Be 'MSExchangeTransport'
            @(Get-LsCall 'Stop-LsService').Count | Should -Be 0

            @($result | Where-Object Status -eq 'Changed').Count | Should -BeGreaterThan 0
            @($result | Where-Object Status -eq 'Failed').Count | Should -Be 0
        }

        It 'checks the organisation''s connectors and never changes them without -ConfigureConnectors' {
            $before = ($global:LsFake.Connectors | ConvertTo-Json -Depth 4)
            $result = Invoke-Install

            @(Get-LsCall 'New-SendConnector', 'Set-SendConnector', 'Remove-SendConnector').Count | Should -Be 0
            @(Get-LsCall 'Get-SendConnector').Count | Should -BeGreaterThan 0
            ($global:LsFake.Connectors | ConvertTo-Json -Depth 4) | Should -Be $before
            ($result | Where-Object Step -eq 'Send connectors').Status | Should -Be 'Unchanged'
        }

        It 'creates the connectors before registering the agent and restarts last (-ConfigureConnectors)' {
            $global:LsFake.Connectors.Clear()
            Invoke-Install @{ ConfigureConnectors = $true; Egress = 'Direct'; SourceTransportServers = @('EX1') } | Out-Null
            $order = @(Get-LsMutatingCall | ForEach-Object Name)
            Assert-LsCallOrder -Names @('Invoke-LsCli', 'New-LsEventLogSource', 'Set-LsInstallFolderLocked', 'Grant-LsFolderWriteAccess', 'New-SendConnector', 'Install-TransportAgent', 'Enable-TransportAgent', 'Restart-LsService', 'Get-LsAgentEvent')
            $order[-1] | Should -Be 'Restart-LsService'
        }

        It 'installs a prepared configuration given with -ConfigPath' {
            $prepared = Join-Path $script:Root 'prepared.json'
            Set-Content -LiteralPath $prepared -Value (New-LsTestConfig -Routing @{ sendConnectorPrefix = 'Contoso LS'; domainValidationDomain = 'ls-dv.contoso.test' })
            Invoke-Install @{ ConfigPath = $prepared; ConfigureConnectors = $true; Egress = 'Direct'; SourceTransportServers = @('EX1') } | Out-Null

            (Get-FileHash (Join-Path $script:InstallPath 'LinkSecure.config.json')).Hash | Should -Be (Get-FileHash $prepared).Hash
            $global:LsFake.Connectors.Name | Should -Contain 'Contoso LS DomainValidation'
            ($global:LsFake.Connectors | Where-Object Name -eq 'Contoso LS DomainValidation').AddressSpaces | Should -Be @('SMTP:ls-dv.contoso.test;1')
        }

        It 'writes a transcript into the install folder' {
            Invoke-Install | Out-Null
            $global:LsFake.Transcripts.Count | Should -Be 1
            $global:LsFake.Transcripts[0] | Should -BeLike ((Join-Path $script:InstallPath 'transcripts') + '*Install-LinkSecureAgent-*.log')
            $global:LsFake.Transcripts[0] | Should -Exist
            $global:LsFake.ActiveTranscript | Should -BeNullOrEmpty
        }

        It 'skips the restart with -NoRestart and says so' {
            $result = Invoke-Install @{ NoRestart = $true } 3>$null
            @(Get-LsCall 'Restart-LsService', 'Stop-LsService', 'Start-LsService').Count | Should -Be 0
            ($result | Where-Object Step -eq 'Restart transport').Status | Should -Be 'Skipped'
            (Get-LsFakeAgent Hub $script:AgentName).Enabled | Should -BeTrue
        }

        It 'installs on an Edge Transport server with -TransportService Edge' {
            $global:LsFake.Server.ServerRole = 'Edge'
            Invoke-Install @{ TransportService = 'Edge' } | Out-Null

            (Get-LsFakeAgent Hub $script:AgentName) | Should -BeNullOrEmpty
            $agent = Get-LsFakeAgent Edge $script:AgentName
            $agent.Enabled | Should -BeTrue
            $agent.Priority | Should -BeGreaterThan (Get-LsFakeAgent Edge 'Edge Rule Agent').Priority
            (Get-LsCall 'Install-TransportAgent')[0].Parameters.TransportService | Should -Be 'Edge'
        }

        It 'leaves connectors alone with -SkipConnectors' {
            Invoke-Install @{ SkipConnectors = $true } | Out-Null
            @(Get-LsCall 'New-SendConnector', 'Set-SendConnector', 'Remove-SendConnector', 'Get-SendConnector').Count | Should -Be 0
            (Get-LsFakeAgent Hub $script:AgentName).Enabled | Should -BeTrue
        }

        It 'registers an absolute assembly path when given a relative install path' {
            Push-Location $script:Root
            try {
                $script:InstallPath = 'relative/ExchangeLinkSecure'
                Invoke-Install | Out-Null
            }
            finally { Pop-Location }
            $path = (Get-LsFakeAgent Hub $script:AgentName).AssemblyPath
            [System.IO.Path]::IsPathRooted($path) | Should -BeTrue
            $path | Should -Be (Join-Path $script:Root 'relative/ExchangeLinkSecure/LinkSecure.Exchange.dll')
            $path | Should -Exist
        }

        It 'moves an agent that sits before the Transport Rule Agent to the end' {
            Invoke-Install | Out-Null
            Set-TransportAgent -Identity $script:AgentName -Priority 1 -TransportService Hub
            $global:LsFake.Calls.Clear()

            Invoke-Install | Out-Null
            $set = @(Get-LsCall 'Set-TransportAgent')
            $set.Count | Should -Be 1
            (Get-LsFakeAgent Hub $script:AgentName).Priority | Should -BeGreaterThan (Get-LsFakeAgent Hub 'Transport Rule Agent').Priority
            @(Get-LsCall 'Restart-LsService').Count | Should -Be 1
        }
    }

    Context 'second run' {
        It 'changes nothing and says so' {
            Invoke-Install | Out-Null
            $before = Get-StateSnapshot
            $global:LsFake.Calls.Clear()

            $result = Invoke-Install

            Get-StateSnapshot | Should -Be $before
            @(Get-LsMutatingCall).Count | Should -Be 0
            @($result | Where-Object Status -ne 'Unchanged').Count | Should -Be 0
            $script:LastInfo | Should -Contain 'No changes: ExchangeLinkSecure is already installed as configured.'
        }

        It 'keeps an administrator''s edited configuration' {
            Invoke-Install | Out-Null
            $configPath = Join-Path $script:InstallPath 'LinkSecure.config.json'
            $edited = New-LsTestConfig -Top @{ enforceForAllMail = $true }
            Set-Content -LiteralPath $configPath -Value $edited
            $hash = (Get-FileHash $configPath).Hash

            Invoke-Install | Out-Null
            (Get-FileHash $configPath).Hash | Should -Be $hash
        }

        It 'accepts connector objects whose address spaces are objects, not strings' {
            Invoke-Install | Out-Null
            foreach ($c in $global:LsFake.Connectors) {
                $domain = ($c.AddressSpaces[0] -replace '^SMTP:', '') -replace ';1$', ''
                $c.AddressSpaces = @([pscustomobject]@{ Type = 'SMTP'; Address = $domain; Cost = 1 })
                $c.SourceTransportServers = @([pscustomobject]@{ Name = 'EX1'; DistinguishedName = 'CN=EX1' })
            }
            $global:LsFake.Calls.Clear()
            Invoke-Install | Out-Null
            @(Get-LsMutatingCall).Count | Should -Be 0
        }
    }

    Context 'upgrade from an older version' {
        BeforeEach {
            $script:OldPublished = New-LsPublishedFolder -Path (Join-Path $script:Root 'publish-old') -Version '0.9.0'
            & $script:InstallScript -SourcePath $script:OldPublished -InstallPath $script:InstallPath -Confirm:$false 6>$null | Out-Null
            $configPath = Join-Path $script:InstallPath 'LinkSecure.config.json'
            Set-Content -LiteralPath $configPath -Value (New-LsTestConfig -Top @{ internalDomains = @('contoso.test') })
            $script:EditedConfigHash = (Get-FileHash $configPath).Hash
            $global:LsFake.Calls.Clear()
        }

        It 'disables the agent and stops transport before replacing the DLLs, then restores both' {
            $result = Invoke-Install

            $order = @(Get-LsMutatingCall | ForEach-Object Name)
            $order | Should -Be @('Disable-TransportAgent', 'Stop-LsService', 'Enable-TransportAgent', 'Start-LsService')
            Get-Content (Join-Path $script:InstallPath 'LinkSecure.Exchange.dll') | Should -Be 'fake assembly LinkSecure.Exchange.dll version=1.0.0'
            (Get-LsFakeAgent Hub $script:AgentName).Enabled | Should -BeTrue
            $global:LsFake.Services.MSExchangeTransport | Should -Be 'Running'
            @(Get-LsCall 'Install-TransportAgent', 'Uninstall-TransportAgent', 'Restart-LsService').Count | Should -Be 0
            ($result | Where-Object Step -eq 'Agent files').Status | Should -Be 'Changed'
        }

        It 'keeps the edited configuration and refreshes the template' {
            Invoke-Install | Out-Null
            (Get-FileHash (Join-Path $script:InstallPath 'LinkSecure.config.json')).Hash | Should -Be $script:EditedConfigHash
            Get-Content (Join-Path $script:InstallPath 'LinkSecure.nlog.config') | Should -Be '<nlog><!-- version=0.9.0 --></nlog>'
            Get-Content (Join-Path $script:InstallPath 'LinkSecure.nlog.config.template') | Should -Be '<nlog><!-- version=1.0.0 --></nlog>'
        }

        It 'keeps a backup of the replaced files' {
            Invoke-Install | Out-Null
            $backup = @(Get-ChildItem (Join-Path $script:InstallPath 'backup') -Directory)
            $backup.Count | Should -Be 1
            Get-Content (Join-Path $backup[0].FullName 'LinkSecure.Exchange.dll') | Should -Be 'fake assembly LinkSecure.Exchange.dll version=0.9.0'
        }

        It 'refuses -NoRestart before changing anything' {
            { Invoke-Install @{ NoRestart = $true } } | Should -Throw '*must stop the service*'
            @(Get-LsMutatingCall).Count | Should -Be 0
            Get-Content (Join-Path $script:InstallPath 'LinkSecure.Exchange.dll') | Should -Be 'fake assembly LinkSecure.Exchange.dll version=0.9.0'
        }

        It 'refuses to downgrade unless -AllowDowngrade' {
            Invoke-Install | Out-Null
            $global:LsFake.Calls.Clear()
            $script:Published = $script:OldPublished
            { Invoke-Install } | Should -Throw '*newer than*'
            @(Get-LsMutatingCall).Count | Should -Be 0

            Invoke-Install @{ AllowDowngrade = $true } | Out-Null
            Get-Content (Join-Path $script:InstallPath 'LinkSecure.Exchange.dll') | Should -Be 'fake assembly LinkSecure.Exchange.dll version=0.9.0'
        }

        It 'puts the old files back and restores the service when copying fails' {
            Mock Copy-LsAgentFile { throw 'The process cannot access the file because it is being used by another process.' }
            { Invoke-Install 3>$null } | Should -Throw '*close every other Exchange Management Shell*'

            Get-Content (Join-Path $script:InstallPath 'LinkSecure.Exchange.dll') | Should -Be 'fake assembly LinkSecure.Exchange.dll version=0.9.0'
            (Get-LsFakeAgent Hub $script:AgentName).Enabled | Should -BeTrue
            $global:LsFake.Services.MSExchangeTransport | Should -Be 'Running'
            $global:LsFake.ActiveTranscript | Should -BeNullOrEmpty
        }

        It 're-registers an agent registered from another folder' {
            (Get-LsFakeAgent Hub $script:AgentName).AssemblyPath = 'D:\old\LinkSecure.Exchange.dll'
            Invoke-Install | Out-Null
            @(Get-LsCall 'Uninstall-TransportAgent').Count | Should -Be 1
            @(Get-LsCall 'Install-TransportAgent').Count | Should -Be 1
            (Get-LsFakeAgent Hub $script:AgentName).AssemblyPath | Should -Be (Join-Path $script:InstallPath 'LinkSecure.Exchange.dll')
            (Get-LsFakeAgent Hub $script:AgentName).Enabled | Should -BeTrue
        }
    }

    Context '-WhatIf' {
        It 'changes nothing on a fresh server and reports every step' {
            $global:LsFake.Connectors.Clear()
            $before = Get-StateSnapshot
            $result = Invoke-Install @{ WhatIf = $true; ConfigureConnectors = $true; Egress = 'Direct'; SourceTransportServers = @('EX1') }

            Get-StateSnapshot | Should -Be $before
            $script:InstallPath | Should -Not -Exist
            @(Get-LsMutatingCall).Count | Should -Be 0
            $global:LsFake.Transcripts.Count | Should -Be 0
            $steps = @($result | Where-Object Status -eq 'WhatIf' | ForEach-Object Step)
            foreach ($step in @('Agent files', 'Event log source', 'Send connector', 'Agent registration', 'Enable agent', 'Restart transport')) {
                $steps | Should -Contain $step
            }
            $script:LastInfo | Should -Contain ("WhatIf: {0} change(s) would be made; nothing was changed." -f @($result | Where-Object Status -eq 'WhatIf').Count)
        }

        It 'changes nothing during an upgrade' {
            $old = New-LsPublishedFolder -Path (Join-Path $script:Root 'publish-old') -Version '0.9.0'
            & $script:InstallScript -SourcePath $old -InstallPath $script:InstallPath -Confirm:$false 6>$null | Out-Null
            $before = Get-StateSnapshot
            $global:LsFake.Calls.Clear()

            $result = Invoke-Install @{ WhatIf = $true }
            Get-StateSnapshot | Should -Be $before
            @(Get-LsMutatingCall).Count | Should -Be 0
            @($result | Where-Object Status -eq 'WhatIf' | ForEach-Object Step) | Should -Be @('Disable agent for upgrade', 'Stop transport for upgrade', 'Agent files', 'Enable agent', 'Manifest', 'Start transport', 'Health check')
        }
    }

    Context 'refusals' {
        It 'refuses outside the Exchange Management Shell, before any change, and never loads the snap-in' {
            Remove-LsExchangeStandIns
            { Invoke-Install } | Should -Throw '*Exchange Management Shell*'
            @(Get-LsCall 'Add-LsExchangeSnapin').Count | Should -Be 0
            @(Get-LsMutatingCall).Count | Should -Be 0
            $script:InstallPath | Should -Not -Exist
        }

        It 'refuses an unsupported Exchange version: <Version>' -ForEach @(
            @{ Version = 'Version 14.3 (Build 123.4)'; Message = '*not supported*' }
            @{ Version = 'Version 15.1 (Build 1713.5)'; Message = '*2016*too old*CU13*' }
            @{ Version = 'Version 15.2 (Build 330.5)'; Message = '*too old*' }
        ) {
            $global:LsFake.Server.AdminDisplayVersion = $Version
            { Invoke-Install } | Should -Throw $Message
            @(Get-LsMutatingCall).Count | Should -Be 0
            $script:InstallPath | Should -Not -Exist
        }

        It 'accepts a supported version given as an object: <Text>' -ForEach @(
            @{ Text = '2016 CU23'; Major = 15; Minor = 1; Build = 2507; Revision = 6 }
            @{ Text = 'SE RTM'; Major = 15; Minor = 2; Build = 2562; Revision = 17 }
            @{ Text = '2013 CU23'; Major = 15; Minor = 0; Build = 1497; Revision = 2 }
        ) {
            $global:LsFake.Server.AdminDisplayVersion = [pscustomobject]@{ Major = $Major; Minor = $Minor; Build = $Build; Revision = $Revision }
            Invoke-Install | Out-Null
            (Get-LsFakeAgent Hub $script:AgentName).Enabled | Should -BeTrue
        }

        It 'refuses without .NET Framework 4.8' {
            $global:LsFake.DotNetRelease = 461814
            { Invoke-Install } | Should -Throw '*.NET Framework 4.8*'
            @(Get-LsMutatingCall).Count | Should -Be 0
        }

        It 'refuses when not elevated' {
            $global:LsFake.IsAdministrator = $false
            { Invoke-Install } | Should -Throw '*as administrator*'
            @(Get-LsMutatingCall).Count | Should -Be 0
        }

        It 'refuses an invalid configuration before any change' {
            $bad = Join-Path $script:Root 'bad.json'
            Set-Content -LiteralPath $bad -Value (New-LsTestConfig -Routing @{ mode = 'smartHost' })
            { Invoke-Install @{ ConfigPath = $bad } } | Should -Throw '*routing.smartHosts*'
            @(Get-LsMutatingCall).Count | Should -Be 0
        }

        It 'accepts internalDomains entries for one domain and for subdomains only, and refuses others' {
            $good = Join-Path $script:Root 'internal-good.json'
            Set-Content -LiteralPath $good -Value (New-LsTestConfig -Top @{ internalDomains = @('contoso.test', '*.branch.contoso.test') })
            { Invoke-Install @{ ConfigPath = $good } } | Should -Not -Throw

            $bad = Join-Path $script:Root 'internal-bad.json'
            Set-Content -LiteralPath $bad -Value (New-LsTestConfig -Top @{ internalDomains = @('*contoso.test') })
            { Invoke-Install @{ ConfigPath = $bad } } | Should -Throw '*is not a domain name or*'
        }

        It 'refuses a published folder without the agent DLL' {
            Remove-Item (Join-Path $script:Published 'LinkSecure.Exchange.dll')
            { Invoke-Install } | Should -Throw '*LinkSecure.Exchange.dll*'
            @(Get-LsMutatingCall).Count | Should -Be 0
        }

        It 'refuses a folder holding files it did not install (a shared agents folder), before any change' {
            New-Item -ItemType Directory -Path $script:InstallPath -Force | Out-Null
            Set-Content -LiteralPath (Join-Path $script:InstallPath 'OtherVendor.Agent.dll') -Value 'not ours'
            { Invoke-Install } | Should -Throw '*did not install (OtherVendor.Agent.dll)*'
            @(Get-LsMutatingCall).Count | Should -Be 0
        }

        It 'refuses without the linksecure CLI, whose validator must pass first' {
            Remove-Item -LiteralPath (Join-Path $script:Root 'cli') -Recurse -Force
            { Invoke-Install } | Should -Throw '*linksecure admin CLI was not found*'
            @(Get-LsMutatingCall).Count | Should -Be 0
            $script:InstallPath | Should -Not -Exist
        }

        It 'refuses a UNC install path' {
            { Invoke-Install @{ InstallPath = '\\fileserver\share\ExchangeLinkSecure' } } | Should -Throw '*UNC*'
        }
    }
}
