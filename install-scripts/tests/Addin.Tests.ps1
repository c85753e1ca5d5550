# Tests of Install-LinkSecureAddin.ps1, Uninstall-LinkSecureAddin.ps1 and LinkSecure.Addin.psm1
# against the stand-ins in AddinStandIns.ps1 (and real HTTPS servers on 127.0.0.1 for the download).

BeforeDiscovery {
    # The add-in's own manifest (src/LinkSecure.Addin/web/manifest.xml, from the add-in branch).
    $script:ProductManifest = Join-Path (Split-Path -Parent (Split-Path -Parent $PSScriptRoot)) 'src/LinkSecure.Addin/web/manifest.xml'
    $script:HasProductManifest = Test-Path -LiteralPath $script:ProductManifest -PathType Leaf
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'StandIns.ps1')
    . (Join-Path $PSScriptRoot 'AddinStandIns.ps1')
    Import-Module (Get-LsScriptPath 'LinkSecure.Install.psm1') -Force
    Import-Module (Get-LsScriptPath 'LinkSecure.Addin.psm1') -Force
    $script:InstallScript = Get-LsScriptPath 'Install-LinkSecureAddin.ps1'
    $script:UninstallScript = Get-LsScriptPath 'Uninstall-LinkSecureAddin.ps1'
    $script:ServedUrl = 'https://linksecure.contoso.test/addin/manifest.xml'

    function Invoke-AddinScript {
        param([string]$Script, [hashtable]$Arguments)
        $all = @{ Confirm = $false }
        foreach ($key in $Arguments.Keys) { $all[$key] = $Arguments[$key] }
        & $Script @all -InformationVariable info 6>$null 3>$null
        $script:LastInfo = @($info | ForEach-Object { [string]$_.MessageData })
    }

    function Invoke-Install {
        param([hashtable]$Extra = @{})
        $arguments = @{ ManifestPath = $script:ManifestPath }
        foreach ($key in $Extra.Keys) { $arguments[$key] = $Extra[$key] }
        if ($arguments.ContainsKey('ManifestUrl')) { $arguments.Remove('ManifestPath') }
        Invoke-AddinScript -Script $script:InstallScript -Arguments $arguments
    }

    function Invoke-Uninstall {
        param([hashtable]$Arguments = @{ ManifestPath = $script:ManifestPath })
        Invoke-AddinScript -Script $script:UninstallScript -Arguments $Arguments
    }

    function Set-Manifest {
        # Rewrites the test manifest file (and what the fake server serves at ServedUrl).
        param([hashtable]$Properties = @{})
        $text = New-LsAddinManifest @Properties
        Set-Content -LiteralPath $script:ManifestPath -Value $text -NoNewline
        $global:LsFake.Addin.Served[$script:ServedUrl] = $text
        $text
    }

    function Initialize-AddinTest {
        # A fresh fake organisation with the Exchange and App stand-ins, and a manifest file.
        Reset-LsFake
        Reset-LsAddinFake
        Install-LsExchangeStandIns
        Install-LsAddinStandIns
        $script:Root = New-LsTestRoot
        $script:ManifestPath = Join-Path $script:Root 'manifest.xml'
        Set-Manifest | Out-Null
    }

    function Clear-AddinTest {
        Remove-Item -LiteralPath $script:Root -Recurse -Force -ErrorAction SilentlyContinue
        foreach ($path in @($global:LsFake.Transcripts)) { Remove-Item -LiteralPath $path -ErrorAction SilentlyContinue }
    }

    function Get-AppCall {
        @(Get-LsMutatingCall | Where-Object { $_.Name -match '-App$' })
    }
}

AfterAll {
    # The stand-ins are global functions: take them away for the test files that run next.
    Remove-LsAddinStandIns
    Remove-LsExchangeStandIns
    Remove-Variable -Name LsAddinDirectory -Scope Global -ErrorAction SilentlyContinue
}

