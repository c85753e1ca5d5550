# Stand-ins for the Exchange cmdlets that Install-/Uninstall-LinkSecureAddin.ps1 call, and
# fixtures for the add-in tests.
#
# Dot-source after StandIns.ps1 (whose Reset-LsFake, Add-LsCall, Get-LsCall,
# Get-LsMutatingCall and Invoke-LsFakeFailure they share). Provides:
#
#   * Reset-LsAddinFake: a fake organisation in $global:LsFake.Addin with mailboxes, a mail
#     user, a contact, groups (nested, dynamic, large), Exchange's default apps and another
#     vendor's organization app.
#   * Install-LsAddinStandIns / Remove-LsAddinStandIns: Get-App, New-App, Set-App,
#     Remove-App, Get-Recipient and Get-DistributionGroupMember as global functions. They
#     enforce what Exchange enforces: New-App's parameter sets (-Url XOR -FileData), the
#     options that need -OrganizationApp, -ProvidedTo SpecificUsers needs -UserList, at most
#     1000 users and only mailboxes or mail users in it, an installed AppId is refused,
#     Mailbox MinVersion above 1.5 is refused, ReadWriteMailbox needs -AllowReadWriteMailbox,
#     -Url is downloaded by the "server" (no redirects), Remove-App of an organization app
#     needs -OrganizationApp and default apps cannot be removed.
#     Get-App shows UserList as canonical names, not as what was passed in.
#   * New-LsAddinManifest: a manifest text with the properties a test wants.
#   * Get-LsAddinSnapshot: the organisation's apps as JSON, to prove -WhatIf changes nothing.

Set-StrictMode -Version Latest

$global:LsAddinCommandNames = @('Get-App', 'New-App', 'Set-App', 'Remove-App', 'Get-Recipient', 'Get-DistributionGroupMember')
# The product's Id (src/LinkSecure.Addin/web/manifest.xml).
$global:LsAddinId = 'b1b1eaad-001b-4231-9c42-ded7742e8a16'

function global:New-LsAddinManifest {
    # A manifest like the product's: MailApp, Mailbox 1.1, ReadWriteItem, HTTPS URLs.
    param(
        [string]$Id = $global:LsAddinId,
        [string]$Version = '1.0.0.0',
        [string]$MinVersion = '1.1',
        [string]$Permissions = 'ReadWriteItem',
        [string]$Origin = 'https://linksecure.contoso.test',
        [string]$ResourceOrigin,
        [string]$SourceLocation,
        [string]$DisplayName = 'ExchangeLinkSecure'
    )
    if ([string]::IsNullOrEmpty($SourceLocation)) { $SourceLocation = "$Origin/addin/taskpane.html" }
    if ([string]::IsNullOrEmpty($ResourceOrigin)) { $ResourceOrigin = $Origin }
    @"
<?xml version="1.0" encoding="UTF-8"?>
<OfficeApp xmlns="http://schemas.microsoft.com/office/appforoffice/1.1"
           xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
           xmlns:bt="http://schemas.microsoft.com/office/officeappbasictypes/1.0"
           xmlns:mailappor="http://schemas.microsoft.com/office/mailappversionoverrides/1.0"
           xsi:type="MailApp">
  <Id>$Id</Id>
  <Version>$Version</Version>
  <ProviderName>ExchangeLinkSecure</ProviderName>
  <DefaultLocale>en-US</DefaultLocale>
  <DisplayName DefaultValue="$DisplayName"/>
  <Description DefaultValue="Shows each recipient's link security before sending."/>
  <IconUrl DefaultValue="$Origin/addin/icon-64.png"/>
  <HighResolutionIconUrl DefaultValue="$Origin/addin/icon-128.png"/>
  <SupportUrl DefaultValue="$Origin/addin/help.html"/>
  <AppDomains><AppDomain>$Origin</AppDomain></AppDomains>
  <Hosts><Host Name="Mailbox"/></Hosts>
  <Requirements><Sets><Set Name="Mailbox" MinVersion="$MinVersion"/></Sets></Requirements>
  <FormSettings>
    <Form xsi:type="ItemEdit"><DesktopSettings><SourceLocation DefaultValue="$SourceLocation"/></DesktopSettings></Form>
  </FormSettings>
  <Permissions>$Permissions</Permissions>
  <Rule xsi:type="RuleCollection" Mode="Or"><Rule xsi:type="ItemIs" ItemType="Message" FormType="Edit"/></Rule>
  <VersionOverrides xmlns="http://schemas.microsoft.com/office/mailappversionoverrides" xsi:type="VersionOverridesV1_0">
    <VersionOverrides xmlns="http://schemas.microsoft.com/office/mailappversionoverrides/1.1" xsi:type="VersionOverridesV1_1">
      <Hosts>
        <Host xsi:type="MailHost">
          <Runtimes><Runtime resid="WebViewRuntime.Url"><Override type="javascript" resid="JSRuntime.Url"/></Runtime></Runtimes>
          <DesktopFormFactor>
            <FunctionFile resid="WebViewRuntime.Url"/>
            <ExtensionPoint xsi:type="LaunchEvent">
              <LaunchEvents><LaunchEvent Type="OnMessageSend" FunctionName="onMessageSend" SendMode="PromptUser"/></LaunchEvents>
              <SourceLocation resid="WebViewRuntime.Url"/>
            </ExtensionPoint>
          </DesktopFormFactor>
        </Host>
      </Hosts>
      <Resources>
        <bt:Images><bt:Image id="Icon.16x16" DefaultValue="$ResourceOrigin/addin/icons/icon-16.png"/></bt:Images>
        <bt:Urls>
          <bt:Url id="WebViewRuntime.Url" DefaultValue="$ResourceOrigin/addin/commands.html"/>
          <bt:Url id="JSRuntime.Url" DefaultValue="$ResourceOrigin/addin/launchevent.js"/>
        </bt:Urls>
      </Resources>
    </VersionOverrides>
  </VersionOverrides>
</OfficeApp>
"@
}

