<#
.SYNOPSIS
    Shared helpers for the ExchangeLinkSecure install scripts.

.DESCRIPTION
    Imported by Install-LinkSecureAgent.ps1, Uninstall-LinkSecureAgent.ps1,
    New-LinkSecureTransportRule.ps1 and Test-LinkSecureInstallation.ps1. Not meant to be
    used on its own.

    The module has two parts:

    1. Platform functions (region "Windows operations"). Each one wraps exactly one
       Windows-only operation: the registry, the event log, services, ACLs, the Exchange
       snap-in, transcripts. They are called ONLY from the scripts, never from other
       functions in this module, so that the Pester tests can replace each of them with
       a stand-in (Pester's Mock) and run the scripts on Linux.

    2. Pure helpers: product constants, configuration reading and checks, version
       gates, agent files. They use the Exchange cmdlets only to read
       (Get-TransportAgent), and they work on objects, never on formatted text.

    The Send connector functions live in LinkSecure.Connectors.psm1.

    Windows PowerShell 5.1 syntax only.
#>

#Requires -Version 5.1


Set-StrictMode -Version Latest

# ---------------------------------------------------------------------------------------
#region Product constants (the fixed contract with the agent)
# ---------------------------------------------------------------------------------------

$script:Product = [pscustomobject]@{
    AgentName          = 'ExchangeLinkSecure Routing Agent'
    AgentFactory       = 'LinkSecure.Exchange.LinkSecureRoutingAgentFactory'
    AssemblyFile       = 'LinkSecure.Exchange.dll'
    CoreAssemblyFile   = 'LinkSecure.Core.dll'
    ConfigFile         = 'LinkSecure.config.json'
    NLogConfigFile     = 'LinkSecure.nlog.config'
    TemplateSuffix     = '.template'
    EventSource        = 'ExchangeLinkSecure'
    EventLog           = 'Application'
    TransportService   = 'MSExchangeTransport'
    # The transport services (MSExchangeTransport, and EdgeTransport.exe it starts) run as NETWORK SERVICE
    # (exchange-transport.md section 13). ACLs are written by SID, so they work on localised Windows too.
    ServiceAccountSid  = 'S-1-5-20'
    SystemSid          = 'S-1-5-18'
    AdministratorsSid  = 'S-1-5-32-544'
    ManifestFile       = 'LinkSecure.manifest.json'
    StartedEventId     = 1000
    FactoryFailedEventId = 3001
    LogsFolder         = 'logs'
    TranscriptFolder   = 'transcripts'
    BackupFolder       = 'backup'
    DefaultFolderName  = 'ExchangeLinkSecure'
    # The rules agent our agent must run after, per transport service.
    RuleAgentName      = @{ Hub = 'Transport Rule Agent'; Edge = 'Edge Rule Agent' }
    # Files that the administrator may edit: never overwritten once present.
    AdminFiles         = @('LinkSecure.config.json', 'LinkSecure.nlog.config')
}

function Get-LsProduct {
    <#
    .SYNOPSIS
        Returns the product constants (agent name, factory, file names, event source).
    #>
    [CmdletBinding()]
    param()
    $script:Product
}

function Get-LsDefaultInstallPath {
    <#
    .SYNOPSIS
        The default install folder: "<Program Files>\ExchangeLinkSecure".
    #>
    [CmdletBinding()]
    param()
    $programFiles = $env:ProgramFiles
    if ([string]::IsNullOrEmpty($programFiles)) {
        throw 'The ProgramFiles environment variable is not set; pass -InstallPath explicitly.'
    }
    Join-Path $programFiles $script:Product.DefaultFolderName
}

#endregion

# ---------------------------------------------------------------------------------------
#region Windows operations (platform seam: called only from the scripts)
# ---------------------------------------------------------------------------------------

function Test-LsExchangeShell {
    <#
    .SYNOPSIS
        True when the Exchange cmdlets are available in this session.
    #>
    [CmdletBinding()]
    param()
    $null -ne (Get-Command -Name 'Get-ExchangeServer' -ErrorAction SilentlyContinue)
}

function Assert-LsExchangeShell {
    <#
    .SYNOPSIS
        Stops with a clear message unless the Exchange cmdlets are available (the Exchange Management Shell).
    .DESCRIPTION
        One shell model: the supported Exchange Management Shell (remote PowerShell on a Mailbox server,
        the local shell on an Edge Transport server). The install and uninstall scripts never load the
        Exchange snap-in themselves: Microsoft supports the snap-in only for the *-TransportAgent cmdlets,
        and these scripts also use Get-ExchangeServer and the *-SendConnector cmdlets, whose errors would
        then behave differently from the shell an administrator tested with.
    #>
    [CmdletBinding()]
    param()
    if ($null -eq (Get-Command -Name 'Get-ExchangeServer' -ErrorAction SilentlyContinue)) {
        throw 'The Exchange cmdlets are not available. Run this script in the Exchange Management Shell on the Exchange server (Start menu, "Exchange Management Shell", Run as administrator); the scripts do not load the Exchange snap-in.'
    }
}

function Add-LsExchangeSnapin {
    <#
    .SYNOPSIS
        Loads the local Exchange Management Shell snap-in (Exchange 2013 and later).
    #>
    [CmdletBinding()]
    param()
    $errors = @()
    foreach ($name in @('Microsoft.Exchange.Management.PowerShell.SnapIn', 'Microsoft.Exchange.Management.PowerShell.E2010')) {
        try {
            Add-PSSnapin -Name $name -ErrorAction Stop
            return
        }
        catch {
            $errors += $_.Exception.Message
        }
    }
    throw ('No Exchange snap-in could be loaded: ' + ($errors -join ' / '))
}

function Test-LsAdministrator {
    <#
    .SYNOPSIS
        True when the session runs elevated (local Administrators).
    #>
    [CmdletBinding()]
    param()
    $identity = [System.Security.Principal.WindowsIdentity]::GetCurrent()
    $principal = New-Object System.Security.Principal.WindowsPrincipal($identity)
    $principal.IsInRole([System.Security.Principal.WindowsBuiltInRole]::Administrator)
}

function Get-LsComputerName {
    <#
    .SYNOPSIS
        The local computer name (the Exchange server this script runs on).
    #>
    [CmdletBinding()]
    param()
    $env:COMPUTERNAME
}

function Get-LsDotNetFrameworkRelease {
    <#
    .SYNOPSIS
        The .NET Framework 4.x "Release" registry value, or $null when absent.
    #>
    [CmdletBinding()]
    param()
    $key = 'HKLM:\SOFTWARE\Microsoft\NET Framework Setup\NDP\v4\Full'
    $item = Get-ItemProperty -LiteralPath $key -Name 'Release' -ErrorAction SilentlyContinue
    if ($null -eq $item) { return $null }
    [int]$item.Release
}

function Test-LsEventLogSource {
    <#
    .SYNOPSIS
        True when the event log source exists.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][string]$Source)
    [System.Diagnostics.EventLog]::SourceExists($Source)
}

function New-LsEventLogSource {
    <#
    .SYNOPSIS
        Registers an event log source in a log (New-EventLog).
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][string]$Source,
        [Parameter(Mandatory = $true)][string]$LogName
    )
    New-EventLog -LogName $LogName -Source $Source -ErrorAction Stop
}