Describe 'Read-LsAddinManifest' {
    It 'reads the Id, Version, requirement set and permissions of a product manifest' {
        $info = Read-LsAddinManifest -Bytes (ConvertTo-LsAddinBytes (New-LsAddinManifest -Version '1.2.3.4')) -Source 'test'
        $info.Problems | Should -BeNullOrEmpty
        $info.Id | Should -Be $global:LsAddinId
        $info.Version | Should -Be '1.2.3.4'
        $info.MailboxMinVersion | Should -Be '1.1'
        $info.Permissions | Should -Be 'ReadWriteItem'
        $info.NeedsReadWriteMailbox | Should -BeFalse
        $info.SourceLocations | Should -Be @('https://linksecure.contoso.test/addin/taskpane.html')
    }

    It 'accepts Mailbox 1.5, the highest set on-premises Exchange accepts' {
        (Read-LsAddinManifest -Bytes (ConvertTo-LsAddinBytes (New-LsAddinManifest -MinVersion '1.5')) -Source 'test').Problems | Should -BeNullOrEmpty
    }

    It 'reports <Case>' -ForEach @(
        @{ Case = 'Mailbox 1.6'; Properties = @{ MinVersion = '1.6' }; Expected = '*requires Mailbox 1.6*at most 1.5*' }
        @{ Case = 'Mailbox 1.10 (not 1.1)'; Properties = @{ MinVersion = '1.10' }; Expected = '*requires Mailbox 1.10*' }
        @{ Case = 'an Id that is not a GUID'; Properties = @{ Id = 'linksecure' }; Expected = "*<Id> 'linksecure' is not a GUID*" }
        @{ Case = 'a Version of five parts'; Properties = @{ Version = '1.0.0.0.1' }; Expected = "*<Version> '1.0.0.0.1'*" }
        @{ Case = 'an http SourceLocation'; Properties = @{ SourceLocation = 'http://linksecure.contoso.test/addin/taskpane.html' }; Expected = "*'http://linksecure.contoso.test/addin/taskpane.html' is not HTTPS*" }
        @{ Case = 'http resources'; Properties = @{ Origin = 'http://linksecure.contoso.test' }; Expected = "*'http://linksecure.contoso.test/addin/icon-64.png' is not HTTPS*" }
        @{ Case = 'http resources in VersionOverrides'; Properties = @{ ResourceOrigin = 'http://linksecure.contoso.test' }; Expected = "*'http://linksecure.contoso.test/addin/launchevent.js' is not HTTPS*" }
        @{ Case = 'a relative SourceLocation'; Properties = @{ SourceLocation = '/addin/taskpane.html' }; Expected = "*'/addin/taskpane.html' is not an absolute URL*" }
        @{ Case = 'an unknown permission'; Properties = @{ Permissions = 'Everything' }; Expected = "*<Permissions> 'Everything'*" }
    ) {
        $info = Read-LsAddinManifest -Bytes (ConvertTo-LsAddinBytes (New-LsAddinManifest @Properties)) -Source 'test'
        ($info.Problems -join "`n") | Should -BeLike $Expected
    }

    It 'refuses URLs on a loopback address (the default --public-url of a test run)' {
        $info = Read-LsAddinManifest -Bytes (ConvertTo-LsAddinBytes (New-LsAddinManifest -Origin 'https://127.0.0.1:8443')) -Source 'test'
        ($info.Problems -join "`n") | Should -BeLike "*'https://127.0.0.1:8443/addin/taskpane.html' is on a loopback address*--public-url*"
    }

    It 'wants every URL on the origin the manifest came from, when that is given' {
        $bytes = ConvertTo-LsAddinBytes (New-LsAddinManifest -Origin 'https://linksecure.contoso.test:8443')
        (Read-LsAddinManifest -Bytes $bytes -Source 'test' -ExpectedOrigin 'https://linksecure.contoso.test:8443').Problems | Should -BeNullOrEmpty
        $problems = (Read-LsAddinManifest -Bytes $bytes -Source 'test' -ExpectedOrigin 'https://linksecure.contoso.test').Problems -join "`n"
        $problems | Should -BeLike "*'https://linksecure.contoso.test:8443/addin/taskpane.html' is not on https://linksecure.contoso.test, where the manifest was downloaded from*--public-url https://linksecure.contoso.test*"
    }

    It 'reports every problem at once' {
        $info = Read-LsAddinManifest -Bytes (ConvertTo-LsAddinBytes (New-LsAddinManifest -Id 'x' -Version 'one' -MinVersion '1.8' -SourceLocation 'http://a.test/')) -Source 'test'
        @($info.Problems).Count | Should -BeGreaterOrEqual 4
    }

    It 'reports XML that is not well-formed' {
        $info = Read-LsAddinManifest -Bytes (ConvertTo-LsAddinBytes '<OfficeApp><Id>') -Source 'test'
        $info.Problems[0] | Should -BeLike 'The manifest is not well-formed XML:*'
    }

    It 'refuses a DTD (no entity expansion, nothing fetched)' {
        $text = '<?xml version="1.0"?><!DOCTYPE OfficeApp [<!ENTITY x SYSTEM "file:///etc/passwd">]><OfficeApp xmlns="http://schemas.microsoft.com/office/appforoffice/1.1">&x;</OfficeApp>'
        $info = Read-LsAddinManifest -Bytes (ConvertTo-LsAddinBytes $text) -Source 'test'
        $info.Problems[0] | Should -BeLike 'The manifest is not well-formed XML:*DTD*'
    }

    It 'reports an empty file and a unified JSON manifest' {
        (Read-LsAddinManifest -Bytes ([byte[]]@()) -Source 'test').Problems | Should -Be @('The manifest is empty.')
        (Read-LsAddinManifest -Bytes (ConvertTo-LsAddinBytes '{"$schema":"https://developer.microsoft.com/json-schemas/teams/v1.17/MicrosoftTeams.schema.json"}') -Source 'test').Problems[0] | Should -BeLike '*not well-formed XML*'
        (Read-LsAddinManifest -Bytes (ConvertTo-LsAddinBytes '<Manifest xmlns="urn:other"/>') -Source 'test').Problems[0] | Should -BeLike '*root element is <Manifest>*unified JSON manifest*'
    }

    It 'sees ReadWriteMailbox and LaunchEvent' {
        $info = Read-LsAddinManifest -Bytes (ConvertTo-LsAddinBytes (New-LsAddinManifest -Permissions 'ReadWriteMailbox')) -Source 'test'
        $info.NeedsReadWriteMailbox | Should -BeTrue
        $info.HasLaunchEvent | Should -BeTrue
    }

    It 'says that the source tree''s template is not the served manifest' {
        $info = Read-LsAddinManifest -Bytes (ConvertTo-LsAddinBytes (New-LsAddinManifest -Origin '__LINKSECURE_BASE_URL__')) -Source 'test'
        $info.Problems | Should -Be @('The manifest still contains __LINKSECURE_BASE_URL__: it is the template from the source tree. Use -ManifestUrl https://<name>/addin/manifest.xml, or save that served manifest and pass it with -ManifestPath.')
    }
}

