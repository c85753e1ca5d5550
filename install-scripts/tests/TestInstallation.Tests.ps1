BeforeAll {
    . (Join-Path $PSScriptRoot 'StandIns.ps1')
    Import-Module (Get-LsScriptPath 'LinkSecure.Install.psm1') -Force
    $script:InstallScript = Get-LsScriptPath 'Install-LinkSecureAgent.ps1'
    $script:TestScript = Get-LsScriptPath 'Test-LinkSecureInstallation.ps1'
    $script:AgentName = 'ExchangeLinkSecure Routing Agent'

    function Invoke-Check {
        param([hashtable]$Extra = @{})
        $arguments = @{ InstallPath = $script:InstallPath }
        foreach ($key in $Extra.Keys) { $arguments[$key] = $Extra[$key] }
        $global:LASTEXITCODE = $null
        $rows = & $script:TestScript @arguments -InformationVariable info 6>$null
        $script:ExitCode = $global:LASTEXITCODE
        $script:LastInfo = @($info | ForEach-Object { [string]$_.MessageData })
        $rows
    }

    function Get-Row {
        param($Rows, [string]$Check)
        $Rows | Where-Object Check -eq $Check
    }

    function New-FakeCli {
        # A stand-in for the linksecure CLI: records its arguments and exits with $Code.
        param([int]$Code, [string]$Message)
        $path = Join-Path $script:Root 'linksecure'
        Set-Content -LiteralPath $path -Value "#!/bin/sh`necho `"`$@`" > '$script:Root/cli-args.txt'`necho '$Message'`nexit $Code`n"
        chmod +x $path
        $path
    }
}

