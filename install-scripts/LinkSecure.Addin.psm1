<#
.SYNOPSIS
    Helpers for Install-LinkSecureAddin.ps1 and Uninstall-LinkSecureAddin.ps1 (the Outlook add-in).

.DESCRIPTION
    Not meant to be used on its own. Builds on LinkSecure.Install.psm1 (step results,
    property access) and adds:

      * reading and checking an add-in-only XML manifest (what Exchange 2016, 2019 and SE
        accept: Mailbox MinVersion at most 1.5, HTTPS everywhere);
      * downloading the served manifest over HTTPS with certificate validation and without
        following redirects (New-App -Url does not follow them on Exchange 2016/2019);
      * turning -Users and -Groups into the user list that New-App/Set-App -UserList takes;
      * comparing an installed organization app (Get-App) with the wanted state.

    The Exchange cmdlets are used to read only (Get-App, Get-Recipient,
    Get-DistributionGroupMember). Every change runs in the scripts, through ShouldProcess.
    Windows PowerShell 5.1 syntax only.
#>

#Requires -Version 5.1

Set-StrictMode -Version Latest

Import-Module (Join-Path $PSScriptRoot 'LinkSecure.Install.psm1') -Verbose:$false

# ---------------------------------------------------------------------------------------
#region Constants
# ---------------------------------------------------------------------------------------

$script:Addin = [pscustomobject]@{
    # The highest Mailbox requirement set an on-premises Exchange server accepts in a
    # manifest's top-level <Requirements> (outlook-api-requirement-sets, Exchange server support).
    MaxMailboxMinVersion = [version]'1.5'
    # Exchange's documented limit for -UserList (New-App, Set-App).
    MaxUserList          = 1000
    # A guard for the download only (a manifest is a few kilobytes).
    MaxManifestBytes     = 1048576
    # The Id in src/LinkSecure.Addin/web/manifest.xml: an add-in keeps its Id for life.
    ProductAppId         = 'b1b1eaad-001b-4231-9c42-ded7742e8a16'
    # The token that "linksecure serve" replaces with its public base URL in the served manifest.
    BaseUrlToken         = '__LINKSECURE_BASE_URL__'
    OfficeAppNamespace   = 'http://schemas.microsoft.com/office/appforoffice/1.1'
    XsiNamespace         = 'http://www.w3.org/2001/XMLSchema-instance'
    # Recipients that -UserList accepts: mailboxes and mail users.
    UserRecipientTypes   = @('UserMailbox', 'MailUser')
    GroupRecipientTypes  = @('MailUniversalDistributionGroup', 'MailUniversalSecurityGroup', 'MailNonUniversalGroup')
}

function Get-LsAddinConstant {
    <#
    .SYNOPSIS
        The add-in deployment constants (limits, namespaces, recipient types).
    #>
    [CmdletBinding()]
    param()
    $script:Addin
}

#endregion

# ---------------------------------------------------------------------------------------
#region Manifest
# ---------------------------------------------------------------------------------------

function ConvertTo-LsAddinVersion {
    <#
    .SYNOPSIS
        A manifest or app version as a four-part [version] ("1.2" is 1.2.0.0), or $null.
    #>
    [CmdletBinding()]
    param([AllowNull()][AllowEmptyString()][string]$Text)
    if ([string]::IsNullOrEmpty($Text)) { return $null }
    $parts = @($Text.Trim().Split('.'))
    if ($parts.Count -gt 4) { return $null }
    $numbers = @()
    foreach ($part in $parts) {
        $n = 0
        if (-not [int]::TryParse($part, [System.Globalization.NumberStyles]::None, [System.Globalization.CultureInfo]::InvariantCulture, [ref]$n)) { return $null }
        if ($n -gt 65535) { return $null }
        $numbers += $n
    }
    while ($numbers.Count -lt 4) { $numbers += 0 }
    New-Object System.Version($numbers[0], $numbers[1], $numbers[2], $numbers[3])
}