Describe 'Resolve-LsAddinUser and Compare-LsAddinApp' {
    BeforeEach {
        Reset-LsFake
        Reset-LsAddinFake
        Install-LsAddinStandIns
    }

    It 'expands nested groups once each and keeps users only' {
        $users = @(Resolve-LsAddinUser -Groups @('Pilot') 3>$null)
        @($users.UserListValue) | Should -Be @('alice@contoso.test', 'bob@contoso.test', 'carol@contoso.test')
        @($users.Via | Sort-Object -Unique) | Should -Be @('Pilot')
    }

    It 'takes the union of users and groups without duplicates' {
        $users = @(Resolve-LsAddinUser -Users @('bob@contoso.test', 'Frank') -Groups @('Finance'))
        @($users.UserListValue) | Should -Be @('bob@contoso.test', 'frank@contoso.test', 'dave@contoso.test')
    }

    It 'compares user lists by recipient, not by how Get-App spells them' {
        $users = @(Resolve-LsAddinUser -Users @('alice@contoso.test', 'bob'))
        $existing = [pscustomobject]@{ DefaultStateForUser = 'Enabled'; Enabled = $true; ProvidedTo = 'SpecificUsers'; UserList = @('contoso.test/Users/Bob', 'contoso.test/Users/Alice') }
        $desired = [pscustomobject]@{ DefaultStateForUser = 'Enabled'; Enabled = $true; ProvidedTo = 'SpecificUsers'; UserList = @($users.UserListValue); UserKeys = @($users.Key) }
        $keys = @(Resolve-LsAddinUserListKey -UserList $existing.UserList)
        (Compare-LsAddinApp -Existing $existing -Desired $desired -InstalledUserKeys $keys).Differences | Should -BeNullOrEmpty
    }

    It 'counts a user list entry that no longer resolves as a difference' {
        $users = @(Resolve-LsAddinUser -Users @('alice@contoso.test'))
        $existing = [pscustomobject]@{ DefaultStateForUser = 'Enabled'; Enabled = $true; ProvidedTo = 'SpecificUsers'; UserList = @('contoso.test/Users/Alice', 'contoso.test/Users/Gone') }
        $desired = [pscustomobject]@{ DefaultStateForUser = 'Enabled'; Enabled = $true; ProvidedTo = 'SpecificUsers'; UserList = @($users.UserListValue); UserKeys = @($users.Key) }
        $comparison = Compare-LsAddinApp -Existing $existing -Desired $desired -InstalledUserKeys @(Resolve-LsAddinUserListKey -UserList $existing.UserList)
        $comparison.Differences | Should -Be @('UserList')
        $comparison.Parameters['ProvidedTo'] | Should -Be 'SpecificUsers'
        $comparison.Parameters['UserList'] | Should -Be @('alice@contoso.test')
    }
}

Describe 'The App stand-ins enforce what Exchange enforces' {
    BeforeEach {
        Reset-LsFake
        Reset-LsAddinFake
        Install-LsAddinStandIns
        $script:Bytes = ConvertTo-LsAddinBytes (New-LsAddinManifest)
    }

    It 'New-App takes -Url or -FileData, not both' {
        { New-App -OrganizationApp -FileData $script:Bytes -Url 'https://a.test/m.xml' } | Should -Throw -ErrorId 'AmbiguousParameterSet*'
    }

    It 'New-App refuses <Case>' -ForEach @(
        @{ Case = '-ProvidedTo SpecificUsers without -UserList'; Extra = @{ OrganizationApp = $true; ProvidedTo = 'SpecificUsers' }; Expected = '*requires UserList*' }
        @{ Case = '-DefaultStateForUser without -OrganizationApp'; Extra = @{ DefaultStateForUser = 'Enabled' }; Expected = '*OrganizationApp*' }
        @{ Case = 'a group in -UserList'; Extra = @{ OrganizationApp = $true; ProvidedTo = 'SpecificUsers'; UserList = @('pilot@contoso.test') }; Expected = "*isn't a mailbox or mail user*" }
    ) {
        { New-App -FileData $script:Bytes @Extra } | Should -Throw $Expected
    }

    It 'New-App refuses an Id that is installed' {
        New-App -OrganizationApp -FileData $script:Bytes | Out-Null
        { New-App -OrganizationApp -FileData $script:Bytes } | Should -Throw '*already installed*'
    }

    It 'New-App refuses Mailbox 1.6 and ReadWriteMailbox without -AllowReadWriteMailbox' {
        { New-App -OrganizationApp -FileData (ConvertTo-LsAddinBytes (New-LsAddinManifest -MinVersion '1.6')) } | Should -Throw '*supports up to 1.5*'
        { New-App -OrganizationApp -FileData (ConvertTo-LsAddinBytes (New-LsAddinManifest -Permissions 'ReadWriteMailbox')) } | Should -Throw '*AllowReadWriteMailbox*'
    }

    It 'Get-DistributionGroupMember stops at 1000 members without -ResultSize Unlimited' {
        @(Get-DistributionGroupMember -Identity 'Everybody Large' 3>$null).Count | Should -Be 1000
        @(Get-DistributionGroupMember -Identity 'Everybody Large' -ResultSize Unlimited).Count | Should -Be 1001
    }

    It 'Remove-App needs -OrganizationApp and cannot remove a default app' {
        { Remove-App -Identity '0b3c5d7e-1111-4222-8333-944455556666' } | Should -Throw '*use -OrganizationApp*'
        { Remove-App -OrganizationApp -Identity '7a774f0c-7a6f-11e0-85ad-07fb4824019b' } | Should -Throw '*default app*'
    }
}