function global:ConvertTo-LsAddinBytes {
    param([Parameter(Mandatory = $true)][string]$Text)
    , ([System.Text.Encoding]::UTF8.GetBytes($Text))
}

function global:New-LsFakeRecipient {
    param([string]$Name, [string]$RecipientType, [string]$RecipientTypeDetails, [string]$Address)
    $guid = [guid]::NewGuid().ToString()
    [pscustomobject]@{
        Name                 = $Name
        Alias                = ($Name -replace '[^A-Za-z0-9]', '').ToLowerInvariant()
        Identity             = "contoso.test/Users/$Name"
        DistinguishedName    = "CN=$Name,CN=Users,DC=contoso,DC=test"
        Guid                 = $guid
        PrimarySmtpAddress   = $Address
        RecipientType        = $RecipientType
        RecipientTypeDetails = $RecipientTypeDetails
    }
}

function global:New-LsAddinRecipientDirectory {
    # The fake organisation's recipients and an index of every identity each answers to
    # (Exchange matches them without regard to case). Built once per session: the
    # stand-ins never change recipients, and 1000 bulk users take seconds to create.
    if ($null -ne (Get-Variable -Name LsAddinDirectory -Scope Global -ErrorAction SilentlyContinue)) { return $global:LsAddinDirectory }
    $recipients = [System.Collections.Generic.List[object]]::new()
    foreach ($name in @('Alice', 'Bob', 'Carol', 'Dave', 'Erin')) {
        $recipients.Add((New-LsFakeRecipient -Name $name -RecipientType 'UserMailbox' -RecipientTypeDetails 'UserMailbox' -Address "$($name.ToLowerInvariant())@contoso.test"))
    }
    $recipients.Add((New-LsFakeRecipient -Name 'Frank' -RecipientType 'MailUser' -RecipientTypeDetails 'MailUser' -Address 'frank@contoso.test'))
    $recipients.Add((New-LsFakeRecipient -Name 'Partner Contact' -RecipientType 'MailContact' -RecipientTypeDetails 'MailContact' -Address 'someone@partner.example'))
    $recipients.Add((New-LsFakeRecipient -Name 'Room 1' -RecipientType 'UserMailbox' -RecipientTypeDetails 'RoomMailbox' -Address 'room1@contoso.test'))
    $recipients.Add((New-LsFakeRecipient -Name 'Pilot' -RecipientType 'MailUniversalDistributionGroup' -RecipientTypeDetails 'MailUniversalDistributionGroup' -Address 'pilot@contoso.test'))
    $recipients.Add((New-LsFakeRecipient -Name 'Pilot Inner' -RecipientType 'MailUniversalSecurityGroup' -RecipientTypeDetails 'MailUniversalSecurityGroup' -Address 'pilot-inner@contoso.test'))
    $recipients.Add((New-LsFakeRecipient -Name 'Finance' -RecipientType 'MailUniversalDistributionGroup' -RecipientTypeDetails 'MailUniversalDistributionGroup' -Address 'finance@contoso.test'))
    $recipients.Add((New-LsFakeRecipient -Name 'Empty' -RecipientType 'MailUniversalDistributionGroup' -RecipientTypeDetails 'MailUniversalDistributionGroup' -Address 'empty@contoso.test'))
    $recipients.Add((New-LsFakeRecipient -Name 'All Staff Dynamic' -RecipientType 'DynamicDistributionGroup' -RecipientTypeDetails 'DynamicDistributionGroup' -Address 'allstaff@contoso.test'))
    $recipients.Add((New-LsFakeRecipient -Name 'Everybody Large' -RecipientType 'MailUniversalDistributionGroup' -RecipientTypeDetails 'MailUniversalDistributionGroup' -Address 'large@contoso.test'))
    for ($i = 1; $i -le 1001; $i++) {
        $recipients.Add((New-LsFakeRecipient -Name ('Bulk{0:D4}' -f $i) -RecipientType 'UserMailbox' -RecipientTypeDetails 'UserMailbox' -Address ('bulk{0:D4}@contoso.test' -f $i)))
    }
    # Every identity a recipient answers to (Exchange matches them without regard to case).
    $index = @{}
    foreach ($r in $recipients) {
        foreach ($key in @($r.Name, $r.Alias, $r.PrimarySmtpAddress, $r.Guid, $r.DistinguishedName, $r.Identity | ForEach-Object { $_.ToLowerInvariant() } | Sort-Object -Unique)) {
            if (-not $index.ContainsKey($key)) { $index[$key] = [System.Collections.Generic.List[object]]::new() }
            $index[$key].Add($r)
        }
    }
    $bulk = [string[]]@($recipients | Where-Object { $_.Name -like 'Bulk*' } | ForEach-Object { $_.Name })
    $global:LsAddinDirectory = @{ Recipients = $recipients; Index = $index; BulkNames = $bulk }
    $global:LsAddinDirectory
}