function Remove-LsEventLogSource {
    <#
    .SYNOPSIS
        Unregisters an event log source (Remove-EventLog -Source).
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][string]$Source)
    Remove-EventLog -Source $Source -ErrorAction Stop
}

function Get-LsRecentEventLogError {
    <#
    .SYNOPSIS
        Error and critical events written by a source since a point in time.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][string]$Source,
        [Parameter(Mandatory = $true)][string]$LogName,
        [Parameter(Mandatory = $true)][datetime]$Since
    )
    $filter = @{ LogName = $LogName; ProviderName = $Source; Level = @(1, 2); StartTime = $Since }
    # Get-WinEvent reports "no events found" as an error; that is an empty answer here.
    @(Get-WinEvent -FilterHashtable $filter -ErrorAction SilentlyContinue)
}

function Get-LsServiceStatus {
    <#
    .SYNOPSIS
        The status of a Windows service as a string ('Running', 'Stopped', ...), or $null.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][string]$Name)
    $service = Get-Service -Name $Name -ErrorAction SilentlyContinue
    if ($null -eq $service) { return $null }
    [string]$service.Status
}

function Stop-LsService {
    <#
    .SYNOPSIS
        Stops a Windows service (and its dependent services) and waits for it.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][string]$Name)
    Stop-Service -Name $Name -Force -ErrorAction Stop
}

function Start-LsService {
    <#
    .SYNOPSIS
        Starts a Windows service and waits for it.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][string]$Name)
    Start-Service -Name $Name -ErrorAction Stop
}

function Restart-LsService {
    <#
    .SYNOPSIS
        Restarts a Windows service.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][string]$Name)
    Restart-Service -Name $Name -Force -ErrorAction Stop
}

function Test-LsFolderWriteAccess {
    <#
    .SYNOPSIS
        True when the folder's ACL has an Allow rule with write rights for the account (a SID such as
        S-1-5-20, or an account name), compared by SID.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][string]$Path,
        [Parameter(Mandatory = $true)][string]$Account
    )
    $sid = ConvertTo-LsSid -Account $Account
    $acl = Get-Acl -LiteralPath $Path
    $write = [System.Security.AccessControl.FileSystemRights]::Write
    foreach ($rule in $acl.GetAccessRules($true, $true, [System.Security.Principal.SecurityIdentifier])) {
        if ($rule.AccessControlType -ne 'Allow') { continue }
        if ($rule.IdentityReference.Value -ne $sid.Value) { continue }
        if (($rule.FileSystemRights -band $write) -eq $write) { return $true }
    }
    $false
}

function Grant-LsFolderWriteAccess {
    <#
    .SYNOPSIS
        Gives an account (a SID, or an account name) Modify rights on a folder, inherited by files and subfolders.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][string]$Path,
        [Parameter(Mandatory = $true)][string]$Account
    )
    $acl = Get-Acl -LiteralPath $Path
    $inherit = [System.Security.AccessControl.InheritanceFlags]'ContainerInherit, ObjectInherit'
    $rule = New-Object System.Security.AccessControl.FileSystemAccessRule(
        (ConvertTo-LsSid -Account $Account), 'Modify', $inherit, 'None', 'Allow')
    $acl.AddAccessRule($rule)
    Set-Acl -LiteralPath $Path -AclObject $acl
}

function Get-LsFolderSecurity {
    <#
    .SYNOPSIS
        A folder's security descriptor as SDDL (to put it back on rollback).
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][string]$Path)
    (Get-Acl -LiteralPath $Path).Sddl
}

function Set-LsFolderSecurity {
    <#
    .SYNOPSIS
        Puts back a folder's security descriptor saved with Get-LsFolderSecurity.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][string]$Path,
        [Parameter(Mandatory = $true)][string]$Sddl
    )
    $acl = Get-Acl -LiteralPath $Path
    $acl.SetSecurityDescriptorSddlForm($Sddl)
    Set-Acl -LiteralPath $Path -AclObject $acl
}

function Test-LsInstallFolderLocked {
    <#
    .SYNOPSIS
        True when the install folder is locked down: inheritance off, and only SYSTEM and Administrators
        (full control) and the transport service account (read and execute) have Allow rules.
    .DESCRIPTION
        EdgeTransport.exe loads every DLL the agent resolves from this folder, so whoever may write to it
        may run code as the transport service.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][string]$Path,
        [Parameter(Mandatory = $true)][string]$ServiceSid
    )
    $acl = Get-Acl -LiteralPath $Path
    if (-not $acl.AreAccessRulesProtected) { return $false }
    $full = @($script:Product.SystemSid, $script:Product.AdministratorsSid)
    $writeBits = [int]([System.Security.AccessControl.FileSystemRights]'Write, Delete, ChangePermissions, TakeOwnership')
    foreach ($rule in $acl.GetAccessRules($true, $true, [System.Security.Principal.SecurityIdentifier])) {
        if ($rule.AccessControlType -ne 'Allow') { continue }
        $sid = $rule.IdentityReference.Value
        if ($full -contains $sid) { continue }
        if ($sid -eq $ServiceSid -and (([int]$rule.FileSystemRights -band $writeBits) -eq 0)) { continue }
        return $false
    }
    $true
}

function Set-LsInstallFolderLocked {
    <#
    .SYNOPSIS
        Locks the install folder down by SID: inheritance off, SYSTEM (S-1-5-18) and Administrators
        (S-1-5-32-544) full control, the transport service account read and execute; nobody else.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][string]$Path,
        [Parameter(Mandatory = $true)][string]$ServiceSid
    )
    $inherit = [System.Security.AccessControl.InheritanceFlags]'ContainerInherit, ObjectInherit'
    $acl = Get-Acl -LiteralPath $Path
    # Inheritance off without copying the inherited rules, then only our explicit rules.
    $acl.SetAccessRuleProtection($true, $false)
    foreach ($rule in @($acl.GetAccessRules($true, $false, [System.Security.Principal.SecurityIdentifier]))) { [void]$acl.RemoveAccessRuleSpecific($rule) }
    foreach ($sid in @($script:Product.SystemSid, $script:Product.AdministratorsSid)) {
        $acl.AddAccessRule((New-Object System.Security.AccessControl.FileSystemAccessRule(
                    (New-Object System.Security.Principal.SecurityIdentifier($sid)), 'FullControl', $inherit, 'None', 'Allow')))
    }
    $acl.AddAccessRule((New-Object System.Security.AccessControl.FileSystemAccessRule(
                (New-Object System.Security.Principal.SecurityIdentifier($ServiceSid)), 'ReadAndExecute', $inherit, 'None', 'Allow')))
    Set-Acl -LiteralPath $Path -AclObject $acl
}

function Invoke-LsCli {
    <#
    .SYNOPSIS
        Runs the linksecure admin CLI with arguments; returns ExitCode and Output (text).
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][string]$Path,
        [Parameter(Mandatory = $true)][string[]]$Arguments
    )
    $output = & $Path @Arguments 2>&1 | ForEach-Object { [string]$_ }
    [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = (@($output) -join "`n") }
}