function Read-LsAddinManifest {
    <#
    .SYNOPSIS
        Parses an add-in-only XML manifest and checks it against what on-premises Exchange accepts.
    .DESCRIPTION
        Returns an object with Id, Version, DisplayName, ProviderName, Permissions,
        MailboxMinVersion, SourceLocations, Urls, HasLaunchEvent, NeedsReadWriteMailbox and
        Problems (every problem found, all at once; empty when the manifest is usable).
        The XML is read with DTD processing prohibited and no resolver (no external fetches).
        URLs on a loopback host are refused (other machines cannot reach them). With
        ExpectedOrigin (the origin the manifest was downloaded from), every URL must be on that
        origin: "linksecure serve" builds them from its --public-url, so a different origin
        means --public-url is not the name the clients use.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][AllowEmptyCollection()][byte[]]$Bytes,
        [Parameter(Mandatory = $true)][string]$Source,
        [string]$ExpectedOrigin
    )
    $problems = [System.Collections.Generic.List[string]]::new()
    $info = [ordered]@{
        Source = $Source; Id = $null; Version = $null; DisplayName = $null; ProviderName = $null
        Permissions = $null; MailboxMinVersion = $null; SourceLocations = @(); Urls = @()
        HasLaunchEvent = $false; NeedsReadWriteMailbox = $false; Problems = $null
    }
    $document = $null
    if ($Bytes.Length -eq 0) {
        $problems.Add('The manifest is empty.')
    }
    else {
        $settings = New-Object System.Xml.XmlReaderSettings
        $settings.DtdProcessing = [System.Xml.DtdProcessing]::Prohibit
        $settings.XmlResolver = $null
        $stream = New-Object System.IO.MemoryStream(, $Bytes)
        $reader = [System.Xml.XmlReader]::Create($stream, $settings)
        try {
            $document = New-Object System.Xml.XmlDocument
            $document.XmlResolver = $null
            $document.Load($reader)
        }
        catch {
            $message = $_.Exception.Message
            if ($null -ne $_.Exception.InnerException) { $message = $_.Exception.InnerException.Message }
            $problems.Add("The manifest is not well-formed XML: $message")
            $document = $null
        }
        finally {
            $reader.Dispose()
            $stream.Dispose()
        }
    }

    if ($null -ne $document -and $document.OuterXml.Contains($script:Addin.BaseUrlToken)) {
        # The file in the source tree is a template; "linksecure serve" fills in its public URL.
        $problems.Add("The manifest still contains $($script:Addin.BaseUrlToken): it is the template from the source tree. Use -ManifestUrl https://<name>/addin/manifest.xml, or save that served manifest and pass it with -ManifestPath.")
        $document = $null
    }
    if ($null -ne $document) {
        $root = $document.DocumentElement
        $ns = New-Object System.Xml.XmlNamespaceManager($document.NameTable)
        $ns.AddNamespace('o', $script:Addin.OfficeAppNamespace)
        if ($root.LocalName -ne 'OfficeApp' -or $root.NamespaceURI -ne $script:Addin.OfficeAppNamespace) {
            $problems.Add("The root element is <$($root.Name)> in namespace '$($root.NamespaceURI)'; an add-in-only manifest has <OfficeApp xmlns=""$($script:Addin.OfficeAppNamespace)"">. (Exchange on-premises does not accept the unified JSON manifest.)")
        }
        else {
            $type = $root.GetAttribute('type', $script:Addin.XsiNamespace)
            if ($type -notmatch '(^|:)MailApp$') { $problems.Add("OfficeApp xsi:type is '$type'; an Outlook add-in is a MailApp.") }

            $idText = Get-LsAddinNodeText -Node $root.SelectSingleNode('o:Id', $ns)
            $id = [guid]::Empty
            if ([string]::IsNullOrEmpty($idText)) { $problems.Add('The manifest has no <Id>.') }
            elseif (-not [guid]::TryParse($idText, [ref]$id) -or $id -eq [guid]::Empty) { $problems.Add("<Id> '$idText' is not a GUID.") }
            else { $info.Id = $id.ToString() }

            $versionText = Get-LsAddinNodeText -Node $root.SelectSingleNode('o:Version', $ns)
            if ([string]::IsNullOrEmpty($versionText)) { $problems.Add('The manifest has no <Version>.') }
            elseif ($null -eq (ConvertTo-LsAddinVersion -Text $versionText)) { $problems.Add("<Version> '$versionText' is not of the form n.n.n.n (up to four numbers of at most 65535).") }
            else { $info.Version = $versionText }

            $info.ProviderName = Get-LsAddinNodeText -Node $root.SelectSingleNode('o:ProviderName', $ns)
            $displayName = $root.SelectSingleNode('o:DisplayName', $ns)
            if ($null -ne $displayName) { $info.DisplayName = $displayName.GetAttribute('DefaultValue') }
            if ([string]::IsNullOrEmpty($info.DisplayName)) { $problems.Add('The manifest has no <DisplayName DefaultValue="...">.') }

            # Requirements: a Mailbox set of at most 1.5; without one the minimum is 1.1.
            $sets = $root.SelectSingleNode('o:Requirements/o:Sets', $ns)
            $minText = '1.1'
            if ($null -ne $sets) {
                $default = $sets.GetAttribute('DefaultMinVersion')
                if (-not [string]::IsNullOrEmpty($default)) { $minText = $default }
                $mailbox = $sets.SelectSingleNode("o:Set[@Name='Mailbox']", $ns)
                if ($null -ne $mailbox -and -not [string]::IsNullOrEmpty($mailbox.GetAttribute('MinVersion'))) { $minText = $mailbox.GetAttribute('MinVersion') }
            }
            $minVersion = ConvertTo-LsAddinVersion -Text $minText
            if ($null -eq $minVersion) { $problems.Add("The Mailbox requirement set version '$minText' is not a version.") }
            else {
                $info.MailboxMinVersion = $minText
                if ($minVersion -gt (ConvertTo-LsAddinVersion -Text ([string]$script:Addin.MaxMailboxMinVersion))) {
                    $problems.Add("The manifest requires Mailbox $minText; Exchange 2016, 2019 and SE accept at most $($script:Addin.MaxMailboxMinVersion). Keep the top-level <Set Name=""Mailbox"" MinVersion=""1.1""/> and put newer features in VersionOverrides behind feature detection.")
                }
            }

            $permissions = Get-LsAddinNodeText -Node $root.SelectSingleNode('o:Permissions', $ns)
            if ([string]::IsNullOrEmpty($permissions)) { $problems.Add('The manifest has no <Permissions>.') }
            elseif (@('Restricted', 'ReadItem', 'ReadWriteItem', 'ReadWriteMailbox') -notcontains $permissions) { $problems.Add("<Permissions> '$permissions' is not Restricted, ReadItem, ReadWriteItem or ReadWriteMailbox.") }
            else {
                $info.Permissions = $permissions
                $info.NeedsReadWriteMailbox = ($permissions -eq 'ReadWriteMailbox')
            }

            # Every URL must be absolute HTTPS ("Outlook add-ins require all content to be delivered by SSL").
            $sourceLocations = [System.Collections.Generic.List[string]]::new()
            $urls = [System.Collections.Generic.List[string]]::new()
            foreach ($node in @($document.SelectNodes("//*[local-name()='SourceLocation' or local-name()='IconUrl' or local-name()='HighResolutionIconUrl' or local-name()='SupportUrl' or ((local-name()='Url' or local-name()='Image') and local-name(../..)='Resources')]"))) {
                $value = $node.GetAttribute('DefaultValue')
                if ($node.LocalName -eq 'SourceLocation' -and [string]::IsNullOrEmpty($value) -and $node.HasAttribute('resid')) { continue }
                if ($node.LocalName -eq 'SourceLocation') { $sourceLocations.Add($value) }
                $urls.Add($value)
                foreach ($override in @($node.ChildNodes | Where-Object { $_ -is [System.Xml.XmlElement] -and $_.LocalName -eq 'Override' })) { $urls.Add($override.GetAttribute('Value')) }
            }
            foreach ($appDomain in @($root.SelectNodes('o:AppDomains/o:AppDomain', $ns))) { $urls.Add((Get-LsAddinNodeText -Node $appDomain)) }
            if ($sourceLocations.Count -eq 0) { $problems.Add('The manifest has no <SourceLocation DefaultValue="https://...">.') }
            foreach ($url in @($urls | Select-Object -Unique)) {
                $uri = $null
                # "scheme://" first: on Linux "/path" would parse as an absolute file: URI.
                if ($url -notmatch '^[A-Za-z][A-Za-z0-9+.-]*://' -or -not [System.Uri]::TryCreate($url, [System.UriKind]::Absolute, [ref]$uri)) { $problems.Add("'$url' is not an absolute URL.") }
                elseif ($uri.Scheme -ne 'https') { $problems.Add("'$url' is not HTTPS; every URL in an Outlook add-in manifest must be.") }
                elseif ($uri.IsLoopback) { $problems.Add("'$url' is on a loopback address, which no other machine reaches. Start ""linksecure serve"" with --public-url https://<DNS name>.") }
                elseif (-not [string]::IsNullOrEmpty($ExpectedOrigin) -and $uri.GetLeftPart([System.UriPartial]::Authority) -ne $ExpectedOrigin) {
                    $problems.Add("'$url' is not on $ExpectedOrigin, where the manifest was downloaded from. Start ""linksecure serve"" with --public-url $ExpectedOrigin (the name the clients use).")
                }
            }
            $info.SourceLocations = $sourceLocations.ToArray()
            $info.Urls = @($urls | Sort-Object -Unique)
            $info.HasLaunchEvent = ($null -ne $document.SelectSingleNode("//*[local-name()='LaunchEvent']"))
        }
    }
    $info.Problems = $problems.ToArray()
    [pscustomobject]$info
}

