BeforeAll {
    . (Join-Path $PSScriptRoot 'StandIns.ps1')
    . (Join-Path $PSScriptRoot 'RuleEngine.ps1')
    Import-Module (Get-LsScriptPath 'LinkSecure.Install.psm1') -Force
    $script:RuleScript = Get-LsScriptPath 'New-LinkSecureTransportRule.ps1'
    $script:Label = '2f8a1c5e-0d6b-4f7e-9a31-5c2d8e4b7a10'

    function Invoke-Rule {
        param([hashtable]$Arguments)
        $Arguments['Confirm'] = $false
        if (-not $Arguments.ContainsKey('InstallPath')) { $Arguments['InstallPath'] = $script:InstallPath }
        & $script:RuleScript @Arguments -InformationVariable info
        $script:LastInfo = @($info | ForEach-Object { [string]$_.MessageData })
    }

    function Get-Rule {
        param([string]$Name)
        $global:LsFake.Rules | Where-Object Name -eq $Name | Select-Object -First 1
    }

    function Get-Request {
        # Runs the fake organization's rules on a message and reads the request the agent would see.
        param([object]$Message)
        Invoke-LsRuleEngine -Message $Message | Out-Null
        ConvertFrom-LsRequestHeader -Headers $Message.Headers
    }

    function Get-Strictness {
        # The order the rules keep: the level first, then bounce over safe-part.
        param([int]$Level, [string]$Fallback)
        if ($Level -eq 0) { return 0 }
        2 * $Level + [int]($Fallback -eq 'bounce')
    }
}