function Get-LsAgentEvent {
    <#
    .SYNOPSIS
        Events with given IDs written by a source since a point in time (Get-WinEvent), newest first.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][string]$Source,
        [Parameter(Mandatory = $true)][string]$LogName,
        [Parameter(Mandatory = $true)][int[]]$Id,
        [Parameter(Mandatory = $true)][datetime]$Since
    )
    $filter = @{ LogName = $LogName; ProviderName = $Source; Id = $Id; StartTime = $Since }
    # Get-WinEvent reports "no events found" as an error; that is an empty answer here.
    @(Get-WinEvent -FilterHashtable $filter -ErrorAction SilentlyContinue)
}

function Wait-LsInterval {
    <#
    .SYNOPSIS
        Waits a number of seconds (between health-check polls).
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][int]$Seconds)
    Start-Sleep -Seconds $Seconds
}

function Start-LsTranscript {
    <#
    .SYNOPSIS
        Starts a transcript into a file (the folder must exist).
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][string]$Path)
    Start-Transcript -LiteralPath $Path -Append -WhatIf:$false | Out-Null
}

function Stop-LsTranscript {
    <#
    .SYNOPSIS
        Stops the transcript started by Start-LsTranscript.
    #>
    [CmdletBinding()]
    param()
    try { Stop-Transcript -WhatIf:$false | Out-Null } catch { Write-Verbose 'No transcript was running.' }
}

#endregion

# ---------------------------------------------------------------------------------------
#region Small object helpers
# ---------------------------------------------------------------------------------------

function Get-LsPropertyValue {
    <#
    .SYNOPSIS
        A property's value, or $Default when the object lacks it (safe under strict mode).
    #>
    [CmdletBinding()]
    param(
        [AllowNull()][object]$InputObject,
        [Parameter(Mandatory = $true)][string]$Name,
        [AllowNull()][object]$Default = $null
    )
    if ($null -eq $InputObject) { return $Default }
    if ($InputObject -is [System.Collections.IDictionary]) {
        if ($InputObject.Contains($Name)) { return $InputObject[$Name] }
        return $Default
    }
    $property = $InputObject.PSObject.Properties[$Name]
    if ($null -eq $property) { return $Default }
    $property.Value
}

function ConvertTo-LsNameList {
    <#
    .SYNOPSIS
        Turns Exchange identity collections (objects with Name, or strings) into plain names.
    #>
    [CmdletBinding()]
    param([AllowNull()][object]$InputObject)
    $names = [System.Collections.Generic.List[string]]::new()
    if ($null -eq $InputObject) { return }
    foreach ($item in @($InputObject)) {
        if ($null -eq $item) { continue }
        if ($item -is [string]) { $name = $item }
        else {
            $name = Get-LsPropertyValue -InputObject $item -Name 'Name'
            if ($null -eq $name) { $name = [string]$item }
        }
        if (-not [string]::IsNullOrEmpty([string]$name)) { $names.Add([string]$name) }
    }
    $names.ToArray()
}

function Test-LsSameSet {
    <#
    .SYNOPSIS
        True when two string lists hold the same values, ignoring order and case.
    #>
    [CmdletBinding()]
    param([AllowNull()][string[]]$Left, [AllowNull()][string[]]$Right)
    $a = @($Left | Where-Object { -not [string]::IsNullOrEmpty($_) } | ForEach-Object { $_.ToLowerInvariant() } | Sort-Object -Unique)
    $b = @($Right | Where-Object { -not [string]::IsNullOrEmpty($_) } | ForEach-Object { $_.ToLowerInvariant() } | Sort-Object -Unique)
    if ($a.Count -ne $b.Count) { return $false }
    for ($i = 0; $i -lt $a.Count; $i++) {
        if ($a[$i] -ne $b[$i]) { return $false }
    }
    $true
}

function New-LsStepResult {
    <#
    .SYNOPSIS
        One line of a script's change report.
    .DESCRIPTION
        Status is one of: Changed (done now), Unchanged (already as wanted), WhatIf (would
        change), Declined (the operator answered No), Skipped (not applicable), Failed.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][string]$Step,
        [Parameter(Mandatory = $true)][AllowEmptyString()][string]$Target,
        [Parameter(Mandatory = $true)][ValidateSet('Changed', 'Unchanged', 'WhatIf', 'Declined', 'Skipped', 'Failed')][string]$Status,
        [AllowEmptyString()][string]$Detail = ''
    )
    $result = [pscustomobject][ordered]@{
        Step   = $Step
        Status = $Status
        Target = $Target
        Detail = $Detail
    }
    $result.PSObject.TypeNames.Insert(0, 'LinkSecure.StepResult')
    $result
}

function New-LsCheckResult {
    <#
    .SYNOPSIS
        One line of the Test-LinkSecureInstallation table (Pass, Fail, Warn or Skip).
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][string]$Check,
        [Parameter(Mandatory = $true)][ValidateSet('Pass', 'Fail', 'Warn', 'Skip')][string]$Result,
        [AllowEmptyString()][string]$Detail = ''
    )
    $row = [pscustomobject][ordered]@{
        Check  = $Check
        Result = $Result
        Detail = $Detail
    }
    $row.PSObject.TypeNames.Insert(0, 'LinkSecure.CheckResult')
    $row
}

#endregion

# ---------------------------------------------------------------------------------------
#region Exchange and .NET version gates
# ---------------------------------------------------------------------------------------

# Lowest build per Exchange major version that supports .NET Framework 4.8
# (Exchange supportability matrix): 2013 CU23, 2016 CU13, 2019 CU2. Exchange SE is 15.2.
$script:MinimumExchangeBuild = [ordered]@{
    '15.0' = @{ Version = [version]'15.0.1497.2'; Product = 'Exchange Server 2013'; Minimum = 'CU23' }
    '15.1' = @{ Version = [version]'15.1.1779.2'; Product = 'Exchange Server 2016'; Minimum = 'CU13' }
    '15.2' = @{ Version = [version]'15.2.397.3'; Product = 'Exchange Server 2019 or Subscription Edition'; Minimum = '2019 CU2' }
}

# .NET Framework 4.8 "Release" value (lowest of the per-OS values).
$script:MinimumDotNetRelease = 528040

function Get-LsExchangeVersion {
    <#
    .SYNOPSIS
        The build of an Exchange server object (Get-ExchangeServer) as a [version].
    .DESCRIPTION
        Reads AdminDisplayVersion. In a local shell it is a ServerVersion object with
        Major/Minor/Build/Revision; through remote PowerShell it may arrive as its
        documented string form "Version 15.2 (Build 1544.4)".
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][object]$Server)
    $adv = Get-LsPropertyValue -InputObject $Server -Name 'AdminDisplayVersion'
    if ($null -eq $adv) { throw 'The Exchange server object has no AdminDisplayVersion.' }
    if ($adv -is [version]) { return $adv }
    $major = Get-LsPropertyValue -InputObject $adv -Name 'Major'
    $minor = Get-LsPropertyValue -InputObject $adv -Name 'Minor'
    $build = Get-LsPropertyValue -InputObject $adv -Name 'Build'
    $revision = Get-LsPropertyValue -InputObject $adv -Name 'Revision'
    if (($adv -isnot [string]) -and ($null -ne $major) -and ($null -ne $minor) -and ($null -ne $build)) {
        if ($null -eq $revision) { $revision = 0 }
        return New-Object System.Version([int]$major, [int]$minor, [int]$build, [int]$revision)
    }
    $text = [string]$adv
    $match = [regex]::Match($text, 'Version\s+(\d+)\.(\d+)\s+\(Build\s+(\d+)\.(\d+)\)')
    if (-not $match.Success) { throw "Unrecognised Exchange version '$text'." }
    New-Object System.Version([int]$match.Groups[1].Value, [int]$match.Groups[2].Value, [int]$match.Groups[3].Value, [int]$match.Groups[4].Value)
}