function Read-LsAddinManifestFile {
    <#
    .SYNOPSIS
        A manifest file's full path and bytes (what New-App -FileData takes).
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][string]$Path)
    if (-not (Test-Path -LiteralPath $Path -PathType Leaf)) { throw "Manifest file '$Path' not found." }
    $full = (Resolve-Path -LiteralPath $Path).ProviderPath
    [pscustomobject]@{ Source = $full; Bytes = [System.IO.File]::ReadAllBytes($full) }
}

function Get-LsAddinInstalledManifest {
    <#
    .SYNOPSIS
        The manifest of an installed app (Get-App's ManifestXml) as text, or $null.
    .DESCRIPTION
        ManifestXml may come as text (remote shell) or as an XML document (local snap-in).
        Returns $null when it is missing or is not a readable add-in manifest.
    #>
    [CmdletBinding()]
    param([AllowNull()][object]$App)
    $value = Get-LsPropertyValue -InputObject $App -Name 'ManifestXml'
    if ($null -eq $value) { return $null }
    if ($value -is [System.Xml.XmlNode]) { $text = $value.OuterXml } else { $text = [string]$value }
    if ([string]::IsNullOrEmpty($text)) { return $null }
    $read = Read-LsAddinManifest -Bytes ([System.Text.Encoding]::UTF8.GetBytes($text)) -Source 'Get-App ManifestXml'
    if ($null -eq $read.Id) { return $null }
    [pscustomobject]@{ Text = $text; Manifest = $read }
}

function Get-LsAddinNodeText {
    <#
    .SYNOPSIS
        The trimmed inner text of an XML node, or $null.
    #>
    [CmdletBinding()]
    param([AllowNull()][object]$Node)
    if ($null -eq $Node) { return $null }
    $text = ([string]$Node.InnerText).Trim()
    if ($text.Length -eq 0) { return $null }
    $text
}

function Get-LsAddinManifestFromUrl {
    <#
    .SYNOPSIS
        Downloads the served manifest, as the Exchange server will (HTTPS, valid certificate, no redirects).
    .DESCRIPTION
        Returns the body as bytes. Throws a clear error when the URL is not HTTPS, the host
        cannot be reached in time, the certificate is not valid (untrusted, expired, wrong
        name: the normal .NET validation, never bypassed), the server redirects (New-App -Url
        does not follow redirects on Exchange 2016/2019), the status is not 200, or the body
        is larger than MaxBytes.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][string]$Url,
        [ValidateRange(1, 300)][int]$TimeoutSeconds = 15,
        [ValidateRange(1, 67108864)][int]$MaxBytes = $script:Addin.MaxManifestBytes
    )
    $uri = $null
    if (-not [System.Uri]::TryCreate($Url, [System.UriKind]::Absolute, [ref]$uri) -or $uri.Scheme -ne 'https') {
        throw "The manifest URL '$Url' is not an absolute https:// URL. Outlook add-ins are served over HTTPS only."
    }
    Add-Type -AssemblyName System.Net.Http
    if ($PSVersionTable.PSEdition -ne 'Core') {
        # Windows PowerShell 5.1: make sure TLS 1.2 is on for this process (older defaults lack it).
        [System.Net.ServicePointManager]::SecurityProtocol = [System.Net.ServicePointManager]::SecurityProtocol -bor [System.Net.SecurityProtocolType]::Tls12
    }
    $handler = New-Object System.Net.Http.HttpClientHandler
    $handler.AllowAutoRedirect = $false
    $client = New-Object System.Net.Http.HttpClient($handler)
    $client.Timeout = [System.TimeSpan]::FromSeconds($TimeoutSeconds)
    $response = $null
    try {
        try {
            $response = $client.GetAsync($uri, [System.Net.Http.HttpCompletionOption]::ResponseHeadersRead).GetAwaiter().GetResult()
        }
        catch {
            throw (Get-LsAddinDownloadError -Url $Url -ErrorRecord $_ -TimeoutSeconds $TimeoutSeconds)
        }
        $status = [int]$response.StatusCode
        if ($status -ge 300 -and $status -lt 400) {
            $location = $response.Headers.Location
            throw "The manifest URL '$Url' redirects (HTTP $status to '$location'). Exchange 2016 and 2019 do not follow redirects for New-App -Url: pass the final URL."
        }
        if ($status -ne 200) {
            throw "The manifest URL '$Url' answered HTTP $status $($response.ReasonPhrase); expected 200 with the manifest."
        }
        $length = $response.Content.Headers.ContentLength
        if ($null -ne $length -and $length -gt $MaxBytes) {
            throw "The manifest at '$Url' is $length bytes; more than $MaxBytes bytes is not a manifest."
        }
        $body = $response.Content.ReadAsStreamAsync().GetAwaiter().GetResult()
        $buffer = New-Object System.IO.MemoryStream
        try {
            $chunk = New-Object byte[] 8192
            while (($read = $body.Read($chunk, 0, $chunk.Length)) -gt 0) {
                $buffer.Write($chunk, 0, $read)
                if ($buffer.Length -gt $MaxBytes) { throw "The manifest at '$Url' is larger than $MaxBytes bytes; that is not a manifest." }
            }
            , $buffer.ToArray()
        }
        finally {
            $buffer.Dispose()
            $body.Dispose()
        }
    }
    finally {
        if ($null -ne $response) { $response.Dispose() }
        $client.Dispose()
    }
}