function global:Reset-LsAddinFake {
    # Call after Reset-LsFake: adds the organisation's recipients and apps.
    $directory = New-LsAddinRecipientDirectory
    # Members by name. Pilot: Alice, Bob, the contact and the nested group (Carol, and Pilot
    # again: a loop). Finance: Bob and Dave (Bob overlaps with Pilot).
    $members = @{
        'Pilot'           = @('Alice', 'Bob', 'Partner Contact', 'Pilot Inner')
        'Pilot Inner'     = @('Carol', 'Pilot')
        'Finance'         = @('Bob', 'Dave')
        'Empty'           = @()
        'Everybody Large' = $directory.BulkNames
    }
    $apps = [System.Collections.Generic.List[object]]::new()
    foreach ($default in @(
            @{ Id = '7a774f0c-7a6f-11e0-85ad-07fb4824019b'; Name = 'Bing Maps' },
            @{ Id = '6935d0a1-8d3d-4bd5-bfd4-85cbc5b17c2e'; Name = 'Suggested Meetings' },
            @{ Id = 'f60b8ca1-c4d5-4e38-9ec5-68b0e8bbf3ea'; Name = 'Action Items' })) {
        $apps.Add([pscustomobject]@{
                AppId = $default.Id; Identity = $default.Id; DisplayName = $default.Name; AppVersion = '1.0'; Enabled = $true
                DefaultStateForUser = 'Enabled'; ProvidedTo = 'Everyone'; UserList = @(); Scope = 'Default'; Type = 'Default'; ManifestXml = ''
            })
    }
    $apps.Add([pscustomobject]@{
            AppId = '0b3c5d7e-1111-4222-8333-944455556666'; Identity = '0b3c5d7e-1111-4222-8333-944455556666'; DisplayName = 'Contoso CRM'; AppVersion = '2.1.0.0'
            Enabled = $true; DefaultStateForUser = 'AlwaysEnabled'; ProvidedTo = 'Everyone'; UserList = @(); Scope = 'Organization'; Type = 'Organization'
            ManifestXml = (New-LsAddinManifest -Id '0b3c5d7e-1111-4222-8333-944455556666' -Version '2.1.0.0' -DisplayName 'Contoso CRM' -Origin 'https://crm.contoso.test')
        })
    $global:LsFake['Addin'] = @{
        Recipients = $directory.Recipients
        Index      = $directory.Index
        Members    = $members
        Apps       = $apps
        # What the "Exchange server" can download for New-App -Url: url -> manifest text,
        # or @{ Redirect = 'https://...' }.
        Served     = @{}
    }
}