function Test-LsExchangeVersionSupported {
    <#
    .SYNOPSIS
        Decides whether an Exchange build can run the agent; returns Supported and Reason.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][version]$Version)
    $key = '{0}.{1}' -f $Version.Major, $Version.Minor
    if (-not $script:MinimumExchangeBuild.Contains($key)) {
        return [pscustomobject]@{
            Supported = $false
            Product   = 'unknown'
            Reason    = "Exchange build $Version is not supported. Supported: Exchange Server 2013 CU23, 2016 CU13 or later, 2019 CU2 or later, Subscription Edition."
        }
    }
    $entry = $script:MinimumExchangeBuild[$key]
    if ($Version -lt $entry.Version) {
        return [pscustomobject]@{
            Supported = $false
            Product   = $entry.Product
            Reason    = ('{0} build {1} is too old: the agent needs .NET Framework 4.8, supported from {2} (build {3}). Install a later cumulative update.' -f $entry.Product, $Version, $entry.Minimum, $entry.Version)
        }
    }
    [pscustomobject]@{ Supported = $true; Product = $entry.Product; Reason = ('{0} build {1}' -f $entry.Product, $Version) }
}

function Test-LsDotNetReleaseSupported {
    <#
    .SYNOPSIS
        True when a .NET Framework "Release" value is 4.8 or later.
    #>
    [CmdletBinding()]
    param([AllowNull()][object]$Release)
    ($null -ne $Release) -and ([int]$Release -ge $script:MinimumDotNetRelease)
}

#endregion

# ---------------------------------------------------------------------------------------
#region Configuration
# ---------------------------------------------------------------------------------------

$script:RoutingDefaults = [ordered]@{
    mode                   = 'connector'
    domainValidationDomain = 'linksecure-dv.invalid'
    certificateValidationDomain = 'linksecure-cv.invalid'
    encryptionOnlyDomain   = 'linksecure-eo.invalid'
    smartHostDomain        = 'linksecure-relay.invalid'
    smartHosts             = @()
    smartHostTlsAuthLevel  = 'DomainValidation'
    sendConnectorPrefix    = 'ExchangeLinkSecure'
    validatingRelay        = $false
    smartHostTlsDomain     = $null
    # Non-SMTP: a missing relay connector fails closed (LinkSecure.Connectors.psm1, docs/admin-guide.md).
    smartHostAddressSpaceType = 'LinkSecure'
}

function Remove-LsJsonComment {
    <#
    .SYNOPSIS
        Removes // and /* */ comments outside JSON strings.
    .DESCRIPTION
        The agent accepts comments in its configuration; Windows PowerShell 5.1's
        ConvertFrom-Json does not, so they are removed before parsing.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][AllowEmptyString()][string]$Text)
    $sb = New-Object System.Text.StringBuilder
    $inString = $false
    $i = 0
    while ($i -lt $Text.Length) {
        $c = $Text[$i]
        if ($inString) {
            [void]$sb.Append($c)
            if ($c -eq '\' -and ($i + 1) -lt $Text.Length) {
                [void]$sb.Append($Text[$i + 1])
                $i += 2
                continue
            }
            if ($c -eq '"') { $inString = $false }
            $i++
            continue
        }
        if ($c -eq '"') { $inString = $true; [void]$sb.Append($c); $i++; continue }
        if ($c -eq '/' -and ($i + 1) -lt $Text.Length) {
            $next = $Text[$i + 1]
            if ($next -eq '/') {
                while ($i -lt $Text.Length -and $Text[$i] -ne "`n") { $i++ }
                continue
            }
            if ($next -eq '*') {
                $end = $Text.IndexOf('*/', $i + 2)
                if ($end -lt 0) { $i = $Text.Length } else { $i = $end + 2 }
                continue
            }
        }
        [void]$sb.Append($c)
        $i++
    }
    $sb.ToString()
}

function Read-LsConfig {
    <#
    .SYNOPSIS
        Reads LinkSecure.config.json into an object (ConvertFrom-Json).
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][string]$Path)
    if (-not (Test-Path -LiteralPath $Path -PathType Leaf)) {
        throw "Configuration file '$Path' not found."
    }
    $text = [System.IO.File]::ReadAllText((Resolve-Path -LiteralPath $Path).ProviderPath)
    try {
        $config = (Remove-LsJsonComment -Text $text) | ConvertFrom-Json -ErrorAction Stop
    }
    catch {
        throw "Configuration file '$Path' is not valid JSON: $($_.Exception.Message)"
    }
    if ($null -eq $config -or $config -isnot [System.Management.Automation.PSCustomObject]) {
        throw "Configuration file '$Path' must contain a JSON object."
    }
    $config
}

function Get-LsRoutingSettings {
    <#
    .SYNOPSIS
        The "routing" section of a configuration with defaults filled in.
    #>
    [CmdletBinding()]
    param([AllowNull()][object]$Config)
    $routing = Get-LsPropertyValue -InputObject $Config -Name 'routing'
    $settings = [ordered]@{}
    foreach ($key in $script:RoutingDefaults.Keys) {
        $value = Get-LsPropertyValue -InputObject $routing -Name $key -Default $script:RoutingDefaults[$key]
        if ($key -eq 'smartHosts') {
            $settings[$key] = @(@($value) | Where-Object { $null -ne $_ } | ForEach-Object { [string]$_ })
        }
        else {
            $settings[$key] = $value
        }
    }
    [pscustomobject]$settings
}

function Test-LsDomainName {
    <#
    .SYNOPSIS
        True for a syntactically valid DNS domain name (letters, digits, hyphens; 2+ labels).
    #>
    [CmdletBinding()]
    param([AllowNull()][object]$Name)
    if ($Name -isnot [string] -or [string]::IsNullOrEmpty($Name) -or $Name.Length -gt 253) { return $false }
    $labels = $Name.Split('.')
    if ($labels.Count -lt 2) { return $false }
    foreach ($label in $labels) {
        if ($label -notmatch '^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$') { return $false }
    }
    $true
}

