<#
.SYNOPSIS
    Removes the ExchangeLinkSecure Outlook add-in (the organization app with our manifest Id).

.DESCRIPTION
    Run in the Exchange Management Shell with the "Org Custom Apps" role. Reverses
    Install-LinkSecureAddin.ps1: the organization app whose AppId is the add-in's manifest
    Id is removed with Remove-App -OrganizationApp. Nothing else is touched: other
    organization apps, the default apps and the users' own apps stay as they are.

    The Id is ExchangeLinkSecure's (the <Id> of src/LinkSecure.Addin/web/manifest.xml,
    b1b1eaad-001b-4231-9c42-ded7742e8a16), or -AppId, or is read from a manifest
    (-ManifestPath, or -ManifestUrl when "linksecure serve" still runs). A second run changes nothing and
    says so. -WhatIf shows the change without making it. A real run writes a transcript
    to the temporary folder.

    Outlook clients drop the add-in at their next refresh of the app list (users may need
    to restart Outlook).

.PARAMETER AppId
    The add-in's manifest Id (a GUID). Default: ExchangeLinkSecure's,
    b1b1eaad-001b-4231-9c42-ded7742e8a16.

.PARAMETER ManifestPath
    The add-in's manifest file; its <Id> is used.

.PARAMETER ManifestUrl
    The served manifest, https://<name>/addin/manifest.xml; its <Id> is used.

.PARAMETER TimeoutSeconds
    How long to wait for the manifest URL. Default 15.

.EXAMPLE
    .\Uninstall-LinkSecureAddin.ps1 -ManifestUrl https://linksecure.corp.example/addin/manifest.xml -WhatIf

.EXAMPLE
    .\Uninstall-LinkSecureAddin.ps1

    Removes the ExchangeLinkSecure add-in (its fixed Id) from the organization.

.OUTPUTS
    LinkSecure.StepResult objects (Step, Status, Target, Detail).

.LINK
    docs/addin.md (Deploying)
#>

#Requires -Version 5.1

[CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'High', DefaultParameterSetName = 'Id')]
param(
    [Parameter(ParameterSetName = 'Id')][guid]$AppId,
    [Parameter(Mandatory = $true, ParameterSetName = 'Path')][string]$ManifestPath,
    [Parameter(Mandatory = $true, ParameterSetName = 'Url')][string]$ManifestUrl,
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

Assert-LsAddinShell -LoadSnapin { Add-LsExchangeSnapin } -Cmdlets @('Get-App', 'Remove-App')

if ($PSCmdlet.ParameterSetName -eq 'Id') {
    if (-not $PSBoundParameters.ContainsKey('AppId')) { $AppId = [guid](Get-LsAddinConstant).ProductAppId }
    if ($AppId -eq [guid]::Empty) { throw '-AppId is the empty GUID; pass the add-in manifest''s <Id>.' }
    $id = $AppId.ToString()
}
else {
    if ($PSCmdlet.ParameterSetName -eq 'Url') { $file = [pscustomobject]@{ Source = $ManifestUrl; Bytes = (Get-LsAddinManifestFromUrl -Url $ManifestUrl -TimeoutSeconds $TimeoutSeconds) } }
    else { $file = Read-LsAddinManifestFile -Path $ManifestPath }
    $source = $file.Source
    $bytes = $file.Bytes
    $manifest = Read-LsAddinManifest -Bytes $bytes -Source $source
    if ($null -eq $manifest.Id) {
        throw ("The manifest '$source' gives no add-in Id:`n  " + (@($manifest.Problems) -join "`n  ") + "`nPass -AppId instead.")
    }
    $id = $manifest.Id
}

$app = Find-LsAddinApp -Apps @(Get-App -OrganizationApp) -Id $id

# ---------------------------------------------------------------------------------------
# Changes.
# ---------------------------------------------------------------------------------------

$transcriptStarted = $false
if (-not $whatIfMode) {
    $transcriptPath = Join-Path ([System.IO.Path]::GetTempPath()) ('Uninstall-LinkSecureAddin-{0}.log' -f (Get-Date -Format 'yyyyMMdd-HHmmss'))
    Start-LsTranscript -Path $transcriptPath
    $transcriptStarted = $true
}

try {
    Write-Host "ExchangeLinkSecure add-in uninstall: organization app $id"
    if ($null -eq $app) {
        $results.Add((New-LsStepResult -Step 'Organization app' -Target $id -Status 'Unchanged' -Detail 'Not installed'))
    }
    elseif ([string](Get-LsPropertyValue -InputObject $app -Name 'Scope') -eq 'Default') {
        # A default app of Exchange with this Id: not ours, and Exchange cannot remove it anyway.
        throw "The app $id is one of Exchange's default apps ('$([string](Get-LsPropertyValue -InputObject $app -Name 'DisplayName'))'), not the ExchangeLinkSecure add-in; nothing was removed."
    }
    else {
        $name = [string](Get-LsPropertyValue -InputObject $app -Name 'DisplayName')
        $version = [string](Get-LsPropertyValue -InputObject $app -Name 'AppVersion')
        [void](Invoke-LsAddinStep -Cmdlet $PSCmdlet -Results $results -WhatIfMode $whatIfMode -Step 'Organization app' -Target "$name ($id)" `
                -Action "Remove-App -OrganizationApp (version $version)" -Change {
                Remove-App -OrganizationApp -Identity $id -Confirm:$false
            })
    }
    Write-LsAddinSummary -Results $results -WhatIfMode $whatIfMode -NoChangeText 'No changes: the ExchangeLinkSecure add-in is not installed.'
    $results
}
finally {
    if ($transcriptStarted) { Stop-LsTranscript }
}
