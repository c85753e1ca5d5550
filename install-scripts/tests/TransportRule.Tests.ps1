BeforeAll {
    . (Join-Path $PSScriptRoot 'StandIns.ps1')
    Import-Module (Get-LsScriptPath 'LinkSecure.Install.psm1') -Force
    $script:RuleScript = Get-LsScriptPath 'New-LinkSecureTransportRule.ps1'

    function Invoke-Rule {
        param([hashtable]$Arguments)
        $Arguments['Confirm'] = $false
        if (-not $Arguments.ContainsKey('InstallPath')) { $Arguments['InstallPath'] = $script:InstallPath }
        & $script:RuleScript @Arguments -InformationVariable info
        $script:LastInfo = @($info | ForEach-Object { [string]$_.MessageData })
    }
}

Describe 'New-LinkSecureTransportRule.ps1' {
    BeforeAll {
        Register-LsWindowsStandIns
    }

    BeforeEach {
        Reset-LsFake
        Install-LsExchangeStandIns
        $script:Root = New-LsTestRoot
        $script:InstallPath = Join-Path $script:Root 'ExchangeLinkSecure'
        New-Item -ItemType Directory -Path $script:InstallPath | Out-Null
    }

    AfterEach {
        Remove-Item -LiteralPath $script:Root -Recurse -Force -ErrorAction SilentlyContinue
    }

    Context 'conditions' {
        It 'external recipients only -> SentToScope NotInOrganization' {
            $rule = Invoke-Rule @{ Name = 'LS external'; Level = 2; ExternalRecipientsOnly = $true } 6>$null
            $call = (Get-LsCall 'New-TransportRule')[0].Parameters
            $call.SentToScope | Should -Be 'NotInOrganization'
            $call.SetHeaderName | Should -Be 'Link-Security'
            $call.SetHeaderValue | Should -Be 'level=2; fallback=bounce'
            $call.Mode | Should -Be 'Enforce'
            $call.ContainsKey('HeaderContainsMessageHeader') | Should -BeFalse
            $rule.Name | Should -Be 'LS external'
            $rule.SetHeaderValue | Should -Be 'level=2; fallback=bounce'
        }

        It 'a sensitivity label -> msip_labels header contains MSIP_Label_(id)_Enabled=true' {
            $id = '2f8a1c5e-0d6b-4f7e-9a31-5c2d8e4b7a10'
            Invoke-Rule @{ Name = 'LS label'; Level = 4; Fallback = 'safe-part'; SensitivityLabelId = $id } 6>$null | Out-Null
            $call = (Get-LsCall 'New-TransportRule')[0].Parameters
            $call.HeaderContainsMessageHeader | Should -Be 'msip_labels'
            @($call.HeaderContainsWords) | Should -Be @("MSIP_Label_$($id)_Enabled=true")
            $call.SetHeaderValue | Should -Be 'level=4; fallback=safe-part'
        }

        It 'two sensitivity labels match either' {
            Invoke-Rule @{ Name = 'LS labels'; Level = 3; SensitivityLabelId = @('11111111-2222-3333-4444-555555555555', 'AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE') } 6>$null | Out-Null
            @((Get-LsCall 'New-TransportRule')[0].Parameters.HeaderContainsWords) | Should -Be @('MSIP_Label_11111111-2222-3333-4444-555555555555_Enabled=true', 'MSIP_Label_aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee_Enabled=true')
        }

        It 'subject or body words -> SubjectOrBodyContainsWords' {
            Invoke-Rule @{ Name = 'LS billing'; Level = 3; SubjectOrBodyWords = @('Your invoice', 'Payment due') } 6>$null | Out-Null
            @((Get-LsCall 'New-TransportRule')[0].Parameters.SubjectOrBodyContainsWords) | Should -Be @('Your invoice', 'Payment due')
        }

        It 'sender in a group -> FromMemberOf' {
            Invoke-Rule @{ Name = 'LS HR'; Level = 3; SenderMemberOf = 'HR Department' } 6>$null | Out-Null
            @((Get-LsCall 'New-TransportRule')[0].Parameters.FromMemberOf) | Should -Be @('HR Department')
        }

        It 'combines all conditions in one rule' {
            Invoke-Rule @{ Name = 'LS all'; Level = 1; ExternalRecipientsOnly = $true; SensitivityLabelId = '11111111-2222-3333-4444-555555555555'; SubjectOrBodyWords = 'secret'; SenderMemberOf = 'Finance'; Priority = 0; HeaderName = 'X-Link-Security' } 6>$null | Out-Null
            $call = (Get-LsCall 'New-TransportRule')[0].Parameters
            foreach ($key in @('SentToScope', 'HeaderContainsMessageHeader', 'HeaderContainsWords', 'SubjectOrBodyContainsWords', 'FromMemberOf')) { $call.ContainsKey($key) | Should -BeTrue }
            $call.Priority | Should -Be 0
            $call.SetHeaderName | Should -Be 'X-Link-Security'
            $script:LastInfo[-1] | Should -BeLike "*a recipient is outside the organization and the sensitivity label is 11111111-2222-3333-4444-555555555555 (msip_labels header) and the subject or body contains 'secret' and the sender is a member of 'Finance'*X-Link-Security: level=1; fallback=bounce*"
        }

        It 'level 0 stamps a clearing request' {
            Invoke-Rule @{ Name = 'LS clear'; Level = 0; SubjectOrBodyWords = 'no-ls' } 6>$null | Out-Null
            (Get-LsCall 'New-TransportRule')[0].Parameters.SetHeaderValue | Should -Be 'level=0; fallback=bounce'
        }

        It 'refuses a rule without conditions unless -AllMessages' {
            { Invoke-Rule @{ Name = 'LS none'; Level = 2 } 6>$null } | Should -Throw '*at least one condition*'
            @(Get-LsCall 'New-TransportRule').Count | Should -Be 0
            Invoke-Rule @{ Name = 'LS every'; Level = 2; AllMessages = $true } 6>$null | Out-Null
            @(Get-LsCall 'New-TransportRule').Count | Should -Be 1
        }

        It 'refuses an invalid level' {
            { Invoke-Rule @{ Name = 'LS bad'; Level = 5; AllMessages = $true } 6>$null } | Should -Throw
            { Invoke-Rule @{ Name = 'LS bad'; Level = 2; Fallback = 'relay'; AllMessages = $true } 6>$null } | Should -Throw
            @(Get-LsCall 'New-TransportRule').Count | Should -Be 0
        }

        It 'refuses Mailbox-only conditions on Edge and accepts the others' {
            { Invoke-Rule @{ Name = 'LS edge'; Level = 2; ExternalRecipientsOnly = $true; TransportService = 'Edge' } 6>$null } | Should -Throw '*Mailbox server*'
            { Invoke-Rule @{ Name = 'LS edge'; Level = 2; SenderMemberOf = 'X'; TransportService = 'Edge' } 6>$null } | Should -Throw '*Edge*'
            Invoke-Rule @{ Name = 'LS edge'; Level = 2; SubjectOrBodyWords = 'x'; TransportService = 'Edge' } 6>$null | Out-Null
            @(Get-LsCall 'New-TransportRule').Count | Should -Be 1
        }
    }

    Context 'idempotence and updates' {
        It 'prints the rule and changes nothing on a second run' {
            $arguments = @{ Name = 'LS billing'; Level = 3; ExternalRecipientsOnly = $true; SubjectOrBodyWords = @('Your invoice') }
            Invoke-Rule $arguments.Clone() 6>$null | Out-Null
            $global:LsFake.Calls.Clear()
            $rule = Invoke-Rule $arguments.Clone() 6>$null
            @(Get-LsCall 'New-TransportRule', 'Set-TransportRule').Count | Should -Be 0
            $script:LastInfo | Should -Contain ("No changes: transport rule 'LS billing' already matches. When a recipient is outside the organization and the subject or body contains 'Your invoice': set header `"Link-Security: level=3; fallback=bounce`" (mode Enforce).")
            $rule.Name | Should -Be 'LS billing'
        }

        It 'updates only what differs and clears conditions no longer asked for' {
            Invoke-Rule @{ Name = 'LS label'; Level = 3; ExternalRecipientsOnly = $true; SensitivityLabelId = '11111111-2222-3333-4444-555555555555' } 6>$null | Out-Null
            $global:LsFake.Calls.Clear()
            Invoke-Rule @{ Name = 'LS label'; Level = 4; SensitivityLabelId = '11111111-2222-3333-4444-555555555555' } 6>$null | Out-Null
            $set = @(Get-LsCall 'Set-TransportRule')
            $set.Count | Should -Be 1
            $set[0].Parameters.ContainsKey('SentToScope') | Should -BeTrue
            $set[0].Parameters.SentToScope | Should -BeNullOrEmpty
            $set[0].Parameters.SetHeaderValue | Should -Be 'level=4; fallback=bounce'
            $set[0].Parameters.ContainsKey('HeaderContainsWords') | Should -BeFalse
            $rule = $global:LsFake.Rules | Where-Object Name -eq 'LS label'
            $rule.SentToScope | Should -BeNullOrEmpty
            $rule.SetHeaderValue | Should -Be 'level=4; fallback=bounce'
        }

        It 'changes nothing with -WhatIf' {
            Invoke-Rule @{ Name = 'LS w'; Level = 3; SubjectOrBodyWords = 'x'; WhatIf = $true } 6>$null | Should -BeNullOrEmpty
            $global:LsFake.Rules.Count | Should -Be 0
            @(Get-LsCall 'New-TransportRule').Count | Should -Be 0
            $global:LsFake.Transcripts.Count | Should -Be 0

            Invoke-Rule @{ Name = 'LS w'; Level = 3; SubjectOrBodyWords = 'x' } 6>$null | Out-Null
            $global:LsFake.Calls.Clear()
            Invoke-Rule @{ Name = 'LS w'; Level = 4; SubjectOrBodyWords = 'x'; WhatIf = $true } 6>$null | Out-Null
            @(Get-LsCall 'Set-TransportRule').Count | Should -Be 0
            ($global:LsFake.Rules | Where-Object Name -eq 'LS w').SetHeaderValue | Should -Be 'level=3; fallback=bounce'
        }

        It 'writes a transcript into the install folder when it exists' {
            Invoke-Rule @{ Name = 'LS t'; Level = 3; SubjectOrBodyWords = 'x' } 6>$null | Out-Null
            $global:LsFake.Transcripts[0] | Should -BeLike ((Join-Path $script:InstallPath 'transcripts') + '*New-LinkSecureTransportRule-*.log')
        }

        It 'writes no transcript where the agent is not installed' {
            Invoke-Rule @{ Name = 'LS t'; Level = 3; SubjectOrBodyWords = 'x'; InstallPath = (Join-Path $script:Root 'missing') } 6>$null | Out-Null
            $global:LsFake.Transcripts.Count | Should -Be 0
            $global:LsFake.Rules.Count | Should -Be 1
        }

        It 'refuses when the Exchange snap-in is missing' {
            Remove-LsExchangeStandIns
            $global:LsFake.SnapInAvailable = $false
            { Invoke-Rule @{ Name = 'LS x'; Level = 3; SubjectOrBodyWords = 'x' } 6>$null } | Should -Throw '*Exchange Management Shell*'
        }
    }
}
