# Failure injection: every step of install, upgrade, configuration change and uninstall fails in turn,
# and the server must end as it started.
BeforeAll {
    . (Join-Path $PSScriptRoot 'StandIns.ps1')
    Import-Module (Get-LsScriptPath 'LinkSecure.Install.psm1') -Force
    $script:AgentName = 'ExchangeLinkSecure Routing Agent'
    $script:InstallScript, $script:UninstallScript = @('Install-LinkSecureAgent.ps1', 'Uninstall-LinkSecureAgent.ps1') | ForEach-Object { Get-LsScriptPath $_ }

    function Get-ServerState {
        # What "the server ends as it started" compares: the transport service, every Hub and Edge
        # agent (order, enabled state, factory, path), the files of the install folder with their
        # hashes (without transcripts/ and backup/, the run's own records), event sources and ACLs.
        # Send connectors are organisation-wide and not part of one server's rollback.
        $files = @()
        if (Test-Path -LiteralPath $script:InstallPath) {
            $files = Get-ChildItem -LiteralPath $script:InstallPath -Recurse -File |
                Where-Object { $_.FullName -notmatch '[\\/](transcripts|backup)[\\/]' } |
                ForEach-Object { '{0}={1}' -f $_.FullName.Substring($script:InstallPath.Length), (Get-FileHash -LiteralPath $_.FullName).Hash } |
                Sort-Object
        }
        $agents = foreach ($service in @('Hub', 'Edge')) {
            $global:LsFake.Agents[$service] | ForEach-Object { '{0}:{1}|{2}|{3}|{4}|{5}' -f $service, $_.Identity, $_.Enabled, $_.Priority, $_.TransportAgentFactory, $_.AssemblyPath }
        }
        @(
            "service=$($global:LsFake.Services.MSExchangeTransport)"
            @($agents)
            @($files)
            "sources=$(@($global:LsFake.EventSources) -join ',')"
            "writable=$(@($global:LsFake.WritableFolders | Sort-Object) -join ',')"
            "locked=$(@($global:LsFake.LockedFolders | Sort-Object) -join ',')"
        ) -join "`n"
    }

    function Set-Failure {
        # One failure per row: a command (Command, with an optional After/Times/Exception), or the
        # agent's behaviour after the restart (AgentStart, ExplainExitCode).
        param([hashtable]$Row)
        if ($Row.ContainsKey('Command')) {
            $spec = @{ Message = "injected failure in $($Row.Command)"; After = 0 }
            foreach ($key in @('After', 'Times', 'Exception')) { if ($Row.ContainsKey($key)) { $spec[$key] = $Row[$key] } }
            $global:LsFake.FailCommand[$Row.Command] = $spec
        }
        if ($Row.ContainsKey('AgentStart')) { $global:LsFake.AgentStart = $Row.AgentStart }
        if ($Row.ContainsKey('ExplainExitCode')) { $global:LsFake.ExplainExitCode = $Row.ExplainExitCode }
        if ($Row.ContainsKey('RemoteShell')) { $global:LsFake.RemoteShell = $Row.RemoteShell }
    }

    function Assert-FailureReached {
        # The row's failure really happened (a row whose step never ran would prove nothing).
        param([hashtable]$Row)
        if ($Row.ContainsKey('Command')) {
            $global:LsFake.FailCounts[$Row.Command] | Should -BeGreaterThan ([int]$(if ($Row.ContainsKey('After')) { $Row.After } else { 0 })) -Because "the failure in $($Row.Command) was injected"
        }
        else {
            @(Get-LsCall 'Restart-LsService', 'Start-LsService').Count | Should -BeGreaterThan 0 -Because 'the health check runs after the restart'
        }
    }
}

