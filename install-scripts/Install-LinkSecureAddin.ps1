<#
.SYNOPSIS
    Installs or updates the ExchangeLinkSecure Outlook add-in as an organization app (New-App -OrganizationApp).

.DESCRIPTION
    Run in the Exchange Management Shell of Exchange Server 2016, 2019 or Subscription
    Edition, as a member of a role group with the "Org Custom Apps" role (for example
    Organization Management), preferably on an Exchange server: with -ManifestUrl the
    Exchange server downloads the manifest itself.

    Before changing anything the script reads the manifest (from -ManifestUrl, the
    manifest that "linksecure serve" serves at https://<name>/addin/manifest.xml, or from
    -ManifestPath) and checks it: well-formed XML, an add-in-only MailApp manifest with a
    GUID <Id> and a <Version>, the Mailbox requirement set at most 1.5 (what on-premises
    Exchange accepts), every URL HTTPS. With -ManifestUrl it also downloads it the way
    Exchange will: HTTPS with a valid certificate, no redirects.

    It then brings the organization to this state, changing only what differs:

      * the app with the manifest's Id is installed for the organization, from the URL
        (New-App -Url) or from the file's bytes (New-App -FileData);
      * it is enabled, with the default state -DefaultState for users;
      * it is provided to everyone, or with -Users / -Groups to exactly those users
        (-ProvidedTo SpecificUsers -UserList).

    An app with the same Id, the same Version and the same URLs is updated in place with
    Set-App. When the Version or the URLs differ (a new release, or a new public URL of
    "linksecure serve"), Exchange needs the manifest imported again: New-App refuses an Id
    that is installed, so the script removes the old app and installs the new manifest with
    the same settings. If that installation fails, it puts the previous manifest back.
    Change the manifest's <Version> to roll out a changed manifest: clients cache by Version.

    Scoping: Exchange's -UserList takes mailboxes and mail users (at most 1000), not
    groups. -Groups are expanded into their user members (nested groups too) when the
    script runs; members added to a group later get the add-in only at the next run, so
    schedule the script if the group changes. Dynamic distribution groups are refused.

    A second run with the same manifest and scope changes nothing and says so. -WhatIf
    shows every change without making any. A real run writes a transcript to the
    temporary folder.

.PARAMETER ManifestUrl
    The served manifest, https://<name>/addin/manifest.xml. Installed with New-App -Url.
    The URL must answer 200 directly (no redirect) with a certificate the Exchange server
    and the Outlook clients trust.

.PARAMETER ManifestPath
    A manifest file. Installed with New-App -FileData (its bytes).

.PARAMETER Users
    Mailboxes or mail users (name, alias, SMTP address, ...) who get the add-in. With
    -Groups, the union. Without -Users and -Groups the add-in is provided to everyone.

.PARAMETER Groups
    Distribution groups or mail-enabled security groups whose user members (nested groups
    included) get the add-in. The membership is read when the script runs.

.PARAMETER DefaultState
    The users' initial state: Enabled (default; users can turn it off), Disabled (users
    turn it on themselves) or AlwaysEnabled (users cannot turn it off).

.PARAMETER AllowDowngrade
    Install a manifest whose Version is lower than the installed app's.

.PARAMETER TimeoutSeconds
    How long to wait for the manifest URL. Default 15.

.EXAMPLE
    .\Install-LinkSecureAddin.ps1 -ManifestUrl https://linksecure.corp.example/addin/manifest.xml -WhatIf

    Shows what installing the served add-in for everyone would change.

.EXAMPLE
    .\Install-LinkSecureAddin.ps1 -ManifestUrl https://linksecure.corp.example/addin/manifest.xml -Groups 'LinkSecure Pilot' -DefaultState AlwaysEnabled

    Provides the add-in to the members of the group "LinkSecure Pilot", turned on.