Describe 'Get-LsAddinManifestFromUrl against HTTPS servers on 127.0.0.1' {
    It 'refuses a URL that is not https:// without connecting' {
        { Get-LsAddinManifestFromUrl -Url 'http://127.0.0.1:1/addin/manifest.xml' } | Should -Throw '*is not an absolute https:// URL*'
    }

    It 'says a port nobody listens on cannot be reached' {
        $port = Get-LsClosedLoopbackPort
        { Get-LsAddinManifestFromUrl -Url "https://127.0.0.1:$port/addin/manifest.xml" -TimeoutSeconds 5 } | Should -Throw "*cannot be reached from this server*"
    }

    It 'refuses a certificate this machine does not trust' {
        $server = Start-LsTestHttpsServer -Certificate (New-LsTestCertificate) -Routes @{ '/addin/manifest.xml' = @{ Status = 200; Body = (New-LsAddinManifest) } }
        try {
            { Get-LsAddinManifestFromUrl -Url "$($server.BaseUrl)/addin/manifest.xml" -TimeoutSeconds 5 } | Should -Throw '*certificate*is not valid*'
        }
        finally { Stop-LsTestHttpsServer $server }
    }

    Context 'with the test certificates trusted (a child PowerShell with SSL_CERT_FILE)' {
        BeforeAll {
            $manifest = New-LsAddinManifest
            $routes = @{
                '/addin/manifest.xml' = @{ Status = 200; Body = $manifest }
                '/moved.xml'          = @{ Status = 302; Body = ''; Headers = @{ Location = '/addin/manifest.xml' } }
                '/big.xml'            = @{ Status = 200; Body = ('x' * 1048600) }
            }
            $good = New-LsTestCertificate
            $wrongName = New-LsTestCertificate -Names @('other.contoso.test')
            $expired = New-LsTestCertificate -NotBefore ([datetimeoffset]::UtcNow.AddDays(-10)) -NotAfter ([datetimeoffset]::UtcNow.AddDays(-1))
            $script:Servers = @{
                Good      = Start-LsTestHttpsServer -Certificate $good -Routes $routes
                WrongName = Start-LsTestHttpsServer -Certificate $wrongName -Routes $routes
                Expired   = Start-LsTestHttpsServer -Certificate $expired -Routes $routes
            }
            $script:Folder = New-LsTestRoot
            $bundle = Join-Path $script:Folder 'trusted.pem'
            Set-Content -LiteralPath $bundle -Value (ConvertTo-LsPem @($good, $wrongName, $expired)) -NoNewline
            $cases = [ordered]@{
                ok        = "$($script:Servers.Good.BaseUrl)/addin/manifest.xml"
                redirect  = "$($script:Servers.Good.BaseUrl)/moved.xml"
                missing   = "$($script:Servers.Good.BaseUrl)/nothing.xml"
                big       = "$($script:Servers.Good.BaseUrl)/big.xml"
                wrongName = "$($script:Servers.WrongName.BaseUrl)/addin/manifest.xml"
                expired   = "$($script:Servers.Expired.BaseUrl)/addin/manifest.xml"
            }
            $child = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$(Get-LsScriptPath 'LinkSecure.Addin.psm1')'
`$out = [ordered]@{}
$(($cases.Keys | ForEach-Object { "try { `$b = Get-LsAddinManifestFromUrl -Url '$($cases[$_])' -TimeoutSeconds 5; `$out['$_'] = 'OK ' + [System.Text.Encoding]::UTF8.GetString(`$b) } catch { `$out['$_'] = 'ERROR ' + `$_.Exception.Message }" }) -join "`n")
`$out | ConvertTo-Json -Compress
"@
            $scriptFile = Join-Path $script:Folder 'child.ps1'
            Set-Content -LiteralPath $scriptFile -Value $child
            # This PowerShell again: a dotnet tool runs as "dotnet pwsh.dll".
            $start = [System.Diagnostics.ProcessStartInfo]::new([System.Environment]::ProcessPath)
            if ([System.IO.Path]::GetFileNameWithoutExtension([System.Environment]::ProcessPath) -eq 'dotnet') { $start.ArgumentList.Add((Join-Path $PSHOME 'pwsh.dll')) }
            foreach ($a in @('-NoLogo', '-NoProfile', '-NonInteractive', '-File', $scriptFile)) { $start.ArgumentList.Add($a) }
            $start.Environment['SSL_CERT_FILE'] = $bundle
            $start.RedirectStandardOutput = $true
            $start.RedirectStandardError = $true
            $process = [System.Diagnostics.Process]::Start($start)
            $stdout = $process.StandardOutput.ReadToEndAsync()
            $stderr = $process.StandardError.ReadToEndAsync()
            if (-not $process.WaitForExit(60000)) { $process.Kill(); throw 'The child PowerShell did not finish within 60 seconds.' }
            $script:Child = $stdout.Result | ConvertFrom-Json
            if ($null -eq $script:Child) { throw "The child PowerShell printed nothing: $($stderr.Result)" }
        }

        AfterAll {
            foreach ($server in $script:Servers.Values) { Stop-LsTestHttpsServer $server }
            Remove-Item -LiteralPath $script:Folder -Recurse -Force -ErrorAction SilentlyContinue
        }

        It '<Case>' -ForEach @(
            @{ Case = 'downloads the manifest from a trusted server'; Key = 'ok'; Expected = 'OK <?xml*<Id>b1b1eaad-001b-4231-9c42-ded7742e8a16</Id>*' }
            @{ Case = 'refuses a redirect and names its target'; Key = 'redirect'; Expected = "ERROR*redirects (HTTP 302 to '/addin/manifest.xml')*do not follow redirects*" }
            @{ Case = 'reports a status other than 200'; Key = 'missing'; Expected = 'ERROR*answered HTTP 404*' }
            @{ Case = 'refuses a body larger than a manifest can be'; Key = 'big'; Expected = 'ERROR*1048600 bytes*' }
            @{ Case = 'refuses a trusted certificate for another name'; Key = 'wrongName'; Expected = 'ERROR*certificate*is not valid*' }
            @{ Case = 'refuses an expired certificate'; Key = 'expired'; Expected = 'ERROR*certificate*is not valid*' }
        ) {
            $script:Child.$Key | Should -BeLike $Expected
        }
    }
}