Describe 'Transactions: a failure at any step leaves the server as it started' {
    BeforeAll {
        Register-LsWindowsStandIns
        Register-LsFileVersionStandIn
        # The module's own steps, made to fail on demand, then run for real.
        Mock Copy-LsAgentFile {
            Add-LsCall 'Copy-LsAgentFile' @{ Count = @($Plan).Count }
            [void](Invoke-LsFakeFailure 'Copy-LsAgentFile')
            & (Get-Module LinkSecure.Install) { param($p) Copy-LsAgentFile -Plan $p } $Plan
        }
        Mock Write-LsManifest {
            Add-LsCall 'Write-LsManifest' @{}
            [void](Invoke-LsFakeFailure 'Write-LsManifest')
            & (Get-Module LinkSecure.Install) { param($i, $m) Write-LsManifest -InstallPath $i -Manifest $m } $InstallPath $Manifest
        }
    }

    BeforeEach {
        Reset-LsFake
        Install-LsExchangeStandIns
        $script:Root = New-LsTestRoot
        $script:InstallPath = Join-Path $script:Root 'Program Files/ExchangeLinkSecure'
        $script:Published = New-LsPublishedFolder -Path (Join-Path $script:Root 'publish') -Version '1.0.0'
        # The org step ran once before any server install (connectors are organisation-wide).
        Initialize-LsFakeConnectors -ConfigPath (Join-Path $script:Published 'LinkSecure.config.json')
        $global:LsFake.Calls.Clear()
    }

    AfterEach {
        Remove-Item -LiteralPath $script:Root -Recurse -Force -ErrorAction SilentlyContinue
    }

    Context 'fresh install' {
        It 'fails at <Label> and undoes everything, transport running' -ForEach @(
            @{ Label = 'the event log source'; Command = 'New-LsEventLogSource' }
            @{ Label = 'the install folder lock-down'; Command = 'Set-LsInstallFolderLocked' }
            @{ Label = 'the logs folder ACL'; Command = 'Grant-LsFolderWriteAccess' }
            @{ Label = 'the connector step (-ConfigureConnectors)'; Command = 'New-SendConnector'; After = 1; Org = 'Configure' }
            @{ Label = 'the file copy'; Command = 'Copy-LsAgentFile' }
            @{ Label = 'Install-TransportAgent'; Command = 'Install-TransportAgent' }
            @{ Label = 'Enable-TransportAgent'; Command = 'Enable-TransportAgent' }
            @{ Label = 'the manifest'; Command = 'Write-LsManifest' }
            @{ Label = 'the restart'; Command = 'Restart-LsService'; Times = 1 }
            @{ Label = 'the health check: no start event'; AgentStart = 'Silent' }
            @{ Label = 'the health check: factory failed (event 3001)'; AgentStart = 'FactoryFailed' }
            @{ Label = 'the health check: test decision'; ExplainExitCode = 2 }
            @{ Label = 'Enable-TransportAgent in the remote shell (non-terminating unless -ErrorAction Stop)'; Command = 'Enable-TransportAgent'; RemoteShell = $true }
        ) {
            $row = $_
            $org = @{}
            if ($row.ContainsKey('Org') -and $row.Org -eq 'Configure') {
                # The first server of the organisation: the org step creates the connectors inside the install.
                $global:LsFake.Connectors.Clear()
                $org = @{ ConfigureConnectors = $true; Egress = 'Direct'; SourceTransportServers = @($global:LsFake.Server.Name) }
            }
            $before = Get-ServerState
            Set-Failure $row

            { & $script:InstallScript -SourcePath $script:Published -InstallPath $script:InstallPath -HealthCheckSeconds 10 -Confirm:$false @org 6>$null 3>$null } | Should -Throw

            Assert-FailureReached $row
            $global:LsFake.FailCommand.Clear()
            Get-ServerState | Should -Be $before
            $global:LsFake.Services.MSExchangeTransport | Should -Be 'Running'
            Get-LsFakeAgent Hub $script:AgentName | Should -BeNullOrEmpty
        }
    }

    Context 'upgrade 0.9.0 -> 1.0.0 with a new configuration' {
        BeforeEach {
            $old = New-LsPublishedFolder -Path (Join-Path $script:Root 'publish-old') -Version '0.9.0'
            & $script:InstallScript -SourcePath $old -InstallPath $script:InstallPath -Confirm:$false 6>$null | Out-Null
            $script:NewConfig = Join-Path $script:Root 'prepared.config.json'
            Set-Content -LiteralPath $script:NewConfig -Value (New-LsTestConfig -Top @{ internalDomains = @('contoso.test') })
            $global:LsFake.Calls.Clear()
        }

        It 'fails at <Label> and puts back the old agent, files, configuration and manifest, transport running' -ForEach @(
            @{ Label = 'Disable-TransportAgent'; Command = 'Disable-TransportAgent' }
            @{ Label = 'the service stop'; Command = 'Stop-LsService'; Times = 1 }
            @{ Label = 'the file copy'; Command = 'Copy-LsAgentFile' }
            @{ Label = 'the configuration copy (after the files)'; Command = 'Copy-LsAgentFile'; After = 1 }
            @{ Label = 'Enable-TransportAgent (once)'; Command = 'Enable-TransportAgent'; Times = 1 }
            @{ Label = 'the manifest'; Command = 'Write-LsManifest' }
            @{ Label = 'the service start'; Command = 'Start-LsService'; Times = 1 }
            @{ Label = 'the health check: no start event'; AgentStart = 'Silent' }
            @{ Label = 'the health check: factory failed (event 3001)'; AgentStart = 'FactoryFailed' }
            @{ Label = 'the health check: test decision'; ExplainExitCode = 1 }
            @{ Label = 'Enable-TransportAgent in the remote shell (once)'; Command = 'Enable-TransportAgent'; Times = 1; RemoteShell = $true }
        ) {
            $row = $_
            $before = Get-ServerState
            Set-Failure $row

            { & $script:InstallScript -SourcePath $script:Published -InstallPath $script:InstallPath -ConfigPath $script:NewConfig -HealthCheckSeconds 10 -Confirm:$false 6>$null 3>$null } | Should -Throw

            Assert-FailureReached $row
            $global:LsFake.FailCommand.Clear()
            Get-ServerState | Should -Be $before
            $global:LsFake.Services.MSExchangeTransport | Should -Be 'Running'
            Get-Content (Join-Path $script:InstallPath 'LinkSecure.Exchange.dll') | Should -Be 'fake assembly LinkSecure.Exchange.dll version=0.9.0'
            (Get-LsFakeAgent Hub $script:AgentName).Enabled | Should -BeTrue
        }

        It 'succeeds without injected failures, and the health check ran after the start' {
            $result = & $script:InstallScript -SourcePath $script:Published -InstallPath $script:InstallPath -ConfigPath $script:NewConfig -Confirm:$false 6>$null
            Assert-LsCallOrder -Names @('Disable-TransportAgent', 'Stop-LsService', 'Copy-LsAgentFile', 'Enable-TransportAgent', 'Write-LsManifest', 'Start-LsService', 'Get-LsAgentEvent', 'Invoke-LsCli')
            @(Get-LsCall 'Invoke-LsCli')[-1].Parameters.Arguments[0] | Should -Be 'explain'
            ($result | Where-Object Step -eq 'Health: agent loaded').Status | Should -Be 'Unchanged'
            ($result | Where-Object Step -eq 'Health: test decision').Status | Should -Be 'Unchanged'
            Get-Content (Join-Path $script:InstallPath 'LinkSecure.Exchange.dll') | Should -Be 'fake assembly LinkSecure.Exchange.dll version=1.0.0'
        }
    }

    Context 'configuration-only change (same agent version)' {
        BeforeEach {
            & $script:InstallScript -SourcePath $script:Published -InstallPath $script:InstallPath -Confirm:$false 6>$null | Out-Null
            $script:NewConfig = Join-Path $script:Root 'prepared.config.json'
            Set-Content -LiteralPath $script:NewConfig -Value (New-LsTestConfig -Top @{ internalDomains = @('contoso.test') })
            $global:LsFake.Calls.Clear()
        }

        It 'copies the configuration without restarting transport and waits for the agent''s reload event' {
            $result = & $script:InstallScript -SourcePath $script:Published -InstallPath $script:InstallPath -ConfigPath $script:NewConfig -Confirm:$false 6>$null
            @(Get-LsCall 'Restart-LsService', 'Stop-LsService', 'Start-LsService', 'Disable-TransportAgent').Count | Should -Be 0
            (Get-FileHash (Join-Path $script:InstallPath 'LinkSecure.config.json')).Hash | Should -Be (Get-FileHash $script:NewConfig).Hash
            ($result | Where-Object Step -eq 'Health: configuration reloaded').Status | Should -Be 'Unchanged'
            ($result | Where-Object Step -eq 'Restart transport').Detail | Should -BeLike '*reloads its configuration*'
        }

        It 'puts the previous configuration back when the agent refuses the new one (event 2001)' {
            $global:LsFake.ReloadEventId = 2001
            $before = Get-ServerState
            { & $script:InstallScript -SourcePath $script:Published -InstallPath $script:InstallPath -ConfigPath $script:NewConfig -Confirm:$false 6>$null 3>$null } | Should -Throw '*refused the new configuration*'
            Get-ServerState | Should -Be $before
        }

        It 'refuses a configuration the agent''s validator rejects, before any change' {
            $global:LsFake['CliProblems'] = @('resolver.budgetMilliseconds: must be a positive whole number.')
            { & $script:InstallScript -SourcePath $script:Published -InstallPath $script:InstallPath -ConfigPath $script:NewConfig -Confirm:$false 6>$null } | Should -Throw '*linksecure config validate*budgetMilliseconds*'
            @(Get-LsMutatingCall).Count | Should -Be 0
        }
    }

    Context 'uninstall' {
        BeforeEach {
            & $script:InstallScript -SourcePath $script:Published -InstallPath $script:InstallPath -Confirm:$false 6>$null | Out-Null
            $global:LsFake.Calls.Clear()
        }

        It 'fails at <Label> and puts the agent back, transport running' -ForEach @(
            @{ Label = 'Disable-TransportAgent'; Command = 'Disable-TransportAgent' }
            @{ Label = 'Uninstall-TransportAgent'; Command = 'Uninstall-TransportAgent' }
            @{ Label = 'the connector step (-RemoveConnectors)'; Command = 'Remove-SendConnector'; Org = 'Remove' }
            @{ Label = 'the restart'; Command = 'Restart-LsService'; Times = 1 }
        ) {
            $row = $_
            $before = Get-ServerState
            Set-Failure $row

            $org = @{}
            if ($row.ContainsKey('Org') -and $row.Org -eq 'Remove') { $org = @{ RemoveConnectors = $true } }
            { & $script:UninstallScript -InstallPath $script:InstallPath -Confirm:$false @org 6>$null 3>$null } | Should -Throw

            Assert-FailureReached $row
            $global:LsFake.FailCommand.Clear()
            # The restart's failure comes after the agent was removed: the files stay, the agent is back.
            Get-ServerState | Should -Be $before
            $global:LsFake.Services.MSExchangeTransport | Should -Be 'Running'
        }
    }

    Context 'interruption (Ctrl+C)' {
        # Ctrl+C stops the pipeline: catch blocks do not run for it, finally blocks do. Pester cannot host a
        # stopped pipeline, so this checks the structure that makes the rollback run on Ctrl+C: the rollback
        # and the service restart sit in the finally block of the try that holds every change.
        It '<Name> rolls back and restarts transport in a finally block' -ForEach @(
            @{ Name = 'Install-LinkSecureAgent.ps1' }
            @{ Name = 'Uninstall-LinkSecureAgent.ps1' }
        ) {
            $ast = [System.Management.Automation.Language.Parser]::ParseFile((Get-LsScriptPath $Name), [ref]$null, [ref]$null)
            $tries = @($ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.TryStatementAst] -and $null -ne $n.Finally -and $n.Parent -eq $ast.EndBlock }, $true))
            $tries.Count | Should -Be 1
            $finally = $tries[0].Finally.Extent.Text
            $finally | Should -Match 'Invoke-LsRollback -Transaction \$transaction'
            $finally | Should -Match 'Start-LsService -Name \$product.TransportService'
            $body = $tries[0].Body.Extent.Text
            $body | Should -Match '\$transaction.Committed = \$true'
            @($tries[0].CatchClauses).Count | Should -Be 0
        }
    }

    Context 'the remote shell stand-ins' {
        It 'write a non-terminating error without -ErrorAction Stop (so the scripts must pass it)' {
            $global:LsFake.RemoteShell = $true
            $global:LsFake.FailCommand['Enable-TransportAgent'] = 'remote failure'
            Enable-TransportAgent -Identity 'Transport Rule Agent' -ErrorVariable remoteErrors -ErrorAction SilentlyContinue
            @($remoteErrors).Count | Should -Be 1
            { Enable-TransportAgent -Identity 'Transport Rule Agent' -ErrorAction Stop } | Should -Throw '*remote failure*'
        }
    }
}