function Test-LsConfigStructure {
    <#
    .SYNOPSIS
        Structural checks of a configuration object; returns a list of problems (empty = valid).
    .DESCRIPTION
        Used when no linksecure CLI is at hand. Checks the sections the install scripts
        and the admin guide cover: routing, enforceForAllMail, internalDomains,
        knownDomains, overrides, defer, agent. The resolver and downgrade sections are
        checked only for being objects; `linksecure config validate` checks them fully.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][object]$Config)
    $problems = [System.Collections.Generic.List[string]]::new()

    $enforce = Get-LsPropertyValue -InputObject $Config -Name 'enforceForAllMail'
    if ($null -ne $enforce -and $enforce -isnot [bool]) { $problems.Add('enforceForAllMail must be true or false.') }

    $internal = Get-LsPropertyValue -InputObject $Config -Name 'internalDomains'
    if ($null -ne $internal) {
        foreach ($d in @($internal)) {
            # An entry names one domain; '*.contoso.com' names its subdomains only (docs/configuration.md).
            $name = if ("$d".StartsWith('*.')) { "$d".Substring(2) } else { $d }
            if (-not (Test-LsDomainName $name)) { $problems.Add("internalDomains: '$d' is not a domain name or '*.' followed by one.") }
        }
    }

    $known = Get-LsPropertyValue -InputObject $Config -Name 'knownDomains'
    if ($null -ne $known) {
        $useEmbedded = Get-LsPropertyValue -InputObject $known -Name 'useEmbedded'
        if ($null -ne $useEmbedded -and $useEmbedded -isnot [bool]) { $problems.Add('knownDomains.useEmbedded must be true or false.') }
        foreach ($f in @(Get-LsPropertyValue -InputObject $known -Name 'files' -Default @())) {
            if ($f -isnot [string] -or [string]::IsNullOrWhiteSpace($f)) { $problems.Add('knownDomains.files must be a list of file paths.') }
        }
    }

    $overrides = Get-LsPropertyValue -InputObject $Config -Name 'overrides'
    if ($null -ne $overrides) {
        $index = 0
        foreach ($o in @($overrides)) {
            $domain = Get-LsPropertyValue -InputObject $o -Name 'domain'
            $level = Get-LsPropertyValue -InputObject $o -Name 'level'
            $never = Get-LsPropertyValue -InputObject $o -Name 'never'
            if (-not (Test-LsDomainName $domain)) { $problems.Add("overrides[$index]: 'domain' must be a domain name.") }
            if ($null -eq $level -and $never -ne $true) { $problems.Add("overrides[$index]: give 'level' (1-4) or 'never': true.") }
            if ($null -ne $level -and ($level -isnot [int] -and $level -isnot [long] -or $level -lt 1 -or $level -gt 4)) { $problems.Add("overrides[$index]: 'level' must be an integer from 1 to 4.") }
            if ($null -ne $never -and $never -isnot [bool]) { $problems.Add("overrides[$index]: 'never' must be true or false.") }
            if ($null -ne $level -and $never -eq $true) { $problems.Add("overrides[$index]: 'level' and 'never' exclude each other.") }
            $index++
        }
    }

    $defer = Get-LsPropertyValue -InputObject $Config -Name 'defer'
    if ($null -ne $defer) {
        $retry = Get-LsPropertyValue -InputObject $defer -Name 'retryMinutes'
        $max = Get-LsPropertyValue -InputObject $defer -Name 'maxDeferMinutes'
        if ($null -ne $retry -and -not ($retry -is [int] -or $retry -is [long]) -or ($null -ne $retry -and $retry -lt 1)) { $problems.Add('defer.retryMinutes must be a whole number of minutes, 1 or more.') }
        if ($null -ne $max -and -not ($max -is [int] -or $max -is [long]) -or ($null -ne $max -and $max -lt 0)) { $problems.Add('defer.maxDeferMinutes must be a whole number of minutes, 0 or more.') }
        if (($retry -is [int] -or $retry -is [long]) -and ($max -is [int] -or $max -is [long]) -and $max -gt 0 -and $max -lt $retry) { $problems.Add('defer.maxDeferMinutes must not be less than defer.retryMinutes.') }
    }

    $agent = Get-LsPropertyValue -InputObject $Config -Name 'agent'
    if ($null -ne $agent) {
        $budget = Get-LsPropertyValue -InputObject $agent -Name 'lookupBudgetMilliseconds'
        if ($null -ne $budget -and (-not ($budget -is [int] -or $budget -is [long]) -or $budget -lt 1)) { $problems.Add('agent.lookupBudgetMilliseconds must be a positive whole number.') }
    }

    foreach ($section in @('resolver', 'downgrade')) {
        $value = Get-LsPropertyValue -InputObject $Config -Name $section
        if ($null -ne $value -and $value -isnot [System.Management.Automation.PSCustomObject]) { $problems.Add("$section must be an object.") }
    }

    foreach ($p in (Test-LsRoutingSettings -Routing (Get-LsRoutingSettings -Config $Config))) { $problems.Add($p) }
    $problems.ToArray()
}

function Test-LsRoutingSettings {
    <#
    .SYNOPSIS
        Checks the routing section; returns a list of problems (empty = valid).
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][object]$Routing)
    $problems = [System.Collections.Generic.List[string]]::new()
    if (@('connector', 'smartHost') -notcontains $Routing.mode) {
        $problems.Add("routing.mode must be 'connector' or 'smartHost', not '$($Routing.mode)'.")
    }
    if ($Routing.sendConnectorPrefix -isnot [string] -or [string]::IsNullOrWhiteSpace($Routing.sendConnectorPrefix)) {
        $problems.Add('routing.sendConnectorPrefix must be a non-empty string.')
    }
    elseif (($Routing.sendConnectorPrefix.Length + ' CertificateValidation'.Length) -gt 64) {
        $problems.Add('routing.sendConnectorPrefix is too long: connector names are limited to 64 characters.')
    }
    if ($Routing.mode -eq 'connector') {
        $keys = @('domainValidationDomain', 'certificateValidationDomain', 'encryptionOnlyDomain')
        foreach ($key in $keys) {
            if (-not (Test-LsDomainName $Routing.$key)) { $problems.Add("routing.$key '$($Routing.$key)' is not a domain name.") }
        }
        $distinct = @($keys | ForEach-Object { ([string]$Routing.$_).ToLowerInvariant() } | Sort-Object -Unique)
        if ($distinct.Count -ne $keys.Count) {
            $problems.Add('routing.domainValidationDomain, routing.certificateValidationDomain and routing.encryptionOnlyDomain must all differ.')
        }
    }
    $relayConnector = ($Routing.mode -eq 'smartHost') -or ($Routing.validatingRelay -eq $true -and @($Routing.smartHosts).Count -gt 0)
    if ($relayConnector -and $Routing.smartHostTlsAuthLevel -eq 'DomainValidation' -and [string]::IsNullOrEmpty([string]$Routing.smartHostTlsDomain)) {
        # New-SendConnector: TlsDomain is required with DomainValidation on a smart-host connector.
        $problems.Add('routing.smartHostTlsDomain must name the certificate of the smart hosts: Exchange requires a TlsDomain for a DomainValidation smart-host connector.')
    }
    $type = [string]$Routing.smartHostAddressSpaceType
    if ($type -notmatch '^[A-Za-z][A-Za-z0-9-]{0,31}$' -or $type -eq 'X400') {
        $problems.Add("routing.smartHostAddressSpaceType '$type' is not an address space type: use SMTP or a word such as LinkSecure (not X400).")
    }
    if ($Routing.mode -eq 'smartHost') {
        if (-not (Test-LsDomainName $Routing.smartHostDomain)) { $problems.Add("routing.smartHostDomain '$($Routing.smartHostDomain)' is not a domain name.") }
        if (@($Routing.smartHosts).Count -eq 0) { $problems.Add("routing.smartHosts must list at least one relay when routing.mode is 'smartHost'.") }
        if (@('EncryptionOnly', 'CertificateValidation', 'DomainValidation') -notcontains $Routing.smartHostTlsAuthLevel) {
            $problems.Add("routing.smartHostTlsAuthLevel must be EncryptionOnly, CertificateValidation or DomainValidation, not '$($Routing.smartHostTlsAuthLevel)'.")
        }
    }
    $problems.ToArray()
}