function Get-LsAddinDownloadError {
    <#
    .SYNOPSIS
        The message for a failed manifest download: certificate, time-out or connection.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][string]$Url,
        [Parameter(Mandatory = $true)][System.Management.Automation.ErrorRecord]$ErrorRecord,
        [int]$TimeoutSeconds
    )
    $messages = [System.Collections.Generic.List[string]]::new()
    $certificate = $false
    $timeout = $false
    $exception = $ErrorRecord.Exception
    while ($null -ne $exception) {
        if ($exception -is [System.Management.Automation.MethodInvocationException]) { $exception = $exception.InnerException; continue }
        if ($exception -is [System.Security.Authentication.AuthenticationException]) { $certificate = $true }
        if ($exception -is [System.Net.WebException] -and @('TrustFailure', 'SecureChannelFailure') -contains [string]$exception.Status) { $certificate = $true }
        if ($exception -is [System.OperationCanceledException] -or $exception -is [System.TimeoutException]) { $timeout = $true }
        if (-not $messages.Contains($exception.Message)) { $messages.Add($exception.Message) }
        $exception = $exception.InnerException
    }
    $detail = $messages -join ' / '
    if ($certificate) {
        return "The certificate of '$Url' is not valid for this server: $detail. Outlook clients and the Exchange server must trust it: use a certificate for the service's DNS name from a CA the clients trust (see docs/addin.md, section Deploying)."
    }
    if ($timeout) {
        return "The manifest URL '$Url' did not answer within $TimeoutSeconds seconds: $detail"
    }
    "The manifest URL '$Url' cannot be reached from this server: $detail. Is 'linksecure serve' running, and does the DNS name resolve here? The Exchange server downloads the manifest itself for New-App -Url."
}