Describe 'Test-LinkSecureInstallation.ps1' {
    BeforeAll {
        Register-LsWindowsStandIns
        Register-LsFileVersionStandIn
    }

    BeforeEach {
        Reset-LsFake
        Install-LsExchangeStandIns
        $script:Root = New-LsTestRoot
        $published = New-LsPublishedFolder -Path (Join-Path $script:Root 'publish') -Version '1.2.3'
        $script:InstallPath = Join-Path $script:Root 'ExchangeLinkSecure'
        Initialize-LsFakeConnectors -ConfigPath (Join-Path $published 'LinkSecure.config.json')
        & $script:InstallScript -SourcePath $published -InstallPath $script:InstallPath -Confirm:$false 6>$null | Out-Null
        New-TransportRule -Name 'LS billing' -SubjectOrBodyContainsWords 'invoice' -SetHeaderName 'Link-Security' -SetHeaderValue 'level=3; fallback=bounce' | Out-Null
        $global:LsFake.Calls.Clear()
    }

    AfterEach {
        Remove-Item -LiteralPath $script:Root -Recurse -Force -ErrorAction SilentlyContinue
    }

    It 'passes every check after an install, and changes nothing' {
        $rows = Invoke-Check
        @($rows | Where-Object Result -ne 'Pass') | Should -BeNullOrEmpty
        foreach ($check in @('Exchange Management Shell', 'Exchange version', '.NET Framework 4.8', 'Agent files', 'Agent registered', 'Agent enabled', 'Agent priority', 'Transport service', 'Event log source', 'Recent errors', 'Configuration', "Send connector 'ExchangeLinkSecure DomainValidation'", "Send connector 'ExchangeLinkSecure CertificateValidation'", "Send connector 'ExchangeLinkSecure EncryptionOnly'", 'Logs folder', 'Transport rules')) {
            (Get-Row $rows $check).Result | Should -Be 'Pass' -Because $check
        }
        (Get-Row $rows 'Agent files').Detail | Should -BeLike '*version 1.2.3*'
        $script:ExitCode | Should -Be 0
        $script:LastInfo[-1] | Should -BeLike 'Result: PASS*'
        @(Get-LsMutatingCall).Count | Should -Be 0
        $global:LsFake.Transcripts[-1] | Should -BeLike ((Join-Path $script:InstallPath 'transcripts') + '*Test-LinkSecureInstallation-*.log')
    }

    It 'fails when the agent is missing, and exits 1' {
        Uninstall-TransportAgent -Identity $script:AgentName -TransportService Hub
        $rows = Invoke-Check
        (Get-Row $rows 'Agent registered').Result | Should -Be 'Fail'
        (Get-Row $rows 'Agent enabled').Result | Should -Be 'Skip'
        $script:ExitCode | Should -Be 1
        $script:LastInfo[-1] | Should -BeLike 'Result: FAIL (1 of *'
    }

    It 'fails when the agent is disabled' {
        Disable-TransportAgent -Identity $script:AgentName -TransportService Hub
        (Get-Row (Invoke-Check) 'Agent enabled').Result | Should -Be 'Fail'
    }

    It 'fails when the agent runs before the Transport Rule Agent' {
        Set-TransportAgent -Identity $script:AgentName -Priority 1 -TransportService Hub
        $row = Get-Row (Invoke-Check) 'Agent priority'
        $row.Result | Should -Be 'Fail'
        $row.Detail | Should -BeLike "*before 'Transport Rule Agent'*"
    }

    It 'fails when the agent is registered from another folder' {
        (Get-LsFakeAgent Hub $script:AgentName).AssemblyPath = 'D:\elsewhere\LinkSecure.Exchange.dll'
        (Get-Row (Invoke-Check) 'Agent registered').Detail | Should -BeLike '*assembly path is D:\elsewhere*'
    }

    It 'fails when a connector is missing or differs from the configuration' {
        $dv = $global:LsFake.Connectors | Where-Object Name -eq 'ExchangeLinkSecure DomainValidation'
        $dv.TlsAuthLevel = 'EncryptionOnly'
        [void]$global:LsFake.Connectors.Remove(($global:LsFake.Connectors | Where-Object Name -eq 'ExchangeLinkSecure EncryptionOnly'))
        $rows = Invoke-Check
        (Get-Row $rows "Send connector 'ExchangeLinkSecure DomainValidation'").Detail | Should -BeLike '*TlsAuthLevel*'
        (Get-Row $rows "Send connector 'ExchangeLinkSecure DomainValidation'").Result | Should -Be 'Fail'
        (Get-Row $rows "Send connector 'ExchangeLinkSecure EncryptionOnly'").Result | Should -Be 'Fail'
        $script:ExitCode | Should -Be 1
    }

    It 'checks the configuration structure without the CLI' {
        Set-Content -LiteralPath (Join-Path $script:InstallPath 'LinkSecure.config.json') -Value (New-LsTestConfig -Top @{ defer = @{ retryMinutes = 0; maxDeferMinutes = 240 }; overrides = @(@{ domain = 'x.example'; level = 7 }) })
        $row = Get-Row (Invoke-Check) 'Configuration'
        $row.Result | Should -Be 'Fail'
        $row.Detail | Should -BeLike '*defer.retryMinutes*'
        $row.Detail | Should -BeLike '*overrides`[0`]*level*'
    }

    It 'fails on a configuration that is not JSON' {
        Set-Content -LiteralPath (Join-Path $script:InstallPath 'LinkSecure.config.json') -Value '{ "routing": '
        $rows = Invoke-Check
        (Get-Row $rows 'Configuration').Result | Should -Be 'Fail'
        (Get-Row $rows 'Configuration').Detail | Should -BeLike '*not valid JSON*'
    }

    It 'uses "linksecure config validate" when the CLI path is given: exit <Code> -> <Expected>' -ForEach @(
        @{ Code = 0; Expected = 'Pass'; Message = 'Configuration is valid.' }
        @{ Code = 1; Expected = 'Fail'; Message = 'resolver.timeoutMilliseconds must be positive' }
    ) {
        $cli = New-FakeCli -Code $Code -Message $Message
        $row = Get-Row (Invoke-Check @{ LinkSecureCliPath = $cli }) 'Configuration'
        $row.Result | Should -Be $Expected
        $row.Detail | Should -BeLike "*$Message*"
        Get-Content (Join-Path $script:Root 'cli-args.txt') | Should -Be ('config validate ' + (Join-Path $script:InstallPath 'LinkSecure.config.json'))
    }

    It 'fails on recent error events from the agent' {
        $global:LsFake.Events.Add([pscustomobject]@{ ProviderName = 'ExchangeLinkSecure'; LevelDisplayName = 'Error'; Id = 1001; TimeCreated = (Get-Date).AddMinutes(-5); Message = 'Configuration could not be loaded; the agent is inert.' })
        $global:LsFake.Events.Add([pscustomobject]@{ ProviderName = 'ExchangeLinkSecure'; LevelDisplayName = 'Error'; Id = 1001; TimeCreated = (Get-Date).AddDays(-3); Message = 'old' })
        $row = Get-Row (Invoke-Check) 'Recent errors'
        $row.Result | Should -Be 'Fail'
        $row.Detail | Should -BeLike '1 error event(s) in the last 24 hour(s)*event 1001*inert*'
    }

    It 'fails when the transport service is stopped and the event source is missing' {
        $global:LsFake.Services.MSExchangeTransport = 'Stopped'
        [void]$global:LsFake.EventSources.Remove('ExchangeLinkSecure')
        $rows = Invoke-Check
        (Get-Row $rows 'Transport service').Result | Should -Be 'Fail'
        (Get-Row $rows 'Event log source').Result | Should -Be 'Fail'
        (Get-Row $rows 'Recent errors').Result | Should -Be 'Skip'
    }

    It 'warns when no transport rule stamps Link-Security, unless enforceForAllMail' {
        $global:LsFake.Rules.Clear()
        (Get-Row (Invoke-Check) 'Transport rules').Result | Should -Be 'Warn'
        Set-Content -LiteralPath (Join-Path $script:InstallPath 'LinkSecure.config.json') -Value (New-LsTestConfig -Top @{ enforceForAllMail = $true })
        (Get-Row (Invoke-Check) 'Transport rules').Result | Should -Be 'Pass'
    }

    It 'fails on an unsupported Exchange build or missing .NET 4.8' {
        $global:LsFake.Server.AdminDisplayVersion = 'Version 15.1 (Build 1713.5)'
        $global:LsFake.DotNetRelease = 461808
        $rows = Invoke-Check
        (Get-Row $rows 'Exchange version').Result | Should -Be 'Fail'
        (Get-Row $rows '.NET Framework 4.8').Result | Should -Be 'Fail'
    }

    It 'reports one clear failure when the Exchange snap-in is missing' {
        Remove-LsExchangeStandIns
        $global:LsFake.SnapInAvailable = $false
        $rows = @(Invoke-Check)
        $rows.Count | Should -Be 1
        $rows[0].Check | Should -Be 'Exchange Management Shell'
        $rows[0].Result | Should -Be 'Fail'
        $script:ExitCode | Should -Be 1
    }
}