Describe 'Install-LinkSecureAddin.ps1' {
    BeforeAll {
        Register-LsWindowsStandIns
    }

    BeforeEach {
        Initialize-AddinTest
    }

    AfterEach {
        Clear-AddinTest
    }

    It 'installs the manifest file for everyone with New-App -OrganizationApp -FileData' {
        $result = Invoke-Install

        $calls = Get-AppCall
        @($calls.Name) | Should -Be @('New-App')
        $parameters = $calls[0].Parameters
        $parameters.OrganizationApp | Should -BeTrue
        [System.Text.Encoding]::UTF8.GetString($parameters.FileData) | Should -Be (Get-Content -LiteralPath $script:ManifestPath -Raw)
        $parameters.ContainsKey('Url') | Should -BeFalse
        $parameters.ProvidedTo | Should -Be 'Everyone'
        $parameters.ContainsKey('UserList') | Should -BeFalse
        $app = Get-LsAddinApp
        $app.AppVersion | Should -Be '1.0.0.0'
        $app.DefaultStateForUser | Should -Be 'Enabled'
        $app.Enabled | Should -BeTrue
        @($result | Where-Object Status -eq 'Changed').Count | Should -Be 1
        $global:LsFake.Transcripts[-1] | Should -BeLike ([System.IO.Path]::GetTempPath() + '*Install-LinkSecureAddin-*.log')
    }

    It 'installs the served manifest with New-App -Url after downloading and checking it' {
        Mock Get-LsAddinManifestFromUrl { Add-LsCall 'Get-LsAddinManifestFromUrl' @{ Url = $Url }; , (ConvertTo-LsAddinBytes $global:LsFake.Addin.Served[$Url]) }
        Invoke-Install @{ ManifestUrl = $script:ServedUrl } | Out-Null

        @(Get-LsCall 'Get-LsAddinManifestFromUrl').Count | Should -Be 1
        $parameters = (Get-AppCall)[0].Parameters
        [string]$parameters.Url | Should -Be $script:ServedUrl
        $parameters.ContainsKey('FileData') | Should -BeFalse
        (Get-LsAddinApp).AppVersion | Should -Be '1.0.0.0'
    }

    It 'changes nothing on a second run and says so (<Case>)' -ForEach @(
        @{ Case = 'everyone'; Extra = @{} }
        @{ Case = 'a nested group'; Extra = @{ Groups = @('Pilot'); DefaultState = 'AlwaysEnabled' } }
        @{ Case = 'users and a group'; Extra = @{ Users = @('frank@contoso.test', 'Bob'); Groups = @('Finance') } }
    ) {
        Invoke-Install $Extra 3>$null | Out-Null
        $global:LsFake.Calls.Clear()
        $result = Invoke-Install $Extra 3>$null
        @(Get-LsMutatingCall).Count | Should -Be 0
        @($result | Where-Object { $_.Status -ne 'Unchanged' }).Count | Should -Be 0
        $script:LastInfo | Should -Contain 'No changes: the ExchangeLinkSecure add-in is already installed as requested.'
        @($global:LsFake.Addin.Apps | Where-Object { $_.AppId -eq $global:LsAddinId }).Count | Should -Be 1
    }

    It 'provides the app to the users of a nested group, each once, without the contact' {
        Invoke-Install @{ Groups = @('Pilot') } 3>$null | Out-Null
        $parameters = (Get-AppCall)[0].Parameters
        $parameters.ProvidedTo | Should -Be 'SpecificUsers'
        @($parameters.UserList) | Should -Be @('alice@contoso.test', 'bob@contoso.test', 'carol@contoso.test')
        (Get-LsAddinApp).UserList | Should -Be @('contoso.test/Users/Alice', 'contoso.test/Users/Bob', 'contoso.test/Users/Carol')
    }

    It 'updates the audience in place with Set-App when the scope changes' {
        Invoke-Install @{ Users = @('alice@contoso.test') } | Out-Null
        $global:LsFake.Calls.Clear()
        Invoke-Install @{ Users = @('alice@contoso.test', 'dave@contoso.test') } | Out-Null
        $calls = Get-AppCall
        @($calls.Name) | Should -Be @('Set-App')
        $calls[0].Parameters.ProvidedTo | Should -Be 'SpecificUsers'
        @($calls[0].Parameters.UserList) | Should -Be @('alice@contoso.test', 'dave@contoso.test')

        $global:LsFake.Calls.Clear()
        Invoke-Install | Out-Null
        $calls = Get-AppCall
        @($calls.Name) | Should -Be @('Set-App')
        $calls[0].Parameters.ProvidedTo | Should -Be 'Everyone'
        $calls[0].Parameters.ContainsKey('UserList') | Should -BeFalse
        (Get-LsAddinApp).ProvidedTo | Should -Be 'Everyone'
    }

    It 'changes only the default state with Set-App, and re-enables a disabled app' {
        Invoke-Install | Out-Null
        (Get-LsAddinApp).Enabled = $false
        $global:LsFake.Calls.Clear()
        Invoke-Install @{ DefaultState = 'AlwaysEnabled' } | Out-Null
        $calls = Get-AppCall
        @($calls.Name) | Should -Be @('Set-App')
        @($calls[0].Parameters.Keys | Where-Object { $_ -notin 'Identity', 'OrganizationApp', 'Confirm' } | Sort-Object) | Should -Be @('DefaultStateForUser', 'Enabled')
        (Get-LsAddinApp).DefaultStateForUser | Should -Be 'AlwaysEnabled'
        (Get-LsAddinApp).Enabled | Should -BeTrue
    }

    It 're-imports a new Version (Remove-App, then New-App) and keeps the other apps' {
        Invoke-Install @{ Groups = @('Finance') } | Out-Null
        Set-Manifest @{ Version = '1.1.0.0' } | Out-Null
        $global:LsFake.Calls.Clear()
        $others = @($global:LsFake.Addin.Apps | Where-Object { $_.AppId -ne $global:LsAddinId } | ForEach-Object AppId)

        Invoke-Install @{ Groups = @('Finance') } | Out-Null

        @((Get-AppCall).Name) | Should -Be @('Remove-App', 'New-App')
        (Get-AppCall)[0].Parameters.Identity | Should -Be $global:LsAddinId
        (Get-LsAddinApp).AppVersion | Should -Be '1.1.0.0'
        (Get-LsAddinApp).ProvidedTo | Should -Be 'SpecificUsers'
        @($global:LsFake.Addin.Apps | Where-Object { $_.AppId -ne $global:LsAddinId } | ForEach-Object AppId) | Should -Be $others
    }

    It 're-imports the same Version when its URLs changed (a new public URL of the service)' {
        Invoke-Install | Out-Null
        Set-Manifest @{ Origin = 'https://linksecure2.contoso.test' } | Out-Null
        $global:LsFake.Calls.Clear()

        $result = Invoke-Install

        @((Get-AppCall).Name) | Should -Be @('Remove-App', 'New-App')
        $result[0].Detail | Should -BeLike '*URLs differ (https://linksecure.contoso.test/addin/taskpane.html to https://linksecure2.contoso.test/addin/taskpane.html)*'
        (Get-LsAddinApp).ManifestXml | Should -BeLike '*https://linksecure2.contoso.test/addin/taskpane.html*'
    }

    It 'puts the previous version back when New-App of the new one fails' {
        Invoke-Install @{ Users = @('bob@contoso.test'); DefaultState = 'AlwaysEnabled' } | Out-Null
        Set-Manifest @{ Version = '2.0.0.0' } | Out-Null
        # The first New-App (the new version) fails; the restore succeeds.
        $global:LsFake.Addin['NewAppFailures'] = 1
        Mock New-App {
            Add-LsCall 'New-App' $PSBoundParameters
            if ($global:LsFake.Addin.NewAppFailures -gt 0) { $global:LsFake.Addin.NewAppFailures--; throw 'Simulated: the directory could not be written.' }
            $global:LsFake.Addin.Apps.Add([pscustomobject]@{
                    AppId = $global:LsAddinId; Identity = $global:LsAddinId; DisplayName = 'ExchangeLinkSecure'
                    AppVersion = ([xml][System.Text.Encoding]::UTF8.GetString($FileData)).OfficeApp.Version; Enabled = $Enabled
                    DefaultStateForUser = $DefaultStateForUser; ProvidedTo = $ProvidedTo; UserList = @($UserList); Scope = 'Organization'; Type = 'Organization'; ManifestXml = ''
                })
        }

        { Invoke-Install @{ Users = @('bob@contoso.test'); DefaultState = 'AlwaysEnabled' } } | Should -Throw '*Version 1.0.0.0 was put back with its previous settings*'

        $app = Get-LsAddinApp
        $app.AppVersion | Should -Be '1.0.0.0'
        $app.DefaultStateForUser | Should -Be 'AlwaysEnabled'
        $app.ProvidedTo | Should -Be 'SpecificUsers'
        @($app.UserList) | Should -Be @('contoso.test/Users/Bob')
    }

    It 'says so when New-App fails after the removal and Get-App gave no manifest to put back' {
        Invoke-Install | Out-Null
        (Get-LsAddinApp).ManifestXml = ''
        Set-Manifest @{ Version = '2.0.0.0' } | Out-Null
        $global:LsFake.FailCommand['New-App'] = 'Simulated: the directory could not be written.'
        { Invoke-Install } | Should -Throw '*Get-App gave no manifest to put back: Simulated*Install version 1.0.0.0 again by hand*'
    }

    It 'says what to put back by hand when the old version cannot be put back either' {
        Invoke-Install @{ Users = @('bob@contoso.test') } | Out-Null
        Set-Manifest @{ Version = '2.0.0.0' } | Out-Null
        $global:LsFake.FailCommand['New-App'] = 'Simulated: the directory could not be written.'
        $failure = $null
        try { & $script:InstallScript -ManifestPath $script:ManifestPath -Users 'bob@contoso.test' -Confirm:$false -InformationVariable info 6>$null }
        catch { $failure = $_.Exception.Message }
        $failure | Should -BeLike '*failed after the old version was removed: Simulated*Putting version 1.0.0.0 back failed too: Simulated*by hand*'
        @($info | ForEach-Object { [string]$_.MessageData }) | Should -Contain 'Installed now: version 1.0.0.0, enabled True, default state Enabled, provided to SpecificUsers contoso.test/Users/Bob'
    }

    It 'refuses to downgrade without -AllowDowngrade' {
        Set-Manifest @{ Version = '3.0.0.0' } | Out-Null
        Invoke-Install | Out-Null
        Set-Manifest @{ Version = '2.0.0.0' } | Out-Null
        $global:LsFake.Calls.Clear()
        { Invoke-Install } | Should -Throw '*installed add-in (3.0.0.0) is newer*-AllowDowngrade*'
        @(Get-LsMutatingCall).Count | Should -Be 0
        Invoke-Install @{ AllowDowngrade = $true } | Out-Null
        (Get-LsAddinApp).AppVersion | Should -Be '2.0.0.0'
    }

    It 'passes -AllowReadWriteMailbox when the manifest asks for ReadWriteMailbox' {
        Set-Manifest @{ Permissions = 'ReadWriteMailbox' } | Out-Null
        Invoke-Install | Out-Null
        (Get-AppCall)[0].Parameters.AllowReadWriteMailbox | Should -BeTrue
    }

    It 'installs the product''s manifest as served (src/LinkSecure.Addin/web/manifest.xml)' -Skip:(-not $script:HasProductManifest) {
        $template = Get-Content -LiteralPath (Join-Path (Split-Path -Parent $global:LsTestInstallScriptsRoot) 'src/LinkSecure.Addin/web/manifest.xml') -Raw
        $served = $template.Replace('__LINKSECURE_BASE_URL__', 'https://linksecure.contoso.test')
        Set-Content -LiteralPath $script:ManifestPath -Value $served -NoNewline
        $info = Read-LsAddinManifest -Bytes (ConvertTo-LsAddinBytes $served) -Source 'product' -ExpectedOrigin 'https://linksecure.contoso.test'
        $info.Problems | Should -BeNullOrEmpty
        $info.Id | Should -Be (Get-LsAddinConstant).ProductAppId
        $info.HasLaunchEvent | Should -BeTrue

        Invoke-Install | Out-Null

        (Get-LsAddinApp -Id (Get-LsAddinConstant).ProductAppId).ProvidedTo | Should -Be 'Everyone'
    }

    Context '-WhatIf' {
        It 'changes nothing and reports the planned step (<Case>)' -ForEach @(
            @{ Case = 'new install'; Prepare = {}; Extra = @{}; Expected = 'New-App -OrganizationApp*' }
            @{ Case = 'scope change'; Prepare = { Invoke-Install | Out-Null }; Extra = @{ Users = @('carol@contoso.test') }; Expected = 'Set-App (ProvidedTo, UserList)*' }
            @{ Case = 'new version'; Prepare = { Invoke-Install | Out-Null; Set-Manifest @{ Version = '1.5.0.0' } | Out-Null }; Extra = @{}; Expected = 'Re-import (version 1.0.0.0 to 1.5.0.0): Remove-App, then New-App*' }
        ) {
            & $Prepare
            $global:LsFake.Calls.Clear()
            $transcripts = $global:LsFake.Transcripts.Count
            $before = Get-LsAddinSnapshot

            $Extra['WhatIf'] = $true
            $result = Invoke-Install $Extra

            Get-LsAddinSnapshot | Should -Be $before
            @(Get-LsMutatingCall).Count | Should -Be 0
            $global:LsFake.Transcripts.Count | Should -Be $transcripts
            @($result.Status) | Should -Be @('WhatIf')
            $result[0].Detail | Should -BeLike $Expected
            $script:LastInfo | Should -Contain 'WhatIf: 1 change(s) would be made; nothing was changed.'
        }
    }

    Context 'refuses before changing anything' {
        It 'a bad manifest: <Case>' -ForEach @(
            @{ Case = 'Mailbox 1.6'; Text = { New-LsAddinManifest -MinVersion '1.6' }; Expected = "*cannot be installed:*requires Mailbox 1.6*" }
            @{ Case = 'not well-formed'; Text = { (New-LsAddinManifest) -replace '</OfficeApp>', '' }; Expected = '*cannot be installed:*not well-formed XML*' }
            @{ Case = 'http SourceLocation'; Text = { New-LsAddinManifest -SourceLocation 'http://linksecure.contoso.test/addin/taskpane.html' }; Expected = '*is not HTTPS*' }
        ) {
            Set-Content -LiteralPath $script:ManifestPath -Value (& $Text) -NoNewline
            $before = Get-LsAddinSnapshot
            { Invoke-Install } | Should -Throw $Expected
            @(Get-LsMutatingCall).Count | Should -Be 0
            Get-LsAddinSnapshot | Should -Be $before
        }

        It 'a served manifest whose URLs are not on the URL it was downloaded from' {
            Mock Get-LsAddinManifestFromUrl { , (ConvertTo-LsAddinBytes (New-LsAddinManifest -Origin 'https://ls-host.contoso.test:8443')) }
            { Invoke-Install @{ ManifestUrl = $script:ServedUrl } } | Should -Throw '*is not on https://linksecure.contoso.test, where the manifest was downloaded from*--public-url*'
            @(Get-LsMutatingCall).Count | Should -Be 0
        }

        It 'a missing manifest file' {
            { Invoke-Install @{ ManifestPath = (Join-Path $script:Root 'nope.xml') } } | Should -Throw "*Manifest file '*nope.xml' not found*"
        }

        It 'an unreachable manifest URL (a closed port on 127.0.0.1)' {
            $port = Get-LsClosedLoopbackPort
            { Invoke-Install @{ ManifestUrl = "https://127.0.0.1:$port/addin/manifest.xml"; TimeoutSeconds = 5 } } | Should -Throw '*cannot be reached from this server*'
            @(Get-LsMutatingCall).Count | Should -Be 0
        }

        It 'a manifest URL with an untrusted certificate' {
            $server = Start-LsTestHttpsServer -Certificate (New-LsTestCertificate) -Routes @{ '/addin/manifest.xml' = @{ Status = 200; Body = (New-LsAddinManifest) } }
            try {
                { Invoke-Install @{ ManifestUrl = "$($server.BaseUrl)/addin/manifest.xml"; TimeoutSeconds = 5 } } | Should -Throw '*certificate*is not valid*'
            }
            finally { Stop-LsTestHttpsServer $server }
            @(Get-LsMutatingCall).Count | Should -Be 0
        }

        It 'a scope that is not users: <Case>' -ForEach @(
            @{ Case = 'a group as -Users'; Extra = @{ Users = @('Pilot') }; Expected = "*-Users 'Pilot' is a group*pass it with -Groups*" }
            @{ Case = 'a contact as -Users'; Extra = @{ Users = @('someone@partner.example') }; Expected = '*MailContact; -UserList takes mailboxes and mail users only*' }
            @{ Case = 'an unknown user'; Extra = @{ Users = @('nobody@contoso.test') }; Expected = "*'nobody@contoso.test' was not found*" }
            @{ Case = 'a user as -Groups'; Extra = @{ Groups = @('alice@contoso.test') }; Expected = "*-Groups 'alice@contoso.test' is a UserMailbox*" }
            @{ Case = 'a dynamic group'; Extra = @{ Groups = @('All Staff Dynamic') }; Expected = '*dynamic distribution group*fixed list of users*' }
            @{ Case = 'an empty group'; Extra = @{ Groups = @('Empty') }; Expected = '*resolve to no users*' }
            @{ Case = 'more than 1000 users'; Extra = @{ Groups = @('Everybody Large') }; Expected = '*1001 users; Exchange takes at most 1000*' }
        ) {
            { Invoke-Install $Extra 3>$null } | Should -Throw $Expected
            @(Get-LsMutatingCall).Count | Should -Be 0
        }

        It 'outside the Exchange Management Shell' {
            Remove-LsExchangeStandIns
            $global:LsFake.SnapInAvailable = $false
            { Invoke-Install } | Should -Throw '*Run this script in the Exchange Management Shell*'
        }

        It 'without the app cmdlets (no "Org Custom Apps" role)' {
            Remove-LsAddinStandIns
            { Invoke-Install } | Should -Throw '*Get-App is not available*Org Custom Apps*'
        }
    }
}