function global:Find-LsFakeRecipient {
    # The fake recipients an identity matches (name, alias, SMTP address, GUID, DN, canonical name).
    param([string]$Identity)
    $found = $global:LsFake.Addin.Index[$Identity.Trim().ToLowerInvariant()]
    if ($null -eq $found) { return @() }
    @($found)
}

function global:Resolve-LsFakeUserList {
    # What Exchange does with -UserList: every entry must be one mailbox or mail user;
    # stored as canonical names.
    param([object[]]$UserList)
    $entries = @($UserList | Where-Object { $null -ne $_ } | ForEach-Object { [string]$_ })
    if ($entries.Count -gt 1000) { throw "The UserList parameter is limited to 1000 users; $($entries.Count) were given." }
    foreach ($entry in $entries) {
        $found = @(Find-LsFakeRecipient -Identity $entry)
        if ($found.Count -eq 0) { throw "The operation couldn't be performed because object '$entry' couldn't be found." }
        if ($found.Count -gt 1) { throw "The operation couldn't be performed because '$entry' matches multiple entries." }
        if (@('UserMailbox', 'MailUser') -notcontains $found[0].RecipientType) { throw "'$entry' isn't a mailbox or mail user; UserList takes users." }
        $found[0].Identity
    }
}

function global:Test-LsFakeOrgAppOptions {
    # Options that Exchange accepts only with -OrganizationApp, and the SpecificUsers rule.
    param([hashtable]$Bound, [bool]$OrganizationApp, [string]$ExistingProvidedTo)
    foreach ($key in @('DefaultStateForUser', 'ProvidedTo', 'UserList')) {
        if ($Bound.ContainsKey($key) -and -not $OrganizationApp) { throw "You need to use the OrganizationApp switch with -$key." }
    }
    if ($Bound.ContainsKey('ProvidedTo') -and [string]$Bound['ProvidedTo'] -eq 'SpecificUsers' -and (-not $Bound.ContainsKey('UserList') -or @($Bound['UserList']).Count -eq 0)) {
        throw 'ProvidedTo SpecificUsers requires UserList.'
    }
    $providedTo = $ExistingProvidedTo
    if ($Bound.ContainsKey('ProvidedTo')) { $providedTo = [string]$Bound['ProvidedTo'] }
    if ($providedTo -ne 'SpecificUsers' -and $Bound.ContainsKey('UserList')) { throw 'UserList is used with ProvidedTo SpecificUsers only.' }
}

function global:Copy-LsFakeApp {
    param([object]$App)
    $copy = $App.PSObject.Copy()
    $copy.UserList = @($App.UserList)
    $copy
}