#endregion

# ---------------------------------------------------------------------------------------
#region Transport agent and files
# ---------------------------------------------------------------------------------------

function Get-LsTransportAgent {
    <#
    .SYNOPSIS
        All transport agents of a transport service, as objects (Get-TransportAgent).
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][ValidateSet('Hub', 'Edge')][string]$TransportService)
    @(Get-TransportAgent -TransportService $TransportService -ErrorAction Stop)
}

function Find-LsAgent {
    <#
    .SYNOPSIS
        The agent with a given name from a list of transport agents, or $null.
    #>
    [CmdletBinding()]
    param(
        [AllowNull()][object[]]$Agents,
        [Parameter(Mandatory = $true)][string]$Name
    )
    foreach ($agent in @($Agents)) {
        if ($null -eq $agent) { continue }
        $identity = [string](Get-LsPropertyValue -InputObject $agent -Name 'Identity')
        if ([string]::IsNullOrEmpty($identity)) { $identity = [string](Get-LsPropertyValue -InputObject $agent -Name 'Name') }
        if ($identity -eq $Name) { return $agent }
    }
    $null
}

function Restore-LsAgentState {
    <#
    .SYNOPSIS
        Brings the product's agent registration back to a state read before a run (the undo of every
        registration step): absent, or registered with the same factory and path, priority and enabled state.
    #>
    [CmdletBinding()]
    param(
        [AllowNull()][object]$Before,
        [Parameter(Mandatory = $true)][ValidateSet('Hub', 'Edge')][string]$TransportService
    )
    $name = $script:Product.AgentName
    $now = Find-LsAgent -Agents (Get-LsTransportAgent -TransportService $TransportService) -Name $name
    if ($null -eq $Before) {
        if ($null -ne $now) { Uninstall-TransportAgent -Identity $name -TransportService $TransportService -Confirm:$false -ErrorAction Stop }
        return
    }
    $path = [string](Get-LsPropertyValue -InputObject $Before -Name 'AssemblyPath')
    $factory = [string](Get-LsPropertyValue -InputObject $Before -Name 'TransportAgentFactory')
    if ($null -ne $now -and ([string]$now.AssemblyPath -ne $path -or [string]$now.TransportAgentFactory -ne $factory)) {
        Uninstall-TransportAgent -Identity $name -TransportService $TransportService -Confirm:$false -ErrorAction Stop
        $now = $null
    }
    if ($null -eq $now) {
        Install-TransportAgent -Name $name -TransportAgentFactory $factory -AssemblyPath $path -TransportService $TransportService -Confirm:$false -ErrorAction Stop | Out-Null
        $now = Find-LsAgent -Agents (Get-LsTransportAgent -TransportService $TransportService) -Name $name
    }
    if ([int]$now.Priority -ne [int]$Before.Priority) {
        Set-TransportAgent -Identity $name -Priority ([int]$Before.Priority) -TransportService $TransportService -Confirm:$false -ErrorAction Stop
    }
    if ([bool]$Before.Enabled -and -not [bool]$now.Enabled) { Enable-TransportAgent -Identity $name -TransportService $TransportService -Confirm:$false -ErrorAction Stop }
    if (-not [bool]$Before.Enabled -and [bool]$now.Enabled) { Disable-TransportAgent -Identity $name -TransportService $TransportService -Confirm:$false -ErrorAction Stop }
}

function Get-LsAgentFilePlan {
    <#
    .SYNOPSIS
        Which files of the published agent folder need copying to the install folder.
    .DESCRIPTION
        Compares SHA-256 hashes. Product files (DLLs and everything else) are copied when
        missing or different. The administrator's files (LinkSecure.config.json,
        LinkSecure.nlog.config) are copied only when missing; their shipped versions are
        also kept as "<name>.template" beside them, so an administrator can compare.
        Returns objects with Source, Destination, Kind (Product|AdminFile|Template) and Reason.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][string]$SourcePath,
        [Parameter(Mandatory = $true)][string]$InstallPath
    )
    $plan = [System.Collections.Generic.List[object]]::new()
    $sourceRoot = (Resolve-Path -LiteralPath $SourcePath).ProviderPath.TrimEnd('\', '/')
    $files = Get-ChildItem -LiteralPath $sourceRoot -Recurse -File | Sort-Object FullName
    foreach ($file in $files) {
        $relative = $file.FullName.Substring($sourceRoot.Length).TrimStart('\', '/')
        $destination = Join-Path $InstallPath $relative
        if ($script:Product.AdminFiles -contains $relative) {
            $template = $destination + $script:Product.TemplateSuffix
            if (-not (Test-Path -LiteralPath $destination -PathType Leaf)) {
                $plan.Add([pscustomobject]@{ Source = $file.FullName; Destination = $destination; Relative = $relative; Kind = 'AdminFile'; Reason = 'missing' })
            }
            $reason = Get-LsFileDifference -Source $file.FullName -Destination $template
            if ($null -ne $reason) {
                $plan.Add([pscustomobject]@{ Source = $file.FullName; Destination = $template; Relative = $relative + $script:Product.TemplateSuffix; Kind = 'Template'; Reason = $reason })
            }
            continue
        }
        $reason = Get-LsFileDifference -Source $file.FullName -Destination $destination
        if ($null -ne $reason) {
            $plan.Add([pscustomobject]@{ Source = $file.FullName; Destination = $destination; Relative = $relative; Kind = 'Product'; Reason = $reason })
        }
    }
    $plan.ToArray()
}

function Get-LsFileDifference {
    <#
    .SYNOPSIS
        $null when two files have the same content, else 'missing' or 'different'.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][string]$Source,
        [Parameter(Mandatory = $true)][string]$Destination
    )
    if (-not (Test-Path -LiteralPath $Destination -PathType Leaf)) { return 'missing' }
    $a = (Get-FileHash -LiteralPath $Source -Algorithm SHA256).Hash
    $b = (Get-FileHash -LiteralPath $Destination -Algorithm SHA256).Hash
    if ($a -eq $b) { return $null }
    'different'
}

function Copy-LsAgentFile {
    <#
    .SYNOPSIS
        Copies the planned files (Get-LsAgentFilePlan) into the install folder.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][AllowEmptyCollection()][object[]]$Plan)
    foreach ($item in $Plan) {
        $folder = Split-Path -Parent $item.Destination
        if (-not (Test-Path -LiteralPath $folder)) { New-Item -ItemType Directory -Path $folder -Force -WhatIf:$false | Out-Null }
        Copy-Item -LiteralPath $item.Source -Destination $item.Destination -Force -WhatIf:$false -ErrorAction Stop
    }
}

