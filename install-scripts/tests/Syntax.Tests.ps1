# Static checks of the shipped scripts: they must parse, run on Windows PowerShell 5.1
# (the Exchange Management Shell), and follow the rules every script shares.

BeforeDiscovery {
    $root = Split-Path -Parent $PSScriptRoot
    $script:ShippedFiles = @(Get-ChildItem -LiteralPath $root -File | Where-Object { $_.Extension -in '.ps1', '.psm1' } | ForEach-Object {
            @{ Name = $_.Name; Path = $_.FullName; IsScript = ($_.Extension -eq '.ps1') }
        })
    $script:ShippedScripts = @($script:ShippedFiles | Where-Object { $_.IsScript })
}

BeforeAll {
    $script:Root = Split-Path -Parent $PSScriptRoot

    # Windows-only commands: allowed only inside the module's platform functions.
    $script:WindowsOnlyCommands = @(
        'Add-PSSnapin', 'Get-Service', 'Stop-Service', 'Start-Service', 'Restart-Service',
        'New-EventLog', 'Remove-EventLog', 'Get-EventLog', 'Get-WinEvent', 'Write-EventLog',
        'Get-Acl', 'Set-Acl', 'Start-Transcript', 'Stop-Transcript'
    )
    # The platform functions (the seam the tests replace).
    $script:PlatformFunctions = @(
        'Add-LsExchangeSnapin', 'Test-LsAdministrator', 'Get-LsComputerName', 'Get-LsDotNetFrameworkRelease',
        'Test-LsEventLogSource', 'New-LsEventLogSource', 'Remove-LsEventLogSource', 'Get-LsRecentEventLogError',
        'Get-LsServiceStatus', 'Stop-LsService', 'Start-LsService', 'Restart-LsService',
        'Test-LsFolderWriteAccess', 'Grant-LsFolderWriteAccess', 'Start-LsTranscript', 'Stop-LsTranscript',
        'Get-LsFolderSecurity', 'Set-LsFolderSecurity', 'Test-LsInstallFolderLocked', 'Set-LsInstallFolderLocked',
        'Invoke-LsCli', 'Get-LsAgentEvent', 'Wait-LsInterval'
    )

    function Get-ParsedFile {
        param([string]$Path)
        $tokens = $null
        $errors = $null
        $ast = [System.Management.Automation.Language.Parser]::ParseFile($Path, [ref]$tokens, [ref]$errors)
        [pscustomobject]@{ Ast = $ast; Tokens = $tokens; Errors = $errors }
    }

    function Find-PS51Incompatibility {
        # Constructs that Windows PowerShell 5.1 cannot parse or run. Returns messages.
        param([System.Management.Automation.Language.Ast]$Ast)
        $found = [System.Collections.Generic.List[string]]::new()
        $all = $Ast.FindAll({ $true }, $true)
        foreach ($node in $all) {
            $line = $node.Extent.StartLineNumber
            $typeName = $node.GetType().Name
            switch ($typeName) {
                'TernaryExpressionAst' { $found.Add("line ${line}: ternary operator ?: (PowerShell 7)") }
                'PipelineChainAst' { $found.Add("line ${line}: pipeline chain && or || (PowerShell 7)") }
                'BinaryExpressionAst' {
                    if ($node.Operator -eq 'QuestionQuestion') { $found.Add("line ${line}: null-coalescing ?? (PowerShell 7)") }
                }
                'AssignmentStatementAst' {
                    if ($node.Operator -eq 'QuestionQuestionEquals') { $found.Add("line ${line}: ??= (PowerShell 7)") }
                }
                'MemberExpressionAst' {
                    if ($node.PSObject.Properties['NullConditional'] -and $node.NullConditional) { $found.Add("line ${line}: null-conditional ?. (PowerShell 7)") }
                }
                'InvokeMemberExpressionAst' {
                    if ($node.PSObject.Properties['NullConditional'] -and $node.NullConditional) { $found.Add("line ${line}: null-conditional ?. (PowerShell 7)") }
                }
                'IndexExpressionAst' {
                    if ($node.PSObject.Properties['NullConditional'] -and $node.NullConditional) { $found.Add("line ${line}: null-conditional ?[] (PowerShell 7)") }
                }
                'PipelineAst' {
                    if ($node.PSObject.Properties['Background'] -and $node.Background) { $found.Add("line ${line}: background operator & (PowerShell 6)") }
                }
                'ScriptBlockAst' {
                    if ($node.PSObject.Properties['CleanBlock'] -and $null -ne $node.CleanBlock) { $found.Add("line ${line}: clean block (PowerShell 7.3)") }
                }
                'VariableExpressionAst' {
                    $name = $node.VariablePath.UserPath
                    if (@('IsWindows', 'IsLinux', 'IsMacOS', 'IsCoreCLR', 'PSStyle') -contains $name) { $found.Add("line ${line}: `$$name does not exist in Windows PowerShell 5.1") }
                }
                'CommandAst' {
                    $command = $node.GetCommandName()
                    $parameters = @($node.CommandElements | Where-Object { $_ -is [System.Management.Automation.Language.CommandParameterAst] } | ForEach-Object { $_.ParameterName })
                    if (@('ForEach-Object', '%', 'foreach') -contains $command -and ($parameters | Where-Object { 'Parallel' -like "$_*" -and $_.Length -ge 2 })) { $found.Add("line ${line}: ForEach-Object -Parallel (PowerShell 7)") }
                    if ($command -eq 'ConvertFrom-Json' -and ($parameters -contains 'AsHashtable' -or $parameters -contains 'Depth' -or $parameters -contains 'NoEnumerate')) { $found.Add("line ${line}: ConvertFrom-Json -AsHashtable/-Depth/-NoEnumerate (PowerShell 6+)") }
                    if ($command -eq 'Join-Path' -and ($parameters -contains 'AdditionalChildPath' -or @($node.CommandElements).Count -gt 3)) { $found.Add("line ${line}: Join-Path with more than one child path (PowerShell 6+)") }
                    if ($parameters -contains 'AsByteStream') { $found.Add("line ${line}: -AsByteStream (PowerShell 6+)") }
                    if (@('Test-Json', 'Get-Error', 'Start-ThreadJob', 'ConvertFrom-Markdown', 'Get-Uptime', 'Join-String') -contains $command) { $found.Add("line ${line}: $command does not exist in Windows PowerShell 5.1") }
                    $encoding = $node.CommandElements | Where-Object { $_ -is [System.Management.Automation.Language.StringConstantExpressionAst] -and @('utf8NoBOM', 'utf8BOM') -contains $_.Value }
                    if ($encoding) { $found.Add("line ${line}: encoding name utf8NoBOM/utf8BOM (PowerShell 6+)") }
                }
            }
        }
        $found.ToArray()
    }

    function Test-SourceText {
        # Parses text and returns the incompatibilities (used to test the checker itself).
        param([string]$Text)
        $tokens = $null
        $errors = $null
        $ast = [System.Management.Automation.Language.Parser]::ParseInput($Text, [ref]$tokens, [ref]$errors)
        @(Find-PS51Incompatibility -Ast $ast)
    }
}