function global:Install-LsAddinStandIns {
    function global:Get-App {
        [CmdletBinding()]
        param([Parameter(Position = 0)][object]$Identity, [switch]$OrganizationApp, [object]$Mailbox)
        Add-LsCall 'Get-App' $PSBoundParameters
        $list = @($global:LsFake.Addin.Apps)
        if ($null -ne $Identity) {
            $list = @($list | Where-Object { $_.AppId -eq [string]$Identity })
            if ($list.Count -eq 0) { throw "The app '$Identity' couldn't be found." }
        }
        foreach ($app in $list) { Copy-LsFakeApp $app }
    }

    function global:New-App {
        [CmdletBinding(SupportsShouldProcess = $true, DefaultParameterSetName = 'ExtensionOfficeMarketplace')]
        param(
            [Parameter(Mandatory = $true, ParameterSetName = 'ExtensionFileData')][byte[]]$FileData,
            [Parameter(Mandatory = $true, ParameterSetName = 'ExtensionPrivateURL')][uri]$Url,
            [Parameter(ParameterSetName = 'ExtensionOfficeMarketplace')][string]$MarketplaceAssetID,
            [switch]$OrganizationApp,
            [ValidateSet('Enabled', 'Disabled', 'AlwaysEnabled')][string]$DefaultStateForUser,
            [ValidateSet('Everyone', 'SpecificUsers')][string]$ProvidedTo,
            [object[]]$UserList,
            [bool]$Enabled = $true,
            [switch]$AllowReadWriteMailbox,
            [object]$Mailbox
        )
        Add-LsCall 'New-App' $PSBoundParameters
        Invoke-LsFakeFailure 'New-App'
        if ($PSCmdlet.ParameterSetName -eq 'ExtensionOfficeMarketplace') { throw 'This fake organisation has no Office Store access: use -FileData or -Url.' }
        Test-LsFakeOrgAppOptions -Bound $PSBoundParameters -OrganizationApp $OrganizationApp.IsPresent -ExistingProvidedTo 'Everyone'
        if ($PSCmdlet.ParameterSetName -eq 'ExtensionPrivateURL') {
            # The Exchange server downloads the manifest itself, without following redirects.
            $served = $global:LsFake.Addin.Served[[string]$Url]
            if ($null -eq $served) { throw "The app couldn't be downloaded from '$Url'." }
            if ($served -is [hashtable]) { throw "The app couldn't be downloaded from '$Url': redirections aren't supported." }
            $xmlText = [string]$served
        }
        else {
            $xmlText = [System.Text.Encoding]::UTF8.GetString($FileData)
        }
        try { [xml]$xml = $xmlText } catch { throw "The app manifest isn't valid XML: $($_.Exception.Message)" }
        $id = [string]$xml.OfficeApp.Id
        $set = $xml.OfficeApp.Requirements.Sets.Set | Where-Object { $_.Name -eq 'Mailbox' } | Select-Object -First 1
        if ($null -ne $set -and [version]$set.MinVersion -gt [version]'1.5') { throw "The app manifest requires Mailbox $($set.MinVersion); this server supports up to 1.5." }
        if ([string]$xml.OfficeApp.Permissions -eq 'ReadWriteMailbox' -and -not $AllowReadWriteMailbox) { throw 'The app requests ReadWriteMailbox permission; use -AllowReadWriteMailbox.' }
        if (@($global:LsFake.Addin.Apps | Where-Object { $_.AppId -eq $id }).Count -gt 0) { throw "The app with ID '$id' is already installed." }
        if (-not $OrganizationApp) { throw 'This fake organisation keeps user apps out of scope: use -OrganizationApp.' }
        $providedToValue = $(if ($PSBoundParameters.ContainsKey('ProvidedTo')) { $ProvidedTo } else { 'Everyone' })
        $stored = @()
        if ($PSBoundParameters.ContainsKey('UserList')) { $stored = @(Resolve-LsFakeUserList -UserList $UserList) }
        $app = [pscustomobject]@{
            AppId               = $id
            Identity            = $id
            DisplayName         = [string]$xml.OfficeApp.DisplayName.DefaultValue
            AppVersion          = [string]$xml.OfficeApp.Version
            Enabled             = $Enabled
            DefaultStateForUser = $(if ($PSBoundParameters.ContainsKey('DefaultStateForUser')) { $DefaultStateForUser } else { 'Disabled' })
            ProvidedTo          = $providedToValue
            UserList            = $stored
            Scope               = 'Organization'
            Type                = 'Organization'
            ManifestXml         = $xmlText
        }
        $global:LsFake.Addin.Apps.Add($app)
        Copy-LsFakeApp $app
    }

    function global:Set-App {
        [CmdletBinding(SupportsShouldProcess = $true)]
        param(
            [Parameter(Mandatory = $true, Position = 0)][object]$Identity,
            [switch]$OrganizationApp,
            [ValidateSet('Enabled', 'Disabled', 'AlwaysEnabled')][string]$DefaultStateForUser,
            [ValidateSet('Everyone', 'SpecificUsers')][string]$ProvidedTo,
            [object[]]$UserList,
            [bool]$Enabled
        )
        Add-LsCall 'Set-App' $PSBoundParameters
        Invoke-LsFakeFailure 'Set-App'
        $app = $global:LsFake.Addin.Apps | Where-Object { $_.AppId -eq [string]$Identity } | Select-Object -First 1
        if ($null -eq $app) { throw "The app '$Identity' couldn't be found." }
        if ($app.Scope -eq 'Organization' -and -not $OrganizationApp) { throw "The app '$Identity' is an organization app: use -OrganizationApp." }
        Test-LsFakeOrgAppOptions -Bound $PSBoundParameters -OrganizationApp $OrganizationApp.IsPresent -ExistingProvidedTo $app.ProvidedTo
        if ($PSBoundParameters.ContainsKey('UserList')) { $app.UserList = @(Resolve-LsFakeUserList -UserList $UserList) }
        if ($PSBoundParameters.ContainsKey('ProvidedTo')) {
            $app.ProvidedTo = $ProvidedTo
            if ($ProvidedTo -eq 'Everyone') { $app.UserList = @() }
        }
        if ($PSBoundParameters.ContainsKey('DefaultStateForUser')) { $app.DefaultStateForUser = $DefaultStateForUser }
        if ($PSBoundParameters.ContainsKey('Enabled')) { $app.Enabled = $Enabled }
    }

    function global:Remove-App {
        [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'High')]
        param([Parameter(Mandatory = $true, Position = 0)][object]$Identity, [switch]$OrganizationApp, [object]$Mailbox)
        Add-LsCall 'Remove-App' $PSBoundParameters
        Invoke-LsFakeFailure 'Remove-App'
        $app = $global:LsFake.Addin.Apps | Where-Object { $_.AppId -eq [string]$Identity } | Select-Object -First 1
        if ($null -eq $app) { throw "The app '$Identity' couldn't be found." }
        if ($app.Scope -eq 'Default') { throw "The app '$($app.DisplayName)' is a default app; it can be disabled but not uninstalled." }
        if (-not $OrganizationApp) { throw "The app '$Identity' is installed for the organization: use -OrganizationApp." }
        [void]$global:LsFake.Addin.Apps.Remove($app)
    }

    function global:Get-Recipient {
        [CmdletBinding()]
        param([Parameter(Position = 0)][object]$Identity, [object]$ResultSize)
        Add-LsCall 'Get-Recipient' $PSBoundParameters
        $found = @(Find-LsFakeRecipient -Identity ([string]$Identity))
        if ($found.Count -eq 0) { throw "The operation couldn't be performed because object '$Identity' couldn't be found." }
        foreach ($r in $found) { $r.PSObject.Copy() }
    }

    function global:Get-DistributionGroupMember {
        [CmdletBinding()]
        param([Parameter(Mandatory = $true, Position = 0)][object]$Identity, [object]$ResultSize = 1000)
        Add-LsCall 'Get-DistributionGroupMember' $PSBoundParameters
        $group = @(Find-LsFakeRecipient -Identity ([string]$Identity) | Where-Object { $_.RecipientType -like 'Mail*Group' -or $_.RecipientType -eq 'MailUniversalDistributionGroup' })
        if ($group.Count -ne 1 -or -not $global:LsFake.Addin.Members.ContainsKey($group[0].Name)) { throw "The operation couldn't be performed because object '$Identity' couldn't be found." }
        $names = @($global:LsFake.Addin.Members[$group[0].Name])
        # Like Exchange: the default result size is 1000 (with a warning), Unlimited returns all.
        if ([string]$ResultSize -ne 'Unlimited' -and $names.Count -gt [int]$ResultSize) {
            Write-Warning "By default, only the first $ResultSize items are returned."
            $names = @($names | Select-Object -First ([int]$ResultSize))
        }
        foreach ($name in $names) { (Find-LsFakeRecipient -Identity $name)[0].PSObject.Copy() }
    }
}