Describe 'New-LinkSecureTransportRule.ps1' {
    BeforeAll {
        Register-LsWindowsStandIns
    }

    BeforeEach {
        Reset-LsFake
        Install-LsExchangeStandIns
        Install-LsRuleStandIns
        $script:Root = New-LsTestRoot
        $script:InstallPath = Join-Path $script:Root 'ExchangeLinkSecure'
        New-Item -ItemType Directory -Path $script:InstallPath | Out-Null
    }

    AfterEach {
        Remove-Item -LiteralPath $script:Root -Recurse -Force -ErrorAction SilentlyContinue
    }

    Context 'conditions' {
        It 'defaults to level 1 with bounce, and external recipients only -> SentToScope NotInOrganization' {
            $rule = Invoke-Rule @{ Name = 'LS external'; ExternalRecipientsOnly = $true } 6>$null
            $call = (Get-LsCall 'New-TransportRule')[0].Parameters
            $call.SentToScope | Should -Be 'NotInOrganization'
            $call.SetHeaderName | Should -Be 'Link-Security'
            $call.SetHeaderValue | Should -Be 'level=1; fallback=bounce'
            $call.Mode | Should -Be 'Enforce'
            $call.ExceptIfHeaderMatchesMessageHeader | Should -Be 'Link-Security'
            @($call.ExceptIfHeaderMatchesPatterns).Count | Should -Be 5
            $call.ContainsKey('HeaderContainsMessageHeader') | Should -BeFalse
            $rule.Name | Should -Be 'LS external'
            $rule.SetHeaderValue | Should -Be 'level=1; fallback=bounce'
        }

        It 'a sensitivity label -> msip_labels header contains MSIP_Label_(id)_Enabled=true' {
            Invoke-Rule @{ Name = 'LS label'; Level = 4; Fallback = 'safe-part'; SensitivityLabelId = $script:Label } 6>$null | Out-Null
            $call = (Get-LsCall 'New-TransportRule')[0].Parameters
            $call.HeaderContainsMessageHeader | Should -Be 'msip_labels'
            @($call.HeaderContainsWords) | Should -Be @("MSIP_Label_$($script:Label)_Enabled=true")
            $call.SetHeaderValue | Should -Be 'level=4; fallback=safe-part'
        }

        It 'two sensitivity labels match either' {
            Invoke-Rule @{ Name = 'LS labels'; Level = 3; SensitivityLabelId = @('11111111-2222-3333-4444-555555555555', 'AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE') } 6>$null | Out-Null
            @((Get-LsCall 'New-TransportRule')[0].Parameters.HeaderContainsWords) | Should -Be @('MSIP_Label_11111111-2222-3333-4444-555555555555_Enabled=true', 'MSIP_Label_aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee_Enabled=true')
        }

        It 'subject words -> SubjectContainsWords; subject or body words -> SubjectOrBodyContainsWords' {
            Invoke-Rule @{ Name = 'LS billing'; SubjectWords = 'Invoice'; SubjectOrBodyWords = @('Your invoice', 'Payment due') } 6>$null | Out-Null
            $call = (Get-LsCall 'New-TransportRule')[0].Parameters
            @($call.SubjectContainsWords) | Should -Be @('Invoice')
            @($call.SubjectOrBodyContainsWords) | Should -Be @('Your invoice', 'Payment due')
        }

        It 'senders, sender groups, sender IP ranges, recipients and recipient domains' {
            Invoke-Rule @{ Name = 'LS senders'; From = 'billing@contoso.example'; FromMemberOf = 'Finance'; SenderIpRanges = @('192.0.2.10', '192.0.2.32/28', '192.0.2.100-192.0.2.110', '2001:db8::/32'); SentTo = 'ceo@partner.example'; RecipientDomainIs = 'Pensions.Example.' } 6>$null | Out-Null
            $call = (Get-LsCall 'New-TransportRule')[0].Parameters
            @($call.From) | Should -Be @('billing@contoso.example')
            @($call.FromMemberOf) | Should -Be @('Finance')
            @($call.SenderIpRanges) | Should -Be @('192.0.2.10', '192.0.2.32/28', '192.0.2.100-192.0.2.110', '2001:db8::/32')
            @($call.SentTo) | Should -Be @('ceo@partner.example')
            @($call.RecipientDomainIs) | Should -Be @('pensions.example')
            $script:LastInfo[-1] | Should -BeLike "*the sender is 'billing@contoso.example' and the sender is a member of 'Finance' and the sender IP is in 192.0.2.10 or 192.0.2.32/28*and a recipient is 'ceo@partner.example' and a recipient domain is pensions.example*"
        }

        It 'refuses a rule without conditions unless -AllMessages' {
            { Invoke-Rule @{ Name = 'LS none'; Level = 2 } 6>$null } | Should -Throw '*at least one condition*'
            @(Get-LsCall 'New-TransportRule').Count | Should -Be 0
            Invoke-Rule @{ Name = 'LS every'; Level = 2; AllMessages = $true } 6>$null | Out-Null
            @(Get-LsCall 'New-TransportRule').Count | Should -Be 1
        }

        It 'refuses level <level> and fallback <fallback> as a parameter error' -TestCases @(
            @{ level = 0; fallback = 'bounce' }, @{ level = 5; fallback = 'bounce' }, @{ level = 2; fallback = 'relay' }
        ) {
            { Invoke-Rule @{ Name = 'LS bad'; Level = $level; Fallback = $fallback; AllMessages = $true } 6>$null } | Should -Throw -ExceptionType ([System.Management.Automation.ParameterBindingException])
            $global:LsFake.Rules.Count | Should -Be 0
        }

        It 'refuses bad input with a clear message and creates nothing: <case>' -TestCases @(
            @{ case = 'an IP range'; arguments = @{ SenderIpRanges = '192.0.2.300' }; message = "*-SenderIpRanges: '192.0.2.300' is not an IP address*" }
            @{ case = 'a CIDR prefix'; arguments = @{ SenderIpRanges = '192.0.2.0/33' }; message = '*-SenderIpRanges*192.0.2.0/33*' }
            @{ case = 'a domain'; arguments = @{ RecipientDomainIs = 'not a domain' }; message = "*-RecipientDomainIs: 'not a domain' is not a domain name*" }
            @{ case = 'a long phrase'; arguments = @{ SubjectOrBodyWords = ('x' * 129) }; message = '*129 characters; Exchange allows at most 128*' }
        ) {
            $arguments['Name'] = 'LS bad input'
            { Invoke-Rule $arguments 6>$null } | Should -Throw $message
            $global:LsFake.Rules.Count | Should -Be 0
        }

        It 'refuses Mailbox-only conditions on Edge and accepts the others' {
            { Invoke-Rule @{ Name = 'LS edge'; ExternalRecipientsOnly = $true; TransportService = 'Edge' } 6>$null } | Should -Throw '*-ExternalRecipientsOnly (SentToScope): available only in Mailbox server rules*'
            { Invoke-Rule @{ Name = 'LS edge'; SenderMemberOf = 'X'; SenderIpRanges = '192.0.2.1'; TransportService = 'Edge' } 6>$null } | Should -Throw '*-SenderMemberOf (group membership), -SenderIpRanges: available only*'
            { Invoke-Rule @{ Name = 'LS edge'; RecipientDomainIs = 'partner.example'; TransportService = 'Edge' } 6>$null } | Should -Throw '*-RecipientDomainIs*'
            Invoke-Rule @{ Name = 'LS edge'; SubjectOrBodyWords = 'x'; SensitivityLabelId = $script:Label; TransportService = 'Edge' } 6>$null | Out-Null
            @(Get-LsCall 'New-TransportRule').Count | Should -Be 1
        }
    }

    Context 'idempotence and updates' {
        It 'prints the rule and changes nothing on a second run' {
            $arguments = @{ Name = 'LS billing'; ExternalRecipientsOnly = $true; From = 'billing@contoso.example'; SubjectOrBodyWords = @('Your invoice') }
            Invoke-Rule $arguments.Clone() 6>$null | Out-Null
            $global:LsFake.Calls.Clear()
            $rule = Invoke-Rule $arguments.Clone() 6>$null
            @(Get-LsCall 'New-TransportRule', 'Set-TransportRule').Count | Should -Be 0
            $script:LastInfo | Should -Contain ("No changes: transport rule 'LS billing' already matches. When a recipient is outside the organization and the sender is 'billing@contoso.example' and the subject or body contains 'Your invoice': set header `"Link-Security: level=1; fallback=bounce`" unless the message already asks for at least that (mode Enforce).")
            $rule.Name | Should -Be 'LS billing'
        }

        It 'updates only what differs, with the exception for the new level, and clears conditions no longer asked for' {
            Invoke-Rule @{ Name = 'LS label'; Level = 3; ExternalRecipientsOnly = $true; SensitivityLabelId = '11111111-2222-3333-4444-555555555555' } 6>$null | Out-Null
            $global:LsFake.Calls.Clear()
            Invoke-Rule @{ Name = 'LS label'; Level = 4; SensitivityLabelId = '11111111-2222-3333-4444-555555555555' } 6>$null | Out-Null
            $set = @(Get-LsCall 'Set-TransportRule')
            $set.Count | Should -Be 1
            $set[0].Parameters.ContainsKey('SentToScope') | Should -BeTrue
            $set[0].Parameters.SentToScope | Should -BeNullOrEmpty
            $set[0].Parameters.SetHeaderValue | Should -Be 'level=4; fallback=bounce'
            $set[0].Parameters.ExceptIfHeaderMatchesMessageHeader | Should -Be 'Link-Security'
            $set[0].Parameters.ContainsKey('HeaderContainsWords') | Should -BeFalse
            $rule = Get-Rule 'LS label'
            $rule.SentToScope | Should -BeNullOrEmpty
            $rule.SetHeaderValue | Should -Be 'level=4; fallback=bounce'
            # Level 4 with bounce: only level 4 with bounce (or no fallback) is at least as strict.
            $patterns = @($rule.ExceptIfHeaderMatchesPatterns)
            $patterns.Count | Should -Be 3
            @('level=4', 'level=4; fallback=bounce', 'fallback=bounce;level=4') | ForEach-Object { $v = $_; @($patterns | Where-Object { $v -match $_ }).Count | Should -BeGreaterThan 0 }
            @('level=3', 'level=4; fallback=safe-part', 'level=4; x=1') | ForEach-Object { $v = $_; @($patterns | Where-Object { $v -match $_ }).Count | Should -Be 0 }
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
            (Get-Rule 'LS w').SetHeaderValue | Should -Be 'level=3; fallback=bounce'
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

        It 'stops on a failing Exchange call and leaves the rules as they were' {
            Invoke-Rule @{ Name = 'LS f'; SubjectOrBodyWords = 'x' } 6>$null | Out-Null
            $global:LsFake.FailCommand['Set-TransportRule'] = 'The Active Directory operation failed.'
            { Invoke-Rule @{ Name = 'LS f'; Level = 2; SubjectOrBodyWords = 'x' } 6>$null } | Should -Throw '*Active Directory operation failed*'
            (Get-Rule 'LS f').SetHeaderValue | Should -Be 'level=1; fallback=bounce'
        }
    }

    Context 'priorities' {
        It 'refuses a priority outside 0 to the number of rules' {
            Invoke-Rule @{ Name = 'LS a'; SubjectOrBodyWords = 'a' } 6>$null | Out-Null
            { Invoke-Rule @{ Name = 'LS b'; SubjectOrBodyWords = 'b'; Priority = 2 } 6>$null } | Should -Throw '*-Priority 2 is out of range: this organization has 1 transport rule(s), so the priority is 0 to 1*'
            Invoke-Rule @{ Name = 'LS b'; SubjectOrBodyWords = 'b'; Priority = 0 } 6>$null | Out-Null
            (Get-Rule 'LS b').Priority | Should -Be 0
            (Get-Rule 'LS a').Priority | Should -Be 1
        }

        It 'keeps stamping rules after the strip rules' {
            Invoke-Rule @{ Name = 'LS early'; SubjectOrBodyWords = 'a' } 6>$null | Out-Null
            Invoke-Rule @{ InboundStripRules = $true } 6>$null | Out-Null
            (Get-Rule 'LS early').Priority | Should -Be 4
            { Invoke-Rule @{ Name = 'LS b'; SubjectOrBodyWords = 'b'; Priority = 3 } 6>$null } | Should -Throw '*would run before the LinkSecure strip rules (priorities 0 to 3)*'
            Invoke-Rule @{ Name = 'LS b'; SubjectOrBodyWords = 'b'; Priority = 4 } 6>$null | Out-Null
            (Get-Rule 'LS b').Priority | Should -Be 4
            Set-TransportRule -Identity 'LS early' -Priority 0
            { Invoke-Rule @{ Name = 'LS early'; SubjectOrBodyWords = 'a' } 6>$null } | Should -Throw "*Transport rule 'LS early' runs before the LinkSecure strip rules (priority 0)*"
        }

        It 'warns about an earlier rule that stops rule processing' {
            Add-LsFakeRule @{ Name = 'Journal and stop'; StopRuleProcessing = $true; SetHeaderName = 'X-Other'; SetHeaderValue = '1' }
            & $script:RuleScript -Name 'LS after' -SubjectOrBodyWords 'a' -InstallPath $script:InstallPath -Confirm:$false -WarningVariable warnings 3>$null 6>$null | Out-Null
            @($warnings | ForEach-Object { [string]$_ }) | Should -Contain "Transport rule 'Journal and stop' (priority 0) stops rule processing before 'LS after': mail it matches is never stamped."
        }
    }

    Context 'the agent parser port' {
        It 'reads every case of RequestCases.json as the real parser does' {
            $cases = (Get-Content -Raw -LiteralPath (Join-Path $PSScriptRoot 'RequestCases.json') | ConvertFrom-Json).cases
            @($cases).Count | Should -BeGreaterOrEqual 20
            foreach ($case in $cases) {
                $headers = @($case.headers | ForEach-Object { [pscustomobject]@{ Name = $_[0]; Value = $_[1] } })
                $request = ConvertFrom-LsRequestHeader -Headers $headers
                $context = ($case.headers | ConvertTo-Json -Compress)
                "$context -> $($request.Level) $($request.Fallback) $($request.Waived)" | Should -Be "$context -> $($case.level) $($case.fallback) $($case.waived)"
            }
        }
    }

    Context 'the strictest request wins (stand-in rule engine, Exchange semantics)' {
        BeforeEach {
            $script:Recipes = @(
                @{ Name = 'LS broad'; ExternalRecipientsOnly = $true }
                @{ Name = 'LS label'; Level = 4; Fallback = 'safe-part'; ExternalRecipientsOnly = $true; SensitivityLabelId = $script:Label }
                @{ Name = 'LS billing'; Level = 2; ExternalRecipientsOnly = $true; From = 'billing@contoso.example'; SubjectOrBodyWords = 'Your invoice' }
                @{ Name = 'LS finance'; Level = 2; Fallback = 'safe-part'; SenderMemberOf = 'Finance'; RecipientDomainIs = 'partner.example' }
            )
            $script:LabelHeader = @('msip_labels', "MSIP_Label_$($script:Label)_Enabled=true; MSIP_Label_$($script:Label)_SiteId=x")
        }

        It 'gives the strictest matching request whatever the rule order (<order>)' -TestCases @(
            @{ order = @(0, 1, 2, 3) }, @{ order = @(3, 2, 1, 0) }, @{ order = @(1, 0, 3, 2) }, @{ order = @(2, 3, 0, 1) }
        ) {
            foreach ($index in $order) { Invoke-Rule $script:Recipes[$index].Clone() 6>$null | Out-Null }

            $broad = Get-Request (New-LsTestMessage)
            $label = Get-Request (New-LsTestMessage -Headers @(, $script:LabelHeader))
            $billing = Get-Request (New-LsTestMessage -From 'billing@contoso.example' -Body 'Your invoice is attached.')
            $billingLabel = Get-Request (New-LsTestMessage -From 'billing@contoso.example' -Body 'Your invoice' -Headers @(, $script:LabelHeader))
            $finance = Get-Request (New-LsTestMessage -FromGroups 'Finance')
            $internal = Get-Request (New-LsTestMessage -To 'carol@contoso.example')
            $otherSender = Get-Request (New-LsTestMessage -From 'dave@contoso.example' -Body 'Your invoice')

            "$($broad.Level) $($broad.Fallback)" | Should -Be '1 bounce'
            "$($label.Level) $($label.Fallback)" | Should -Be '4 safe-part'
            "$($billing.Level) $($billing.Fallback)" | Should -Be '2 bounce'
            "$($billingLabel.Level) $($billingLabel.Fallback)" | Should -Be '4 safe-part'
            # The broad rule (1, bounce) and the finance rule (2, safe-part) match: the higher level wins, with its fallback.
            "$($finance.Level) $($finance.Fallback)" | Should -Be '2 safe-part'
            $internal.Level | Should -Be 0
            "$($otherSender.Level) $($otherSender.Fallback)" | Should -Be '1 bounce'
        }

        It 'never lowers an application''s own stronger header: <field>' -TestCases @(
            @{ field = 'Link-Security: level=4'; headers = @(, @('Link-Security', 'level=4')); level = 4; fallback = 'bounce' }
            @{ field = 'Link-Security: LEVEL = 3 ; FALLBACK = safe-part ;'; headers = @(, @('Link-Security', 'LEVEL = 3 ; FALLBACK = safe-part ;')); level = 3; fallback = 'safe-part' }
            @{ field = 'Link-Security: fallback=bounce; level=2'; headers = @(, @('Link-Security', 'fallback=bounce; level=2')); level = 2; fallback = 'bounce' }
            # A separate field: the agent merges the two dimension by dimension.
            @{ field = 'X-Link-Security: level=4; fallback=safe-part'; headers = @(, @('X-Link-Security', 'level=4; fallback=safe-part')); level = 4; fallback = 'bounce' }
            @{ field = 'Link-Security: level=1'; headers = @(, @('Link-Security', 'level=1')); level = 2; fallback = 'bounce' }
            @{ field = 'Link-Security: level=2; fallback=safe-part'; headers = @(, @('Link-Security', 'level=2; fallback=safe-part')); level = 2; fallback = 'bounce' }
            @{ field = 'Link-Security: level=0'; headers = @(, @('Link-Security', 'level=0')); level = 2; fallback = 'bounce' }
            @{ field = 'Link-Security: level=4; level=4'; headers = @(, @('Link-Security', 'level=4; level=4')); level = 2; fallback = 'bounce' }
        ) {
            Invoke-Rule @{ Name = 'LS billing'; Level = 2; ExternalRecipientsOnly = $true } 6>$null | Out-Null
            $request = Get-Request (New-LsTestMessage -Headers $headers)
            "$($request.Level) $($request.Fallback)" | Should -Be "$level $fallback"
        }

        It 'every rule level and fallback against every well-formed existing request: the result is the stricter of the two' {
            $values = [System.Collections.Generic.List[string]]::new()
            $values.Add('')
            foreach ($l in 0..4) {
                $values.Add("level=$l")
                foreach ($f in @('bounce', 'safe-part')) { $values.Add("level=$l; fallback=$f"); $values.Add(" fallback = $f ; level = $l ; ") }
            }
            $checked = 0
            foreach ($ruleLevel in 1..4) {
                foreach ($ruleFallback in @('bounce', 'safe-part')) {
                    Reset-LsFake
                    Install-LsExchangeStandIns
                    Install-LsRuleStandIns
                    Invoke-Rule @{ Name = 'LS r'; Level = $ruleLevel; Fallback = $ruleFallback; AllMessages = $true } 6>$null | Out-Null
                    foreach ($value in $values) {
                        $headers = @()
                        if ($value -ne '') { $headers = @(, @('Link-Security', $value)) }
                        $before = ConvertFrom-LsRequestHeader -Headers @($headers | ForEach-Object { [pscustomobject]@{ Name = $_[0]; Value = $_[1] } })
                        $after = Get-Request (New-LsTestMessage -Headers $headers)
                        $expected = [Math]::Max((Get-Strictness $before.Level $before.Fallback), (Get-Strictness $ruleLevel $ruleFallback))
                        "[$value] rule $ruleLevel $ruleFallback -> $(Get-Strictness $after.Level $after.Fallback)" | Should -Be "[$value] rule $ruleLevel $ruleFallback -> $expected"
                        $checked++
                    }
                }
            }
            $checked | Should -Be (8 * 26)
        }

        It 'an Audit rule stamps nothing' {
            Invoke-Rule @{ Name = 'LS audit'; ExternalRecipientsOnly = $true; Mode = 'Audit' } 6>$null | Out-Null
            (Get-Request (New-LsTestMessage)).Level | Should -Be 0
        }
    }

    Context 'inbound strip rules' {
        It 'creates one rule per header at priorities 0 to 3, keyed on AuthAs, and changes nothing on a second run' {
            $rules = @(Invoke-Rule @{ InboundStripRules = $true } 6>$null)
            $rules.Count | Should -Be 4
            @($global:LsFake.Rules | Sort-Object Priority | ForEach-Object { $_.RemoveHeader }) | Should -Be @('Link-Security', 'X-Link-Security', 'Require-TLS-ESMTP', 'TLS-Required')
            foreach ($rule in $global:LsFake.Rules) {
                $rule.ExceptIfHeaderMatchesMessageHeader | Should -Be 'X-MS-Exchange-Organization-AuthAs'
                @($rule.ExceptIfHeaderMatchesPatterns) | Should -Be @('^\s*Internal\s*$')
                $rule.SentToScope | Should -BeNullOrEmpty
            }
            (Get-Rule 'LinkSecure: strip TLS-Required from mail not submitted inside the organization').HeaderMatchesMessageHeader | Should -BeNullOrEmpty
            (Get-Rule 'LinkSecure: strip Link-Security from mail not submitted inside the organization').HeaderMatchesMessageHeader | Should -Be 'X-MS-Exchange-Organization-AuthAs'

            $global:LsFake.Calls.Clear()
            Invoke-Rule @{ InboundStripRules = $true } 6>$null | Out-Null
            @(Get-LsCall 'New-TransportRule', 'Set-TransportRule').Count | Should -Be 0
            @($script:LastInfo | Where-Object { $_ -like 'No changes:*' }).Count | Should -Be 4
        }

        It 'refuses to turn a strip rule into a stamping rule' {
            Invoke-Rule @{ InboundStripRules = $true } 6>$null | Out-Null
            { Invoke-Rule @{ Name = 'LinkSecure: strip TLS-Required from mail not submitted inside the organization'; AllMessages = $true } 6>$null } | Should -Throw '*is one of the strip rules*'
        }

        It 'an Internet sender spoofing an internal address loses every request and waiver; the organization''s own rule still stamps' {
            Invoke-Rule @{ Name = 'LS broad'; ExternalRecipientsOnly = $true } 6>$null | Out-Null
            Invoke-Rule @{ InboundStripRules = $true } 6>$null | Out-Null
            $message = New-LsTestMessage -From 'alice@contoso.example' -Headers @(
                @('X-MS-Exchange-Organization-AuthAs', 'Anonymous'), @('Link-Security', 'level=4'), @('X-Link-Security', 'level=4'),
                @('Require-TLS-ESMTP', 'yes'), @('TLS-Required', 'No'))
            $request = Get-Request $message
            "$($request.Level) $($request.Fallback) $($request.Waived)" | Should -Be '1 bounce False'
            @($message.Headers | ForEach-Object { $_.Name }) | Should -Be @('X-MS-Exchange-Organization-AuthAs', 'Link-Security')
        }

        It 'keeps an internal sender''s request and waiver' {
            Invoke-Rule @{ InboundStripRules = $true } 6>$null | Out-Null
            $waiver = Get-Request (New-LsTestMessage -Headers @(@('X-MS-Exchange-Organization-AuthAs', 'Internal'), @('TLS-Required', 'No')))
            $waiver.Waived | Should -BeTrue
            $request = Get-Request (New-LsTestMessage -Headers @(@('X-MS-Exchange-Organization-AuthAs', 'Internal'), @('X-Link-Security', 'level=3')))
            $request.Level | Should -Be 3
        }

        It 'on mail of unknown origin keeps a request and removes the waiver, like the agent' {
            Invoke-Rule @{ InboundStripRules = $true } 6>$null | Out-Null
            $message = New-LsTestMessage -Headers @(@('Link-Security', 'level=2'), @('TLS-Required', 'No'))
            $request = Get-Request $message
            $request.Level | Should -Be 2
            @($message.Headers | ForEach-Object { $_.Name }) | Should -Be @('Link-Security')
        }
    }
}