#endregion

# ---------------------------------------------------------------------------------------
#region Scoping: users and groups
# ---------------------------------------------------------------------------------------

function Resolve-LsAddinUser {
    <#
    .SYNOPSIS
        The recipients that -UserList will name: the users given, and the members of the groups.
    .DESCRIPTION
        New-App/Set-App -ProvidedTo SpecificUsers -UserList take mailboxes and mail users, not
        groups. Groups are therefore expanded here (nested groups too, each once) into their
        user members, a snapshot taken now: later changes to the group need another run.
        Dynamic distribution groups are refused (their members are computed at send time).
        Returns objects with Key (the recipient GUID), UserListValue (the primary SMTP address),
        Name and Via (the group or 'user'). Throws on unknown identities, a group passed as a
        user, a user passed as a group, or more than the 1000 users Exchange allows.
    #>
    [CmdletBinding()]
    param(
        [AllowNull()][string[]]$Users,
        [AllowNull()][string[]]$Groups
    )
    $found = [ordered]@{}
    $problems = [System.Collections.Generic.List[string]]::new()
    foreach ($identity in @($Users | Where-Object { -not [string]::IsNullOrEmpty($_) })) {
        $recipient = Get-LsAddinRecipient -Identity $identity -Problems $problems
        if ($null -eq $recipient) { continue }
        $type = [string](Get-LsPropertyValue -InputObject $recipient -Name 'RecipientTypeDetails')
        $baseType = [string](Get-LsPropertyValue -InputObject $recipient -Name 'RecipientType')
        if ($script:Addin.UserRecipientTypes -notcontains $baseType) {
            if ($baseType -like '*Group*' -or $type -like '*Group*') { $problems.Add("-Users '$identity' is a group ($type); pass it with -Groups.") }
            else { $problems.Add("-Users '$identity' is a $type; -UserList takes mailboxes and mail users only.") }
            continue
        }
        Add-LsAddinUser -Found $found -Recipient $recipient -Via 'user'
    }
    foreach ($identity in @($Groups | Where-Object { -not [string]::IsNullOrEmpty($_) })) {
        $group = Get-LsAddinRecipient -Identity $identity -Problems $problems
        if ($null -eq $group) { continue }
        $type = [string](Get-LsPropertyValue -InputObject $group -Name 'RecipientTypeDetails')
        if ($type -eq 'DynamicDistributionGroup' -or [string](Get-LsPropertyValue -InputObject $group -Name 'RecipientType') -eq 'DynamicDistributionGroup') {
            $problems.Add("-Groups '$identity' is a dynamic distribution group. Its members are computed when mail is sent, and an app's -UserList is a fixed list of users: use a static distribution or mail-enabled security group, or -Users.")
            continue
        }
        if ($script:Addin.GroupRecipientTypes -notcontains [string](Get-LsPropertyValue -InputObject $group -Name 'RecipientType')) {
            $problems.Add("-Groups '$identity' is a $type, not a distribution or mail-enabled security group.")
            continue
        }
        $before = $found.Count
        Expand-LsAddinGroup -Group $group -Found $found -Via ([string](Get-LsPropertyValue -InputObject $group -Name 'Name')) -Seen (New-Object 'System.Collections.Generic.HashSet[string]')
        if ($found.Count -eq $before) { Write-Warning "Group '$identity' adds no users that are not already listed (empty, or only groups and contacts)." }
    }
    if ($problems.Count -gt 0) { throw ("The add-in scope cannot be resolved:`n  " + ($problems -join "`n  ")) }
    if ($found.Count -gt $script:Addin.MaxUserList) {
        throw "The scope resolves to $($found.Count) users; Exchange takes at most $($script:Addin.MaxUserList) in -UserList. Install for everyone (no -Users/-Groups) or split the deployment."
    }
    @($found.Values)
}