function global:Remove-LsAddinStandIns {
    foreach ($name in $global:LsAddinCommandNames) {
        while (Test-Path "Function:\$name") { Remove-Item "Function:\$name" }
    }
}

function global:Get-LsAddinApp {
    # The fake organisation's app with an Id, or $null (the real object, for assertions).
    param([string]$Id = $global:LsAddinId)
    $global:LsFake.Addin.Apps | Where-Object { $_.AppId -eq $Id } | Select-Object -First 1
}

function global:Get-LsAddinSnapshot {
    # Everything the scripts could change, as text.
    $global:LsFake.Addin.Apps | ConvertTo-Json -Depth 5
}

# ---------------------------------------------------------------------------------------
# A loopback HTTPS server for the download tests (127.0.0.1, a free port)
# ---------------------------------------------------------------------------------------

function global:New-LsTestCertificate {
    # A self-signed certificate for 127.0.0.1 (or -Names), valid from NotBefore to NotAfter.
    param(
        [string[]]$Names = @('127.0.0.1'),
        [datetimeoffset]$NotBefore = [datetimeoffset]::UtcNow.AddDays(-1),
        [datetimeoffset]$NotAfter = [datetimeoffset]::UtcNow.AddDays(2)
    )
    $rsa = [System.Security.Cryptography.RSA]::Create(2048)
    $request = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new("CN=$($Names[0])", $rsa,
        [System.Security.Cryptography.HashAlgorithmName]::SHA256, [System.Security.Cryptography.RSASignaturePadding]::Pkcs1)
    $san = [System.Security.Cryptography.X509Certificates.SubjectAlternativeNameBuilder]::new()
    foreach ($name in $Names) {
        $ip = $null
        if ([System.Net.IPAddress]::TryParse($name, [ref]$ip)) { $san.AddIpAddress($ip) } else { $san.AddDnsName($name) }
    }
    $request.CertificateExtensions.Add($san.Build())
    $certificate = $request.CreateSelfSigned($NotBefore, $NotAfter)
    # Re-imported from PFX so that SslStream can use the private key on every platform.
    [System.Security.Cryptography.X509Certificates.X509Certificate2]::new($certificate.Export('Pfx'), [string]$null,
        [System.Security.Cryptography.X509Certificates.X509KeyStorageFlags]::Exportable)
}