.EXAMPLE
    .\Install-LinkSecureAddin.ps1 -ManifestPath D:\ExchangeLinkSecure\addin\manifest.xml -Users alice@corp.example, bob@corp.example

    Installs from a file for two users.

.OUTPUTS
    LinkSecure.StepResult objects (Step, Status, Target, Detail). Status is Changed,
    Unchanged, WhatIf, Declined, Skipped or Failed.

.LINK
    docs/addin.md (Deploying)
#>

#Requires -Version 5.1

[CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'Medium', DefaultParameterSetName = 'Url')]
param(
    [Parameter(Mandatory = $true, ParameterSetName = 'Url')][string]$ManifestUrl,
    [Parameter(Mandatory = $true, ParameterSetName = 'Path')][string]$ManifestPath,
    [string[]]$Users,
    [string[]]$Groups,
    [ValidateSet('Enabled', 'Disabled', 'AlwaysEnabled')][string]$DefaultState = 'Enabled',
    [switch]$AllowDowngrade,
    [ValidateRange(1, 300)][int]$TimeoutSeconds = 15
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot 'LinkSecure.Install.psm1') -Force -Verbose:$false
Import-Module (Join-Path $PSScriptRoot 'LinkSecure.Addin.psm1') -Force -Verbose:$false

$results = [System.Collections.Generic.List[object]]::new()
$whatIfMode = [bool]$WhatIfPreference

# ---------------------------------------------------------------------------------------
# Preflight: read everything, change nothing.
# ---------------------------------------------------------------------------------------

Assert-LsAddinShell -LoadSnapin { Add-LsExchangeSnapin } -Cmdlets @('Get-App', 'New-App', 'Set-App', 'Remove-App', 'Get-Recipient', 'Get-DistributionGroupMember')

# The manifest.
if ($PSCmdlet.ParameterSetName -eq 'Url') { $file = [pscustomobject]@{ Source = $ManifestUrl; Bytes = (Get-LsAddinManifestFromUrl -Url $ManifestUrl -TimeoutSeconds $TimeoutSeconds) } }
else { $file = Read-LsAddinManifestFile -Path $ManifestPath }
$source = $file.Source
$bytes = $file.Bytes
$expectedOrigin = $null
if ($PSCmdlet.ParameterSetName -eq 'Url') { $expectedOrigin = ([uri]$ManifestUrl).GetLeftPart([System.UriPartial]::Authority) }
$manifest = Read-LsAddinManifest -Bytes $bytes -Source $source -ExpectedOrigin $expectedOrigin
if (@($manifest.Problems).Count -gt 0) {
    throw ("The manifest '$source' cannot be installed:`n  " + (@($manifest.Problems) -join "`n  "))
}
Write-Verbose "Manifest: $($manifest.DisplayName) $($manifest.Version), Id $($manifest.Id), Mailbox $($manifest.MailboxMinVersion), $($manifest.Permissions)"
if ($manifest.HasLaunchEvent) {
    Write-Verbose 'The manifest declares LaunchEvent (event-based activation): clients use it only when the add-in is deployed by an administrator, which this script does.'
}

# The audience.
$scopedUsers = @(Resolve-LsAddinUser -Users $Users -Groups $Groups)
$specific = (@($Users | Where-Object { $_ }).Count + @($Groups | Where-Object { $_ }).Count) -gt 0
if ($specific -and $scopedUsers.Count -eq 0) {
    throw 'The -Users and -Groups given resolve to no users; nobody would get the add-in. Check the groups'' members.'
}
$desired = [pscustomobject]@{
    DefaultStateForUser = $DefaultState
    Enabled             = $true
    ProvidedTo          = $(if ($specific) { 'SpecificUsers' } else { 'Everyone' })
    UserList            = @($scopedUsers | ForEach-Object { $_.UserListValue })
    UserKeys            = @($scopedUsers | ForEach-Object { $_.Key })
}
$scopeText = 'everyone'
if ($specific) {
    $via = @($scopedUsers | ForEach-Object { $_.Via } | Sort-Object -Unique)
    $scopeText = "$($scopedUsers.Count) user(s) ($($via -join ', '))"
}