Describe 'Uninstall-LinkSecureAddin.ps1' {
    BeforeAll {
        Register-LsWindowsStandIns
    }

    BeforeEach {
        Initialize-AddinTest
        Invoke-Install @{ Groups = @('Finance') } | Out-Null
        $global:LsFake.Calls.Clear()
    }

    AfterEach {
        Clear-AddinTest
    }

    It 'removes only our app (<Case>)' -ForEach @(
        @{ Case = 'Id from the manifest file'; Arguments = { @{ ManifestPath = $script:ManifestPath } } }
        @{ Case = '-AppId'; Arguments = { @{ AppId = $global:LsAddinId } } }
        @{ Case = 'the product Id, with no arguments'; Arguments = { @{} } }
    ) {
        $others = @($global:LsFake.Addin.Apps | Where-Object { $_.AppId -ne $global:LsAddinId } | ForEach-Object AppId)
        $result = Invoke-Uninstall (& $Arguments)

        $calls = Get-AppCall
        @($calls.Name) | Should -Be @('Remove-App')
        $calls[0].Parameters.Identity | Should -Be $global:LsAddinId
        $calls[0].Parameters.OrganizationApp | Should -BeTrue
        Get-LsAddinApp | Should -BeNullOrEmpty
        @($global:LsFake.Addin.Apps | ForEach-Object AppId) | Should -Be $others
        @($result.Status) | Should -Be @('Changed')
    }

    It 'changes nothing on a second run and says so' {
        Invoke-Uninstall | Out-Null
        $global:LsFake.Calls.Clear()
        $result = Invoke-Uninstall
        @(Get-LsMutatingCall).Count | Should -Be 0
        @($result.Status) | Should -Be @('Unchanged')
        $script:LastInfo | Should -Contain 'No changes: the ExchangeLinkSecure add-in is not installed.'
    }

    It 'changes nothing with -WhatIf' {
        $before = Get-LsAddinSnapshot
        $result = Invoke-Uninstall @{ ManifestPath = $script:ManifestPath; WhatIf = $true }
        Get-LsAddinSnapshot | Should -Be $before
        @(Get-LsMutatingCall).Count | Should -Be 0
        @($result.Status) | Should -Be @('WhatIf')
    }

    It 'refuses an Id of one of Exchange''s default apps' {
        { Invoke-Uninstall @{ AppId = '7a774f0c-7a6f-11e0-85ad-07fb4824019b' } } | Should -Throw "*default apps ('Bing Maps')*nothing was removed*"
        @(Get-LsMutatingCall).Count | Should -Be 0
    }

    It 'reads the Id from the served manifest, and says so when it cannot be reached' {
        $port = Get-LsClosedLoopbackPort
        { Invoke-Uninstall @{ ManifestUrl = "https://127.0.0.1:$port/addin/manifest.xml"; TimeoutSeconds = 5 } } | Should -Throw '*cannot be reached*'
        Get-LsAddinApp | Should -Not -BeNullOrEmpty
    }

    It 'needs an Id from a manifest that has none' {
        Set-Content -LiteralPath $script:ManifestPath -Value '<not-a-manifest' -NoNewline
        { Invoke-Uninstall } | Should -Throw '*gives no add-in Id*Pass -AppId instead*'
        @(Get-LsMutatingCall).Count | Should -Be 0
    }
}