function Get-LsFileVersion {
    <#
    .SYNOPSIS
        The file version of an assembly, or $null when unreadable.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][string]$Path)
    if (-not (Test-Path -LiteralPath $Path -PathType Leaf)) { return $null }
    try {
        $info = [System.Diagnostics.FileVersionInfo]::GetVersionInfo((Resolve-Path -LiteralPath $Path).ProviderPath)
        if ([string]::IsNullOrEmpty($info.FileVersion)) { return $null }
        [version]($info.FileVersion -replace '[^0-9.].*$', '')
    }
    catch {
        $null
    }
}

#endregion

# ---------------------------------------------------------------------------------------
#region Transactions (undo list), manifest and data paths
# ---------------------------------------------------------------------------------------

function ConvertTo-LsSid {
    <#
    .SYNOPSIS
        A SecurityIdentifier from a SID string (S-1-...) or an account name.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][string]$Account)
    if ($Account -match '^S-1-(\d+-)*\d+$') { return New-Object System.Security.Principal.SecurityIdentifier($Account) }
    (New-Object System.Security.Principal.NTAccount($Account)).Translate([System.Security.Principal.SecurityIdentifier])
}

function New-LsTransaction {
    <#
    .SYNOPSIS
        An empty undo list: every change registers how to reverse itself (Add-LsUndo).
    #>
    [CmdletBinding()]
    param()
    [pscustomobject]@{
        Undo      = [System.Collections.Generic.List[object]]::new()
        Committed = $false
    }
}

function Add-LsUndo {
    <#
    .SYNOPSIS
        Registers how to reverse a change (the step name is reported on rollback). The undo block is
        called with -State as its argument: values saved before the change (no closures needed).
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][object]$Transaction,
        [Parameter(Mandatory = $true)][string]$Step,
        [Parameter(Mandatory = $true)][scriptblock]$Undo,
        [AllowNull()][object]$State
    )
    $Transaction.Undo.Add([pscustomobject]@{ Step = $Step; Undo = $Undo; State = $State })
}

function Invoke-LsRollback {
    <#
    .SYNOPSIS
        Runs the registered undo actions, newest first, with a warning for each. One that fails is
        reported and the rest still run.
    .OUTPUTS
        LinkSecure.StepResult objects: "Rollback: <step>", Changed or Failed.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][object]$Transaction,
        [string]$Reason = 'Undoing the changes.'
    )
    Write-Warning $Reason
    for ($i = $Transaction.Undo.Count - 1; $i -ge 0; $i--) {
        $entry = $Transaction.Undo[$i]
        try {
            & $entry.Undo $entry.State | Out-Null
            Write-Warning "Rollback: $($entry.Step): undone"
            New-LsStepResult -Step "Rollback: $($entry.Step)" -Target '' -Status 'Changed' -Detail 'Undone'
        }
        catch {
            Write-Warning "Rollback: $($entry.Step) FAILED: $($_.Exception.Message)"
            New-LsStepResult -Step "Rollback: $($entry.Step)" -Target '' -Status 'Failed' -Detail $_.Exception.Message
        }
    }
    $Transaction.Undo.Clear()
}

function Get-LsFileHash256 {
    <#
    .SYNOPSIS
        The SHA-256 of a file as upper-case hex.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][string]$Path)
    (Get-FileHash -LiteralPath $Path -Algorithm SHA256).Hash
}

function New-LsManifest {
    <#
    .SYNOPSIS
        The install manifest: every file the installer put into the install folder, with its SHA-256.
    .DESCRIPTION
        Kind is Product (shipped files, templates) or AdminFile (the configuration files the
        administrator edits; uninstall keeps them unless -RemoveData). Files listed in a previous
        manifest that are still present stay listed, so an upgrade keeps ownership of them.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][string]$InstallPath,
        [Parameter(Mandatory = $true)][AllowEmptyCollection()][object[]]$Plan,
        [AllowNull()][object]$Previous,
        [AllowNull()][string]$Version
    )
    $entries = [ordered]@{}
    if ($null -ne $Previous) {
        foreach ($f in @($Previous.files)) { $entries[[string]$f.path] = [string]$f.kind }
    }
    foreach ($item in $Plan) {
        $kind = if ($item.Kind -eq 'AdminFile') { 'AdminFile' } else { 'Product' }
        $entries[[string]$item.Relative] = $kind
    }
    $files = [System.Collections.Generic.List[object]]::new()
    foreach ($relative in $entries.Keys) {
        $full = Join-Path $InstallPath $relative
        if (-not (Test-Path -LiteralPath $full -PathType Leaf)) { continue }
        $files.Add([pscustomobject][ordered]@{ path = $relative; kind = $entries[$relative]; sha256 = (Get-LsFileHash256 -Path $full) })
    }
    [pscustomobject][ordered]@{
        product = $script:Product.AgentName
        version = $Version
        written = (Get-Date).ToUniversalTime().ToString('o')
        files   = $files.ToArray()
    }
}

function Write-LsManifest {
    <#
    .SYNOPSIS
        Writes the install manifest (LinkSecure.manifest.json) into the install folder.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][string]$InstallPath,
        [Parameter(Mandatory = $true)][object]$Manifest
    )
    $path = Join-Path $InstallPath $script:Product.ManifestFile
    [System.IO.File]::WriteAllText($path, ($Manifest | ConvertTo-Json -Depth 5))
}

function Read-LsManifest {
    <#
    .SYNOPSIS
        The install manifest of a folder, or $null when there is none. A damaged manifest is an error.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][string]$InstallPath)
    $path = Join-Path $InstallPath $script:Product.ManifestFile
    if (-not (Test-Path -LiteralPath $path -PathType Leaf)) { return $null }
    try { $manifest = [System.IO.File]::ReadAllText((Resolve-Path -LiteralPath $path).ProviderPath) | ConvertFrom-Json -ErrorAction Stop }
    catch { throw "The install manifest '$path' is not valid JSON ($($_.Exception.Message)); no file was deleted." }
    if ($null -eq $manifest -or $null -eq $manifest.PSObject.Properties['files'] -or [string]$manifest.product -ne $script:Product.AgentName) {
        throw "'$path' is not an ExchangeLinkSecure install manifest; no file was deleted."
    }
    $manifest
}