function Get-LsAddinRecipient {
    <#
    .SYNOPSIS
        One recipient by identity (Get-Recipient), or $null with a problem recorded.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][string]$Identity,
        [Parameter(Mandatory = $true)][AllowEmptyCollection()][System.Collections.Generic.List[string]]$Problems
    )
    try {
        $candidates = @(Get-Recipient -Identity $Identity -ErrorAction Stop)
    }
    catch {
        $Problems.Add("'$Identity' was not found: $($_.Exception.Message)")
        return $null
    }
    if ($candidates.Count -ne 1) {
        $Problems.Add("'$Identity' matches $($candidates.Count) recipients; use the SMTP address.")
        return $null
    }
    $candidates[0]
}

function Add-LsAddinUser {
    <#
    .SYNOPSIS
        Adds a user recipient to the resolved list once (keyed by its GUID).
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][System.Collections.Specialized.OrderedDictionary]$Found,
        [Parameter(Mandatory = $true)][object]$Recipient,
        [Parameter(Mandatory = $true)][string]$Via
    )
    $key = Get-LsAddinRecipientKey -Recipient $Recipient
    if ($Found.Contains($key)) { return }
    $address = [string](Get-LsPropertyValue -InputObject $Recipient -Name 'PrimarySmtpAddress')
    $Found[$key] = [pscustomobject]@{
        Key           = $key
        UserListValue = $(if ([string]::IsNullOrEmpty($address)) { [string](Get-LsPropertyValue -InputObject $Recipient -Name 'DistinguishedName') } else { $address })
        Name          = [string](Get-LsPropertyValue -InputObject $Recipient -Name 'Name')
        Via           = $Via
    }
}

function Get-LsAddinRecipientKey {
    <#
    .SYNOPSIS
        A recipient's stable key: its GUID, else its distinguished name.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][object]$Recipient)
    $guid = Get-LsPropertyValue -InputObject $Recipient -Name 'Guid'
    if ($null -ne $guid -and -not [string]::IsNullOrEmpty([string]$guid)) { return ([string]$guid).ToLowerInvariant() }
    ([string](Get-LsPropertyValue -InputObject $Recipient -Name 'DistinguishedName')).ToLowerInvariant()
}

