BeforeAll {
    . (Join-Path $PSScriptRoot 'StandIns.ps1')
    Import-Module (Get-LsScriptPath 'LinkSecure.Install.psm1') -Force
    $script:InstallScript = Get-LsScriptPath 'Install-LinkSecureAgent.ps1'
    $script:UninstallScript = Get-LsScriptPath 'Uninstall-LinkSecureAgent.ps1'
    $script:AgentName = 'ExchangeLinkSecure Routing Agent'

    function Invoke-Uninstall {
        param([hashtable]$Extra = @{})
        $arguments = @{ InstallPath = $script:InstallPath; Confirm = $false }
        foreach ($key in $Extra.Keys) { $arguments[$key] = $Extra[$key] }
        & $script:UninstallScript @arguments -InformationVariable info 6>$null 3>$null
        $script:LastInfo = @($info | ForEach-Object { [string]$_.MessageData })
    }
}

Describe 'Uninstall-LinkSecureAgent.ps1' {
    BeforeAll {
        Register-LsWindowsStandIns
        Register-LsFileVersionStandIn
    }

    BeforeEach {
        Reset-LsFake
        Install-LsExchangeStandIns
        $script:Root = New-LsTestRoot
        $published = New-LsPublishedFolder -Path (Join-Path $script:Root 'publish') -Version '1.0.0'
        $script:InstallPath = Join-Path $script:Root 'Program Files/ExchangeLinkSecure'
        Initialize-LsFakeConnectors -ConfigPath (Join-Path $published 'LinkSecure.config.json')
        & $script:InstallScript -SourcePath $published -InstallPath $script:InstallPath -Confirm:$false 6>$null | Out-Null
        New-Item -ItemType File -Path (Join-Path $script:InstallPath 'logs/decisions-20250101.log') -Force | Out-Null
        $global:LsFake.Calls.Clear()
    }

    AfterEach {
        Remove-Item -LiteralPath $script:Root -Recurse -Force -ErrorAction SilentlyContinue
    }

    It 'reverses the install and keeps configuration and logs' {
        $result = Invoke-Uninstall

        (Get-LsFakeAgent Hub $script:AgentName) | Should -BeNullOrEmpty
        # The connectors are organisation-wide: kept (other servers route to them).
        $global:LsFake.Connectors.Count | Should -Be 3
        ($result | Where-Object Step -eq 'Send connectors').Status | Should -Be 'Skipped'
        @(Get-LsMutatingCall | ForEach-Object Name) | Should -Be @('Disable-TransportAgent', 'Uninstall-TransportAgent', 'Restart-LsService')
        foreach ($gone in @('LinkSecure.Exchange.dll', 'LinkSecure.Core.dll', 'MimeKit.dll', 'LinkSecure.config.json.template')) {
            Join-Path $script:InstallPath $gone | Should -Not -Exist
        }
        Join-Path $script:InstallPath 'LinkSecure.config.json' | Should -Exist
        Join-Path $script:InstallPath 'LinkSecure.nlog.config' | Should -Exist
        Join-Path $script:InstallPath 'logs/decisions-20250101.log' | Should -Exist
        $global:LsFake.EventSources | Should -Contain 'ExchangeLinkSecure'
        @($result | Where-Object Status -eq 'Failed').Count | Should -Be 0
    }

    It 'writes its transcript into the install folder' {
        Invoke-Uninstall | Out-Null
        $global:LsFake.Transcripts[-1] | Should -BeLike ((Join-Path $script:InstallPath 'transcripts') + '*Uninstall-LinkSecureAgent-*.log')
        $global:LsFake.Transcripts[-1] | Should -Exist
    }

    It 'unregisters the agent before deleting the files and restarts transport in between' {
        Invoke-Uninstall | Out-Null
        Assert-LsCallOrder -Names @('Disable-TransportAgent', 'Uninstall-TransportAgent', 'Restart-LsService') -Calls @(Get-LsMutatingCall)
    }

    It 'removes everything with -RemoveData' {
        Invoke-Uninstall @{ RemoveData = $true } | Out-Null
        $script:InstallPath | Should -Not -Exist
        $global:LsFake.EventSources | Should -Not -Contain 'ExchangeLinkSecure'
        $global:LsFake.Transcripts[-1] | Should -BeLike ([System.IO.Path]::GetTempPath() + '*')
        Remove-Item -LiteralPath $global:LsFake.Transcripts[-1] -ErrorAction SilentlyContinue
    }

    It 'changes nothing on a second run and says so' {
        Invoke-Uninstall | Out-Null
        $global:LsFake.Calls.Clear()
        $result = Invoke-Uninstall
        @(Get-LsMutatingCall).Count | Should -Be 0
        @($result | Where-Object { $_.Status -notin 'Unchanged', 'Skipped' }).Count | Should -Be 0
        $script:LastInfo | Should -Contain 'No changes: ExchangeLinkSecure is already uninstalled from this server.'
        Join-Path $script:InstallPath 'LinkSecure.config.json' | Should -Exist
    }

    It 'changes nothing on a second run with -RemoveData' {
        Invoke-Uninstall @{ RemoveData = $true } | Out-Null
        $global:LsFake.Calls.Clear()
        Invoke-Uninstall @{ RemoveData = $true } | Out-Null
        @(Get-LsMutatingCall).Count | Should -Be 0
        Get-ChildItem ([System.IO.Path]::GetTempPath()) -Filter 'Uninstall-LinkSecureAgent-*.log' | Remove-Item -ErrorAction SilentlyContinue
    }

    It 'changes nothing with -WhatIf' {
        $agentsBefore = ($global:LsFake.Agents.Hub | ConvertTo-Json)
        $filesBefore = @(Get-ChildItem -LiteralPath $script:InstallPath -Recurse | ForEach-Object FullName)
        $result = Invoke-Uninstall @{ WhatIf = $true; RemoveData = $true }

        @(Get-LsMutatingCall).Count | Should -Be 0
        ($global:LsFake.Agents.Hub | ConvertTo-Json) | Should -Be $agentsBefore
        $global:LsFake.Connectors.Count | Should -Be 3
        @(Get-ChildItem -LiteralPath $script:InstallPath -Recurse | ForEach-Object FullName) | Should -Be $filesBefore
        $global:LsFake.EventSources | Should -Contain 'ExchangeLinkSecure'
        @($result | Where-Object Status -eq 'WhatIf' | ForEach-Object Step | Select-Object -Unique) | Should -Be @('Disable agent', 'Agent registration', 'Restart transport', 'Agent files', 'Data', 'Event log source')
        # -RemoveData names every path it would delete.
        $targets = @($result | Where-Object { $_.Status -eq 'WhatIf' -and $_.Step -eq 'Data' } | ForEach-Object Target)
        foreach ($name in @('LinkSecure.config.json', 'LinkSecure.config.json.template', 'LinkSecure.nlog.config', 'LinkSecure.nlog.config.template', 'logs', 'transcripts')) {
            $targets | Should -Contain (Join-Path $script:InstallPath $name)
        }
        $targets | Should -Contain $script:InstallPath
        (@($result | Where-Object { $_.Status -eq 'WhatIf' -and $_.Step -eq 'Agent files' })[0]).Detail | Should -BeLike 'Delete 9 installed file(s): *'
    }

    Context 'the install manifest' {
        It 'deletes only the files the manifest lists, and keeps a foreign file beside them' {
            Set-Content -LiteralPath (Join-Path $script:InstallPath 'OtherVendor.dll') -Value 'not ours'
            Invoke-Uninstall | Out-Null
            Join-Path $script:InstallPath 'OtherVendor.dll' | Should -Exist
            Join-Path $script:InstallPath 'LinkSecure.Exchange.dll' | Should -Not -Exist
            # The manifest stays while the configuration it lists stays (it marks the folder as ours for -RemoveData).
            Join-Path $script:InstallPath 'LinkSecure.manifest.json' | Should -Exist
        }

        It 'keeps and reports a file changed since the install' {
            Set-Content -LiteralPath (Join-Path $script:InstallPath 'NLog.dll') -Value 'patched by hand'
            $result = Invoke-Uninstall
            Join-Path $script:InstallPath 'NLog.dll' | Should -Exist
            Join-Path $script:InstallPath 'MimeKit.dll' | Should -Not -Exist
            $kept = @($result | Where-Object { $_.Step -eq 'Agent files' -and $_.Target -eq (Join-Path $script:InstallPath 'NLog.dll') })
            $kept.Count | Should -Be 1
            $kept[0].Status | Should -Be 'Skipped'
            $kept[0].Detail | Should -BeLike '*SHA-256 differs*'
            Join-Path $script:InstallPath 'LinkSecure.manifest.json' | Should -Exist
        }

        It 'deletes no file without a manifest, and refuses -RemoveData there' {
            Remove-Item -LiteralPath (Join-Path $script:InstallPath 'LinkSecure.manifest.json')
            { Invoke-Uninstall @{ RemoveData = $true } } | Should -Throw '*no install manifest*'
            (Get-LsFakeAgent Hub $script:AgentName) | Should -Not -BeNullOrEmpty
            $result = Invoke-Uninstall
            Join-Path $script:InstallPath 'LinkSecure.Exchange.dll' | Should -Exist
            ($result | Where-Object Step -eq 'Agent files').Status | Should -Be 'Skipped'
        }

        It 'refuses a manifest that lists a path outside the install folder, deleting nothing' {
            $manifestPath = Join-Path $script:InstallPath 'LinkSecure.manifest.json'
            $manifest = Get-Content -LiteralPath $manifestPath -Raw | ConvertFrom-Json
            $outside = Join-Path $script:Root 'outside.txt'
            Set-Content -LiteralPath $outside -Value 'keep me'
            $manifest.files += [pscustomobject]@{ path = '../../outside.txt'; kind = 'Product'; sha256 = (Get-FileHash $outside).Hash }
            Set-Content -LiteralPath $manifestPath -Value ($manifest | ConvertTo-Json -Depth 5)
            { Invoke-Uninstall } | Should -Throw '*outside the install folder*'
            $outside | Should -Exist
            Join-Path $script:InstallPath 'LinkSecure.Exchange.dll' | Should -Exist
        }

        It 'deletes the learned store and MTA-STS cache inside the folder with -RemoveData, and keeps one outside' {
            $outsideStore = Join-Path $script:Root 'shared-data/learned.json'
            New-Item -ItemType Directory -Path (Split-Path -Parent $outsideStore) -Force | Out-Null
            Set-Content -LiteralPath $outsideStore -Value '{}'
            New-Item -ItemType Directory -Path (Join-Path $script:InstallPath 'data') -Force | Out-Null
            Set-Content -LiteralPath (Join-Path $script:InstallPath 'data/learned.json') -Value '{}'
            Set-Content -LiteralPath (Join-Path $script:InstallPath 'data/mta-sts-cache.json') -Value '{}'
            Set-Content -LiteralPath (Join-Path $script:InstallPath 'LinkSecure.config.json') -Value (New-LsTestConfig -Top @{ resolver = [ordered]@{ learnedStorePath = 'data/learned.json' } })
            $result = Invoke-Uninstall @{ RemoveData = $true }
            Join-Path $script:InstallPath 'data/learned.json' | Should -Not -Exist
            Join-Path $script:InstallPath 'data/mta-sts-cache.json' | Should -Not -Exist
            $outsideStore | Should -Exist

            Reset-LsFake; Install-LsExchangeStandIns
            Initialize-LsFakeConnectors -ConfigPath (Join-Path $script:Root 'publish/LinkSecure.config.json')
            & $script:InstallScript -SourcePath (Join-Path $script:Root 'publish') -InstallPath $script:InstallPath -Confirm:$false 6>$null | Out-Null
            Set-Content -LiteralPath (Join-Path $script:InstallPath 'LinkSecure.config.json') -Value (New-LsTestConfig -Top @{ resolver = [ordered]@{ learnedStorePath = $outsideStore } })
            $result = Invoke-Uninstall @{ RemoveData = $true }
            $outsideStore | Should -Exist
            ($result | Where-Object { $_.Step -eq 'Data' -and $_.Target -eq $outsideStore }).Detail | Should -BeLike '*outside the install folder: kept'
            Get-ChildItem ([System.IO.Path]::GetTempPath()) -Filter 'Uninstall-LinkSecureAgent-*.log' | Remove-Item -ErrorAction SilentlyContinue
        }
    }

    It 'never removes or repoints a connector without -RemoveConnectors, whoever sources it' {
        Add-LsFakeServer -Name 'EX2'
        foreach ($c in $global:LsFake.Connectors) { $c.SourceTransportServers = @('EX1', 'EX2') }
        Invoke-Uninstall | Out-Null
        $global:LsFake.Connectors.Count | Should -Be 3
        foreach ($c in $global:LsFake.Connectors) { $c.SourceTransportServers | Should -Be @('EX1', 'EX2') }
        @(Get-LsCall 'Remove-SendConnector', 'Set-SendConnector', 'New-SendConnector').Count | Should -Be 0
    }

    It 'removes every connector of the prefix with -RemoveConnectors (the last server)' {
        Invoke-Uninstall @{ RemoveConnectors = $true } | Out-Null
        $global:LsFake.Connectors.Count | Should -Be 0
        @(Get-LsCall 'Remove-SendConnector').Count | Should -Be 3
        $order = @(Get-LsMutatingCall | ForEach-Object Name)
        $order.IndexOf('Uninstall-TransportAgent') | Should -BeGreaterOrEqual 0
        $order.IndexOf('Uninstall-TransportAgent') | Should -BeLessThan $order.IndexOf('Remove-SendConnector')
    }

    It 'leaves the files for a later run with -NoRestart' {
        Invoke-Uninstall @{ NoRestart = $true } | Out-Null
        (Get-LsFakeAgent Hub $script:AgentName) | Should -BeNullOrEmpty
        @(Get-LsCall 'Restart-LsService', 'Stop-LsService').Count | Should -Be 0
        Join-Path $script:InstallPath 'LinkSecure.Exchange.dll' | Should -Exist

        $global:LsFake.Calls.Clear()
        Invoke-Uninstall | Out-Null
        Join-Path $script:InstallPath 'LinkSecure.Exchange.dll' | Should -Not -Exist
        @(Get-LsCall 'Restart-LsService').Count | Should -Be 0
    }

    It 'finds the install folder from the registered agent' {
        & $script:UninstallScript -Confirm:$false 6>$null 3>$null | Out-Null
        Join-Path $script:InstallPath 'LinkSecure.Exchange.dll' | Should -Not -Exist
        Join-Path $script:InstallPath 'LinkSecure.config.json' | Should -Exist
    }

    It 'uses the connector prefix from the installed configuration' {
        $global:LsFake.Connectors.Clear()
        Set-Content -LiteralPath (Join-Path $script:InstallPath 'LinkSecure.config.json') -Value (New-LsTestConfig -Routing @{ sendConnectorPrefix = 'Contoso LS' })
        New-SendConnector -Name 'Contoso LS DomainValidation' -AddressSpaces 'SMTP:linksecure-dv.invalid;1' -RequireTLS $true -TlsAuthLevel DomainValidation | Out-Null
        New-SendConnector -Name 'Unrelated' -AddressSpaces 'SMTP:*;1' | Out-Null
        Invoke-Uninstall @{ RemoveConnectors = $true } | Out-Null
        @($global:LsFake.Connectors.Name) | Should -Be @('Unrelated')
    }

    It 'refuses outside the Exchange Management Shell and never loads the snap-in' {
        Remove-LsExchangeStandIns
        { Invoke-Uninstall } | Should -Throw '*Exchange Management Shell*'
        @(Get-LsCall 'Add-LsExchangeSnapin').Count | Should -Be 0
        Install-LsExchangeStandIns
        (Get-LsFakeAgent Hub $script:AgentName) | Should -Not -BeNullOrEmpty
        Join-Path $script:InstallPath 'LinkSecure.Exchange.dll' | Should -Exist
    }
}