function Get-LsManifestRemovalPlan {
    <#
    .SYNOPSIS
        Which manifest files uninstall may delete: present and unchanged (same SHA-256). Changed files are
        kept and reported; missing ones are ignored. AdminFile entries only with -IncludeAdminFiles.
    .OUTPUTS
        Objects with Relative, FullName, Kind and Action (Delete, KeepChanged, Missing, KeepAdmin).
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][string]$InstallPath,
        [Parameter(Mandatory = $true)][object]$Manifest,
        [switch]$IncludeAdminFiles
    )
    foreach ($f in @($Manifest.files)) {
        $relative = [string]$f.path
        if ([System.IO.Path]::IsPathRooted($relative) -or $relative -match '(^|[\\/])\.\.([\\/]|$)') {
            throw "The install manifest lists '$relative', which is outside the install folder; no file was deleted."
        }
        $full = Join-Path $InstallPath $relative
        $action = 'Delete'
        if (-not (Test-Path -LiteralPath $full -PathType Leaf)) { $action = 'Missing' }
        elseif ($f.kind -eq 'AdminFile' -and -not $IncludeAdminFiles) { $action = 'KeepAdmin' }
        elseif ($f.kind -ne 'AdminFile' -and (Get-LsFileHash256 -Path $full) -ne [string]$f.sha256) { $action = 'KeepChanged' }
        [pscustomobject]@{ Relative = $relative; FullName = $full; Kind = [string]$f.kind; Action = $action }
    }
}

function Get-LsForeignInstallItem {
    <#
    .SYNOPSIS
        The names of items in an install folder that this product did not put there: not in the published
        folder, not in the manifest, and none of the product's own files and folders.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][string]$InstallPath,
        [Parameter(Mandatory = $true)][string]$SourcePath,
        [AllowNull()][object]$Manifest
    )
    if (-not (Test-Path -LiteralPath $InstallPath -PathType Container)) { return }
    $known = [System.Collections.Generic.HashSet[string]]::new([System.StringComparer]::OrdinalIgnoreCase)
    foreach ($name in @($script:Product.LogsFolder, $script:Product.TranscriptFolder, $script:Product.BackupFolder, 'data', 'cli', $script:Product.ManifestFile)) { [void]$known.Add($name) }
    foreach ($name in $script:Product.AdminFiles) { [void]$known.Add($name); [void]$known.Add($name + $script:Product.TemplateSuffix) }
    foreach ($item in (Get-ChildItem -LiteralPath $SourcePath -Force)) { [void]$known.Add($item.Name) }
    if ($null -ne $Manifest) {
        foreach ($f in @($Manifest.files)) { [void]$known.Add((([string]$f.path) -split '[\\/]')[0]) }
    }
    foreach ($item in (Get-ChildItem -LiteralPath $InstallPath -Force)) {
        if (-not $known.Contains($item.Name)) { $item.Name }
    }
}

function Get-LsDataPath {
    <#
    .SYNOPSIS
        What -RemoveData deletes besides the manifest's files: the learned store and the MTA-STS cache the
        configuration names (resolver.learnedStorePath, resolver.mtaStsCachePath; relative to the install
        folder), and the logs, transcripts and backup folders. Only paths inside the install folder.
    .OUTPUTS
        Objects with What, Path, Inside (bool) and Type (File or Folder).
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][string]$InstallPath,
        [AllowNull()][object]$Config
    )
    $root = [System.IO.Path]::GetFullPath($InstallPath).TrimEnd('\', '/')
    $resolver = Get-LsPropertyValue -InputObject $Config -Name 'resolver'
    $learned = Get-LsPropertyValue -InputObject $resolver -Name 'learnedStorePath'
    $sts = Get-LsPropertyValue -InputObject $resolver -Name 'mtaStsCachePath'
    $items = [System.Collections.Generic.List[object]]::new()
    $learnedFull = $null
    if (-not [string]::IsNullOrEmpty([string]$learned)) {
        $learnedFull = [System.IO.Path]::GetFullPath($(if ([System.IO.Path]::IsPathRooted([string]$learned)) { [string]$learned } else { Join-Path $root ([string]$learned) }))
        $items.Add(@{ What = 'learned store (resolver.learnedStorePath)'; Path = $learnedFull; Type = 'File' })
    }
    if (-not [string]::IsNullOrEmpty([string]$sts)) {
        $stsFull = [System.IO.Path]::GetFullPath($(if ([System.IO.Path]::IsPathRooted([string]$sts)) { [string]$sts } else { Join-Path $root ([string]$sts) }))
        $items.Add(@{ What = 'MTA-STS policy cache (resolver.mtaStsCachePath)'; Path = $stsFull; Type = 'File' })
    }
    elseif ($null -ne $learnedFull) {
        # The default beside the learned store (docs/configuration.md).
        $items.Add(@{ What = 'MTA-STS policy cache (beside the learned store)'; Path = (Join-Path (Split-Path -Parent $learnedFull) 'mta-sts-cache.json'); Type = 'File' })
    }
    foreach ($folder in @($script:Product.LogsFolder, $script:Product.TranscriptFolder, $script:Product.BackupFolder)) {
        $items.Add(@{ What = "$folder folder"; Path = (Join-Path $root $folder); Type = 'Folder' })
    }
    foreach ($item in $items) {
        $inside = $item.Path.StartsWith($root + [System.IO.Path]::DirectorySeparatorChar, [System.StringComparison]::OrdinalIgnoreCase) -or
            $item.Path.StartsWith($root + '\', [System.StringComparison]::OrdinalIgnoreCase) -or $item.Path.StartsWith($root + '/', [System.StringComparison]::OrdinalIgnoreCase)
        [pscustomobject]@{ What = $item.What; Path = $item.Path; Type = $item.Type; Inside = $inside }
    }
}

#endregion

Export-ModuleMember -Function @(
    'Get-LsProduct', 'Get-LsDefaultInstallPath',
    'Test-LsExchangeShell', 'Assert-LsExchangeShell', 'Add-LsExchangeSnapin', 'Test-LsAdministrator', 'Get-LsComputerName',
    'Get-LsDotNetFrameworkRelease', 'Test-LsEventLogSource', 'New-LsEventLogSource', 'Remove-LsEventLogSource',
    'Get-LsRecentEventLogError', 'Get-LsServiceStatus', 'Stop-LsService', 'Start-LsService', 'Restart-LsService',
    'Test-LsFolderWriteAccess', 'Grant-LsFolderWriteAccess', 'Start-LsTranscript', 'Stop-LsTranscript',
    'Get-LsFolderSecurity', 'Set-LsFolderSecurity', 'Test-LsInstallFolderLocked', 'Set-LsInstallFolderLocked',
    'Invoke-LsCli', 'Get-LsAgentEvent', 'Wait-LsInterval',
    'ConvertTo-LsSid', 'New-LsTransaction', 'Add-LsUndo', 'Invoke-LsRollback', 'Get-LsFileHash256',
    'New-LsManifest', 'Write-LsManifest', 'Read-LsManifest', 'Get-LsManifestRemovalPlan', 'Get-LsForeignInstallItem', 'Get-LsDataPath',
    'Get-LsPropertyValue', 'ConvertTo-LsNameList', 'Test-LsSameSet', 'New-LsStepResult', 'New-LsCheckResult',
    'Get-LsExchangeVersion', 'Test-LsExchangeVersionSupported', 'Test-LsDotNetReleaseSupported',
    'Remove-LsJsonComment', 'Read-LsConfig', 'Get-LsRoutingSettings', 'Test-LsDomainName', 'Test-LsConfigStructure', 'Test-LsRoutingSettings',
    'Get-LsTransportAgent', 'Find-LsAgent', 'Restore-LsAgentState', 'Get-LsAgentFilePlan', 'Get-LsFileDifference', 'Copy-LsAgentFile',
    'Get-LsFileVersion'
)