function Expand-LsAddinGroup {
    <#
    .SYNOPSIS
        Adds a group's user members to the list, descending into nested groups once each.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][object]$Group,
        [Parameter(Mandatory = $true)][System.Collections.Specialized.OrderedDictionary]$Found,
        [Parameter(Mandatory = $true)][string]$Via,
        [Parameter(Mandatory = $true)][AllowEmptyCollection()][System.Collections.Generic.HashSet[string]]$Seen
    )
    if (-not $Seen.Add((Get-LsAddinRecipientKey -Recipient $Group))) { return }
    $identity = [string](Get-LsPropertyValue -InputObject $Group -Name 'DistinguishedName')
    if ([string]::IsNullOrEmpty($identity)) { $identity = [string](Get-LsPropertyValue -InputObject $Group -Name 'Identity') }
    # Without -ResultSize Unlimited the cmdlet stops at 1000 members, silently.
    foreach ($member in @(Get-DistributionGroupMember -Identity $identity -ResultSize Unlimited -ErrorAction Stop)) {
        $type = [string](Get-LsPropertyValue -InputObject $member -Name 'RecipientType')
        if ($script:Addin.UserRecipientTypes -contains $type) { Add-LsAddinUser -Found $Found -Recipient $member -Via $Via }
        elseif ($script:Addin.GroupRecipientTypes -contains $type) { Expand-LsAddinGroup -Group $member -Found $Found -Via $Via -Seen $Seen }
        else { Write-Verbose "Skipping member '$([string](Get-LsPropertyValue -InputObject $member -Name 'Name'))' of '$Via' ($type): -UserList takes users only." }
    }
}

function Resolve-LsAddinUserListKey {
    <#
    .SYNOPSIS
        The keys (recipient GUIDs) of an installed app's UserList, resolved through Get-Recipient.
    .DESCRIPTION
        Get-App shows UserList entries as identities (canonical names), not as what was
        passed in. Entries that no longer resolve get the key "unresolved:<entry>", so they
        count as a difference.
    #>
    [CmdletBinding()]
    param([AllowNull()][object]$UserList)
    foreach ($entry in @(ConvertTo-LsNameList -InputObject $UserList)) {
        try {
            $recipient = @(Get-Recipient -Identity $entry -ErrorAction Stop)
            if ($recipient.Count -eq 1) { Get-LsAddinRecipientKey -Recipient $recipient[0] }
            else { "unresolved:$entry" }
        }
        catch {
            "unresolved:$entry"
        }
    }
}

#endregion

# ---------------------------------------------------------------------------------------
#region Installed app
# ---------------------------------------------------------------------------------------

function Find-LsAddinApp {
    <#
    .SYNOPSIS
        The app whose AppId is the manifest Id, from a Get-App list, or $null.
    #>
    [CmdletBinding()]
    param(
        [AllowNull()][object[]]$Apps,
        [Parameter(Mandatory = $true)][string]$Id
    )
    $wanted = ([guid]$Id).ToString()
    foreach ($app in @($Apps)) {
        if ($null -eq $app) { continue }
        $appId = [string](Get-LsPropertyValue -InputObject $app -Name 'AppId')
        $parsed = [guid]::Empty
        if ([guid]::TryParse($appId, [ref]$parsed) -and $parsed.ToString() -eq $wanted) { return $app }
    }
    $null
}

function Compare-LsAddinApp {
    <#
    .SYNOPSIS
        Compares an installed organization app with the wanted availability.
    .DESCRIPTION
        Returns Differences (names) and the Set-App parameters that fix them. Desired has
        DefaultStateForUser, Enabled, ProvidedTo and UserKeys/UserList (for SpecificUsers).
        InstalledUserKeys are the keys of the app's current UserList (Resolve-LsAddinUserListKey).
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][object]$Existing,
        [Parameter(Mandatory = $true)][object]$Desired,
        [AllowNull()][string[]]$InstalledUserKeys
    )
    $differences = [System.Collections.Generic.List[string]]::new()
    $parameters = @{}
    if ([string](Get-LsPropertyValue -InputObject $Existing -Name 'DefaultStateForUser') -ne $Desired.DefaultStateForUser) {
        $differences.Add('DefaultStateForUser')
        $parameters['DefaultStateForUser'] = $Desired.DefaultStateForUser
    }
    if ([bool](Get-LsPropertyValue -InputObject $Existing -Name 'Enabled') -ne $Desired.Enabled) {
        $differences.Add('Enabled')
        $parameters['Enabled'] = $Desired.Enabled
    }
    $providedTo = [string](Get-LsPropertyValue -InputObject $Existing -Name 'ProvidedTo')
    if ($providedTo -ne $Desired.ProvidedTo) {
        $differences.Add('ProvidedTo')
        $parameters['ProvidedTo'] = $Desired.ProvidedTo
        if ($Desired.ProvidedTo -eq 'SpecificUsers') {
            $differences.Add('UserList')
            $parameters['UserList'] = @($Desired.UserList)
        }
    }
    elseif ($Desired.ProvidedTo -eq 'SpecificUsers' -and -not (Test-LsSameSet -Left $InstalledUserKeys -Right $Desired.UserKeys)) {
        $differences.Add('UserList')
        # Exchange wants the audience and the list together.
        $parameters['ProvidedTo'] = 'SpecificUsers'
        $parameters['UserList'] = @($Desired.UserList)
    }
    [pscustomobject]@{
        Differences = $differences.ToArray()
        Parameters  = $parameters
    }
}