function global:ConvertTo-LsPem {
    param([System.Security.Cryptography.X509Certificates.X509Certificate2[]]$Certificate)
    ($Certificate | ForEach-Object {
            "-----BEGIN CERTIFICATE-----`n" + [Convert]::ToBase64String($_.RawData, 'InsertLineBreaks') + "`n-----END CERTIFICATE-----`n"
        }) -join ''
}

function global:Start-LsTestHttpsServer {
    # Serves Routes (path -> @{ Status; Headers; Body }) over HTTPS on 127.0.0.1 with
    # Certificate. Returns an object with Port, BaseUrl and what Stop-LsTestHttpsServer needs.
    # Each connection is read with a 5-second time-out, so a stuck client cannot hang a test.
    param(
        [Parameter(Mandatory = $true)][System.Security.Cryptography.X509Certificates.X509Certificate2]$Certificate,
        [Parameter(Mandatory = $true)][hashtable]$Routes
    )
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start()
    $shell = [powershell]::Create()
    [void]$shell.AddScript({
            param($listener, $certificate, $routes)
            while ($true) {
                try { $client = $listener.AcceptTcpClient() } catch { break }
                try {
                    $client.ReceiveTimeout = 5000
                    $client.SendTimeout = 5000
                    $ssl = [System.Net.Security.SslStream]::new($client.GetStream(), $false)
                    $ssl.AuthenticateAsServer($certificate)
                    $reader = [System.IO.StreamReader]::new($ssl, [System.Text.Encoding]::ASCII)
                    $requestLine = $reader.ReadLine()
                    while ($true) { $line = $reader.ReadLine(); if ([string]::IsNullOrEmpty($line)) { break } }
                    $path = ([string]$requestLine).Split(' ')[1]
                    $route = $routes[$path]
                    if ($null -eq $route) { $route = @{ Status = 404; Body = 'not found' } }
                    $body = [System.Text.Encoding]::UTF8.GetBytes([string]$route.Body)
                    $head = "HTTP/1.1 $($route.Status) X`r`nContent-Length: $($body.Length)`r`nConnection: close`r`n"
                    if ($route.ContainsKey('Headers')) { foreach ($key in $route.Headers.Keys) { $head += "${key}: $($route.Headers[$key])`r`n" } }
                    $bytes = [System.Text.Encoding]::ASCII.GetBytes($head + "`r`n")
                    $ssl.Write($bytes, 0, $bytes.Length)
                    $ssl.Write($body, 0, $body.Length)
                    $ssl.Flush()
                }
                catch { }
                finally { $client.Dispose() }
            }
        }).AddArgument($listener).AddArgument($Certificate).AddArgument($Routes)
    $handle = $shell.BeginInvoke()
    $port = $listener.LocalEndpoint.Port
    [pscustomobject]@{ Port = $port; BaseUrl = "https://127.0.0.1:$port"; Listener = $listener; Shell = $shell; Handle = $handle }
}

function global:Stop-LsTestHttpsServer {
    param([object]$Server)
    if ($null -eq $Server) { return }
    $Server.Listener.Stop()
    [void]$Server.Handle.AsyncWaitHandle.WaitOne(5000)
    $Server.Shell.Dispose()
}

function global:Get-LsClosedLoopbackPort {
    # A loopback port that nothing listens on (bound, then released).
    $probe = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $probe.Start()
    $port = $probe.LocalEndpoint.Port
    $probe.Stop()
    $port
}