# The installed app, by the manifest's Id.
$apps = @(Get-App -OrganizationApp)
$existing = Find-LsAddinApp -Apps $apps -Id $manifest.Id
$action = 'Install'
if ($null -ne $existing) {
    $installedVersion = [string](Get-LsPropertyValue -InputObject $existing -Name 'AppVersion')
    $old = ConvertTo-LsAddinVersion -Text $installedVersion
    $new = ConvertTo-LsAddinVersion -Text $manifest.Version
    $reimportReason = "version $installedVersion to $($manifest.Version)"
    if ($null -ne $old -and $old -eq $new) {
        $action = 'Update'
        # Same Version, other URLs (for example "linksecure serve --public-url" changed): Exchange keeps the
        # manifest it imported, so only a new import brings the new URLs to the clients.
        $installedManifest = Get-LsAddinInstalledManifest -App $existing
        if ($null -ne $installedManifest) {
            $installed = $installedManifest.Manifest
            if (@($installed.Urls).Count -gt 0 -and -not (Test-LsSameSet -Left $installed.Urls -Right $manifest.Urls)) {
                $action = 'Reimport'
                $reimportReason = "version $installedVersion, whose URLs differ ($(@($installed.SourceLocations) -join ', ') to $(@($manifest.SourceLocations) -join ', '))"
            }
        }
    }
    else {
        if ($null -ne $old -and $new -lt $old -and -not $AllowDowngrade) {
            throw "The installed add-in ($installedVersion) is newer than the manifest '$source' ($($manifest.Version)). Use -AllowDowngrade to install the older version."
        }
        $action = 'Reimport'
    }
}

$newAppParameters = @{
    OrganizationApp     = $true
    DefaultStateForUser = $desired.DefaultStateForUser
    Enabled             = $desired.Enabled
    ProvidedTo          = $desired.ProvidedTo
    Confirm             = $false
}
if ($specific) { $newAppParameters['UserList'] = $desired.UserList }
if ($manifest.NeedsReadWriteMailbox) { $newAppParameters['AllowReadWriteMailbox'] = $true }
if ($PSCmdlet.ParameterSetName -eq 'Url') { $newAppParameters['Url'] = $ManifestUrl } else { $newAppParameters['FileData'] = $bytes }

# ---------------------------------------------------------------------------------------
# Changes.
# ---------------------------------------------------------------------------------------

$transcriptStarted = $false
if (-not $whatIfMode) {
    $transcriptPath = Join-Path ([System.IO.Path]::GetTempPath()) ('Install-LinkSecureAddin-{0}.log' -f (Get-Date -Format 'yyyyMMdd-HHmmss'))
    Start-LsTranscript -Path $transcriptPath
    $transcriptStarted = $true
}