Describe 'The Windows PowerShell 5.1 checker itself' {
    It 'flags <Construct>' -ForEach @(
        @{ Construct = 'a ternary'; Text = '$a = $true ? 1 : 2' }
        @{ Construct = 'null-coalescing'; Text = '$a = $b ?? 1' }
        @{ Construct = 'null-coalescing assignment'; Text = '$a ??= 1' }
        @{ Construct = 'a pipeline chain'; Text = 'Get-Item x && Get-Item y' }
        @{ Construct = 'a pipeline chain with ||'; Text = 'Get-Item x || Get-Item y' }
        @{ Construct = 'a clean block'; Text = 'function f { process { 1 } clean { 2 } }' }
        @{ Construct = 'ForEach-Object -Parallel'; Text = '1..3 | ForEach-Object -Parallel { $_ }' }
        @{ Construct = 'null-conditional member access'; Text = '${a}?.Length' }
        @{ Construct = 'null-conditional index'; Text = '${a}?[0]' }
        @{ Construct = 'the background operator'; Text = 'Get-Process &' }
        @{ Construct = '$IsWindows'; Text = 'if ($IsWindows) { 1 }' }
        @{ Construct = 'ConvertFrom-Json -AsHashtable'; Text = '$x | ConvertFrom-Json -AsHashtable' }
        @{ Construct = 'Join-Path with three parts'; Text = 'Join-Path a b c' }
        @{ Construct = 'utf8NoBOM'; Text = 'Set-Content x -Encoding utf8NoBOM' }
    ) {
        @(Test-SourceText $Text).Count | Should -BeGreaterThan 0
    }

    It 'accepts Windows PowerShell 5.1 code' {
        Test-SourceText '$l = [System.Collections.Generic.List[object]]::new(); if ($a) { $b } else { $c }; Join-Path a b; 1..3 | ForEach-Object { $_ }; $x = @{ a = 1 }; $x.a' | Should -BeNullOrEmpty
    }
}

