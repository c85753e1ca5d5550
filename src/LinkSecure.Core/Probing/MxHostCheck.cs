using System;
using System.Collections.Generic;
using LinkSecure.Core.Network;

namespace LinkSecure.Core.Probing;

/// <summary>What the check found for one MX host: its addresses, DANE status, policy match and the probe of each address.</summary>
public sealed class MxHostCheck
{
    internal MxHostCheck(string host, int preference)
    {
        Host = host;
        Preference = preference;
    }

    /// <summary>Gets the MX host name.</summary>
    public string Host { get; }

    /// <summary>Gets the MX preference (0 for an implicit MX).</summary>
    public int Preference { get; }

    /// <summary>Gets the host's addresses.</summary>
    public IReadOnlyList<string> Addresses { get; internal set; } = Array.Empty<string>();

    /// <summary>Gets why the addresses could not be found, or <see langword="null"/>.</summary>
    public string? AddressError { get; internal set; }

    /// <summary>Gets the DANE status.</summary>
    public DaneStatus Dane { get; internal set; } = DaneStatus.NotChecked;

    /// <summary>Gets the DANE detail, in words.</summary>
    public string DaneDetail { get; internal set; } = string.Empty;

    /// <summary>Gets the DNSSEC-validated TLSA records (empty unless <see cref="Dane"/> is usable or all-unusable).</summary>
    public IReadOnlyList<TlsaAssociation> Tlsa { get; internal set; } = Array.Empty<TlsaAssociation>();

    /// <summary>Gets whether the host name matches the domain's MTA-STS <c>mx</c> patterns (RFC 8461 §4.1);
    /// <see langword="null"/> without a policy.</summary>
    public bool? MatchesPolicy { get; internal set; }

    /// <summary>Gets what the evidence requires of this MX and whether this run's observation meets it.</summary>
    public MxRequirementCheck? Requirement { get; internal set; }

    /// <summary>Gets the probe of each address.</summary>
    public IReadOnlyList<SmtpProbeResult> Probes { get; internal set; } = Array.Empty<SmtpProbeResult>();

    /// <summary>Gets what was recorded in the learned store for this host, or <see langword="null"/> when the probes
    /// were inconclusive (or recording is off).</summary>
    public LearnedCapabilities? Learned { get; internal set; }
}