function Assert-LsAddinShell {
    <#
    .SYNOPSIS
        Makes sure the Exchange cmdlets a script needs are there, loading the snap-in if not.
    .DESCRIPTION
        LoadSnapin is the calling script's { Add-LsExchangeSnapin } (the platform functions
        of LinkSecure.Install.psm1 are called from the scripts only, so tests can replace
        them). Throws a clear error outside the Exchange Management Shell, and when the
        caller's role assignments lack one of Cmdlets (the "Org Custom Apps" role).
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][scriptblock]$LoadSnapin,
        [Parameter(Mandatory = $true)][string[]]$Cmdlets
    )
    if (-not (Test-LsExchangeShell)) {
        Write-Verbose 'Exchange cmdlets not found; loading the Exchange snap-in.'
        try { & $LoadSnapin } catch { Write-Verbose $_.Exception.Message }
        if (-not (Test-LsExchangeShell)) {
            throw 'The Exchange cmdlets are not available. Run this script in the Exchange Management Shell.'
        }
    }
    foreach ($command in $Cmdlets) {
        if ($null -eq (Get-Command -Name $command -ErrorAction SilentlyContinue)) {
            throw "The Exchange cmdlet $command is not available to you. Managing organization apps needs the ""Org Custom Apps"" role (for example through Organization Management)."
        }
    }
}

function Invoke-LsAddinStep {
    <#
    .SYNOPSIS
        Runs one change through the calling script's ShouldProcess and records a step result.
    .DESCRIPTION
        Returns $true when the change was made. Under -WhatIf records WhatIf, when the
        operator declines records Declined; the change is not run in either case.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][System.Management.Automation.PSCmdlet]$Cmdlet,
        [Parameter(Mandatory = $true)][AllowEmptyCollection()][System.Collections.Generic.List[object]]$Results,
        [Parameter(Mandatory = $true)][string]$Step,
        [Parameter(Mandatory = $true)][string]$Target,
        [Parameter(Mandatory = $true)][string]$Action,
        [Parameter(Mandatory = $true)][scriptblock]$Change,
        [bool]$WhatIfMode
    )
    if ($Cmdlet.ShouldProcess($Target, $Action)) {
        & $Change | Out-Null
        $Results.Add((New-LsStepResult -Step $Step -Target $Target -Status 'Changed' -Detail $Action))
        return $true
    }
    $status = 'Declined'
    if ($WhatIfMode) { $status = 'WhatIf' }
    $Results.Add((New-LsStepResult -Step $Step -Target $Target -Status $status -Detail $Action))
    $false
}

function Write-LsAddinSummary {
    <#
    .SYNOPSIS
        Prints the closing line of a run: what changed, or that nothing did.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][AllowEmptyCollection()][System.Collections.Generic.List[object]]$Results,
        [bool]$WhatIfMode,
        [Parameter(Mandatory = $true)][string]$NoChangeText
    )
    $changed = @($Results | Where-Object { $_.Status -eq 'Changed' }).Count
    $would = @($Results | Where-Object { $_.Status -eq 'WhatIf' }).Count
    if ($WhatIfMode) { Write-Host "WhatIf: $would change(s) would be made; nothing was changed." }
    elseif ($changed -eq 0) { Write-Host $NoChangeText }
    else { Write-Host "$changed change(s) made." }
}

#endregion

Export-ModuleMember -Function @(
    'Get-LsAddinConstant', 'ConvertTo-LsAddinVersion', 'Read-LsAddinManifest', 'Read-LsAddinManifestFile', 'Get-LsAddinInstalledManifest', 'Get-LsAddinNodeText',
    'Get-LsAddinManifestFromUrl', 'Get-LsAddinDownloadError',
    'Resolve-LsAddinUser', 'Get-LsAddinRecipient', 'Add-LsAddinUser', 'Get-LsAddinRecipientKey', 'Expand-LsAddinGroup',
    'Resolve-LsAddinUserListKey', 'Find-LsAddinApp', 'Compare-LsAddinApp', 'Assert-LsAddinShell', 'Invoke-LsAddinStep', 'Write-LsAddinSummary'
)