Describe 'Shipped file <Name>' -ForEach $script:ShippedFiles {
    BeforeAll {
        $script:Parsed = Get-ParsedFile -Path $Path
        $script:Text = [System.IO.File]::ReadAllText($Path)
    }

    It 'parses without errors' {
        @($script:Parsed.Errors | ForEach-Object { "line $($_.Extent.StartLineNumber): $($_.Message)" }) | Should -BeNullOrEmpty
    }

    It 'uses no construct that Windows PowerShell 5.1 cannot run' {
        @(Find-PS51Incompatibility -Ast $script:Parsed.Ast) | Should -BeNullOrEmpty
    }

    It 'is plain ASCII (Windows PowerShell 5.1 reads files without a BOM as ANSI)' {
        $bytes = [System.IO.File]::ReadAllBytes($Path)
        $offenders = @()
        for ($i = 0; $i -lt $bytes.Length; $i++) { if ($bytes[$i] -gt 127) { $offenders += $i } }
        $offenders | Should -BeNullOrEmpty
    }

    It 'requires PowerShell 5.1 and turns on strict mode' {
        $script:Text | Should -Match '(?m)^#Requires -Version 5\.1\s*$'
        $script:Text | Should -Match '(?m)^Set-StrictMode -Version Latest\s*$'
    }

    It 'calls Windows-only commands only inside the module''s platform functions' {
        $offenders = [System.Collections.Generic.List[string]]::new()
        $commands = $script:Parsed.Ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.CommandAst] }, $true)
        foreach ($command in $commands) {
            $name = $command.GetCommandName()
            if ($script:WindowsOnlyCommands -notcontains $name) { continue }
            $parent = $command.Parent
            $function = $null
            while ($null -ne $parent) {
                if ($parent -is [System.Management.Automation.Language.FunctionDefinitionAst]) { $function = $parent.Name; break }
                $parent = $parent.Parent
            }
            if ($null -eq $function -or $script:PlatformFunctions -notcontains $function) {
                $offenders.Add("line $($command.Extent.StartLineNumber): $name")
            }
        }
        $offenders | Should -BeNullOrEmpty
    }
}

Describe 'The shared module LinkSecure.Install.psm1' {
    It 'does not call its platform functions itself (the tests could not replace them)' {
        $parsed = Get-ParsedFile -Path (Join-Path $script:Root 'LinkSecure.Install.psm1')
        $offenders = $parsed.Ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.CommandAst] }, $true) |
            Where-Object { $script:PlatformFunctions -contains $_.GetCommandName() } |
            ForEach-Object { "line $($_.Extent.StartLineNumber): $($_.GetCommandName())" }
        @($offenders) | Should -BeNullOrEmpty
    }

    It 'exports every platform function' {
        $module = Import-Module (Join-Path $script:Root 'LinkSecure.Install.psm1') -Force -PassThru
        foreach ($name in $script:PlatformFunctions) { $module.ExportedFunctions.Keys | Should -Contain $name }
    }
}

Describe 'Script <Name>' -ForEach $script:ShippedScripts {
    BeforeAll {
        $script:Parsed = Get-ParsedFile -Path $Path
    }

    It 'declares [CmdletBinding(SupportsShouldProcess)]' {
        $attribute = $script:Parsed.Ast.ParamBlock.Attributes | Where-Object { $_.TypeName.Name -eq 'CmdletBinding' }
        $attribute | Should -Not -BeNullOrEmpty
        $supports = $attribute.NamedArguments | Where-Object { $_.ArgumentName -eq 'SupportsShouldProcess' }
        $supports | Should -Not -BeNullOrEmpty
        if (-not $supports.ExpressionOmitted) { $supports.Argument.Extent.Text | Should -Be '$true' }
    }

    It 'has comment-based help with a synopsis, a description, examples and every parameter' {
        $help = Get-Help -Name $Path -Full
        $help.Synopsis | Should -Not -BeLike "$Name*" -Because 'without help, Get-Help shows the syntax as the synopsis'
        $help.Synopsis | Should -Not -BeNullOrEmpty
        ($help.description | Out-String).Trim() | Should -Not -BeNullOrEmpty
        @($help.examples.example).Count | Should -BeGreaterThan 0
        foreach ($parameter in $script:Parsed.Ast.ParamBlock.Parameters) {
            $parameterName = $parameter.Name.VariablePath.UserPath
            $entry = @($help.parameters.parameter) | Where-Object { $_.name -eq $parameterName }
            ($entry.description | Out-String).Trim() | Should -Not -BeNullOrEmpty -Because "-$parameterName is documented"
        }
    }

    It 'imports the shared module from its own folder' {
        [System.IO.File]::ReadAllText($Path) | Should -Match ([regex]::Escape("Import-Module (Join-Path `$PSScriptRoot 'LinkSecure.Install.psm1')"))
    }
}
