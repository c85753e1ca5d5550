using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace LinkSecure.Core.Probing;

/// <summary>One TLSA record's fields (RFC 6698 §2.1): certificate usage, selector, matching type and association data.</summary>
public sealed class TlsaAssociation
{
    private readonly byte[] data;

    /// <summary>Creates a TLSA association.</summary>
    /// <param name="usage">Certificate usage: 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE.</param>
    /// <param name="selector">0 full certificate, 1 SubjectPublicKeyInfo.</param>
    /// <param name="matchingType">0 exact, 1 SHA-256, 2 SHA-512.</param>
    /// <param name="associationData">The certificate association data.</param>
    public TlsaAssociation(byte usage, byte selector, byte matchingType, IEnumerable<byte> associationData)
    {
        Usage = usage;
        Selector = selector;
        MatchingType = matchingType;
        data = (associationData ?? throw new ArgumentNullException(nameof(associationData))).ToArray();
    }

    /// <summary>Gets the certificate usage.</summary>
    public byte Usage { get; }

    /// <summary>Gets the selector.</summary>
    public byte Selector { get; }

    /// <summary>Gets the matching type.</summary>
    public byte MatchingType { get; }

    /// <summary>Gets the certificate association data.</summary>
    public IReadOnlyList<byte> AssociationData => data;

    /// <summary>Gets a value indicating whether the record is usable for SMTP: usage 2 or 3 (RFC 7672 §3.1), a known
    /// selector and matching type, and a digest of the right length (RFC 6698 §2.1, RFC 7671 §9).</summary>
    public bool IsUsable => Usage is 2 or 3 && Selector <= 1 && MatchingType switch
    {
        0 => data.Length > 0,
        1 => data.Length == 32,
        2 => data.Length == 64,
        _ => false,
    };

    internal byte[] Data => data;

    /// <summary>Formats the record as in a zone file, with the data in hex: <c>3 1 1 ab12…</c>.</summary>
    /// <returns>The presentation form.</returns>
    public override string ToString() =>
        string.Format(CultureInfo.InvariantCulture, "{0} {1} {2} {3}", Usage, Selector, MatchingType, CertificateInfo.Hex(data));
}
