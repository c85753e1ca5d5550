using System.Collections.Generic;

namespace LinkSecure.Core.Probing;

/// <summary>The DANE check of one MX address: the host's DNSSEC-validated TLSA records and whether the presented chain
/// matched one of them (RFC 7672 §3).</summary>
public sealed class DaneCheck
{
    internal DaneCheck(IReadOnlyList<TlsaAssociation> records, bool matched, string detail)
    {
        Records = records;
        Matched = matched;
        Detail = detail;
    }

    /// <summary>Gets the TLSA records.</summary>
    public IReadOnlyList<TlsaAssociation> Records { get; }

    /// <summary>Gets a value indicating whether a usable record matched the presented chain.</summary>
    public bool Matched { get; }

    /// <summary>Gets which record matched and how, or why none did.</summary>
    public string Detail { get; }
}