try {
    $target = "$($manifest.DisplayName) ($($manifest.Id))"
    $from = $(if ($PSCmdlet.ParameterSetName -eq 'Url') { "-Url $ManifestUrl" } else { "-FileData $source" })
    Write-Host ("ExchangeLinkSecure add-in {0} {1}: {2} for {3}, default state {4}" -f $manifest.DisplayName, $manifest.Version, $action.ToLowerInvariant(), $scopeText, $DefaultState)

    if ($action -eq 'Install') {
        [void](Invoke-LsAddinStep -Cmdlet $PSCmdlet -Results $results -WhatIfMode $whatIfMode -Step 'Organization app' -Target $target `
                -Action "New-App -OrganizationApp $from (version $($manifest.Version)) for $scopeText, $DefaultState" -Change {
                New-App @newAppParameters
            })
    }
    elseif ($action -eq 'Reimport') {
        $previousManifest = Get-LsAddinInstalledManifest -App $existing
        $previousParameters = @{
            OrganizationApp = $true
            Enabled         = [bool](Get-LsPropertyValue -InputObject $existing -Name 'Enabled')
            Confirm         = $false
        }
        foreach ($name in @('DefaultStateForUser', 'ProvidedTo')) {
            $value = [string](Get-LsPropertyValue -InputObject $existing -Name $name)
            if (-not [string]::IsNullOrEmpty($value)) { $previousParameters[$name] = $value }
        }
        if ($previousParameters['ProvidedTo'] -eq 'SpecificUsers') { $previousParameters['UserList'] = @(ConvertTo-LsNameList -InputObject (Get-LsPropertyValue -InputObject $existing -Name 'UserList')) }
        # Into the transcript, in case the old version has to be put back by hand.
        Write-Host ("Installed now: version {0}, enabled {1}, default state {2}, provided to {3} {4}" -f $installedVersion, $previousParameters['Enabled'],
            $previousParameters['DefaultStateForUser'], $previousParameters['ProvidedTo'], (@($previousParameters['UserList']) -join ', '))
        [void](Invoke-LsAddinStep -Cmdlet $PSCmdlet -Results $results -WhatIfMode $whatIfMode -Step 'Organization app' -Target $target `
                -Action "Re-import ($reimportReason): Remove-App, then New-App -OrganizationApp $from for $scopeText, $DefaultState" -Change {
                Remove-App -OrganizationApp -Identity $manifest.Id -Confirm:$false
                try {
                    New-App @newAppParameters
                }
                catch {
                    $failure = $_.Exception.Message
                    if ($null -eq $previousManifest) {
                        throw "New-App failed after the old version was removed, and Get-App gave no manifest to put back: $failure. Install version $installedVersion again by hand."
                    }
                    $previousParameters['FileData'] = [System.Text.Encoding]::UTF8.GetBytes($previousManifest.Text)
                    if ($previousManifest.Manifest.NeedsReadWriteMailbox) { $previousParameters['AllowReadWriteMailbox'] = $true }
                    try {
                        New-App @previousParameters | Out-Null
                    }
                    catch {
                        throw "New-App of version $($manifest.Version) failed after the old version was removed: $failure. Putting version $installedVersion back failed too: $($_.Exception.Message). Install it again by hand with the settings in the Installed now line above (also in the transcript)."
                    }
                    throw "New-App of version $($manifest.Version) failed: $failure. Version $installedVersion was put back with its previous settings."
                }
            })
    }
    else {
        $installedKeys = @()
        if ($desired.ProvidedTo -eq 'SpecificUsers') { $installedKeys = @(Resolve-LsAddinUserListKey -UserList (Get-LsPropertyValue -InputObject $existing -Name 'UserList')) }
        $comparison = Compare-LsAddinApp -Existing $existing -Desired $desired -InstalledUserKeys $installedKeys
        if ($comparison.Differences.Count -eq 0) {
            $results.Add((New-LsStepResult -Step 'Organization app' -Target $target -Status 'Unchanged' -Detail "Version $($manifest.Version) installed, enabled, $DefaultState, for $scopeText"))
        }
        else {
            $setParameters = $comparison.Parameters
            [void](Invoke-LsAddinStep -Cmdlet $PSCmdlet -Results $results -WhatIfMode $whatIfMode -Step 'Organization app' -Target $target `
                    -Action "Set-App ($($comparison.Differences -join ', ')) for $scopeText, $DefaultState" -Change {
                    Set-App -OrganizationApp -Identity $manifest.Id @setParameters -Confirm:$false
                })
        }
    }

    Write-LsAddinSummary -Results $results -WhatIfMode $whatIfMode -NoChangeText 'No changes: the ExchangeLinkSecure add-in is already installed as requested.'
    $results
}
finally {
    if ($transcriptStarted) { Stop-LsTranscript }
}
