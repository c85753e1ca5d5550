using System;
using System.Globalization;
using LinkSecure.Core.Protocol;

namespace LinkSecure.Core.Profiles;

/// <summary>One fact behind a domain profile, in words an administrator can act on.</summary>
public sealed class Evidence
{
    /// <summary>Creates evidence.</summary>
    /// <param name="source">Where it came from.</param>
    /// <param name="detail">What it says, e.g. "MTA-STS policy id 2024a mode enforce, mx *.mail.example".</param>
    /// <param name="supportsLevel">The level this evidence supports on its own (0 when it supports none).</param>
    /// <param name="expires">When it stops being valid; <see langword="null"/> for no expiry.</param>
    public Evidence(EvidenceSource source, string detail, LinkSecurityLevel supportsLevel = LinkSecurityLevel.None, DateTimeOffset? expires = null)
    {
        Source = source;
        Detail = detail ?? throw new ArgumentNullException(nameof(detail));
        SupportsLevel = supportsLevel;
        Expires = expires;
    }

    /// <summary>Gets where the evidence came from.</summary>
    public EvidenceSource Source { get; }

    /// <summary>Gets the human-readable detail.</summary>
    public string Detail { get; }

    /// <summary>Gets the level this evidence supports on its own.</summary>
    public LinkSecurityLevel SupportsLevel { get; }

    /// <summary>Gets when the evidence expires, if ever.</summary>
    public DateTimeOffset? Expires { get; }

    /// <summary>Gets a value indicating whether the evidence is authenticated: it comes from a source an attacker on
    /// the path cannot forge (an MTA-STS policy fetched over authenticated HTTPS, a DNSSEC-validated answer from a
    /// trusted validating resolver, a TLS session authenticated for a host of the domain's authenticated MX set, or
    /// the administrator's own configuration and database). Only authenticated evidence counts toward a level
    /// (docs/protocol.md §3).</summary>
    public bool Authenticated { get; init; }

    /// <summary>Formats the evidence for logs: <c>source: detail (expires …)</c>.</summary>
    /// <returns>A single line.</returns>
    public override string ToString() =>
        Expires is { } e
            ? string.Format(CultureInfo.InvariantCulture, "{0}{1}: {2} (until {3:yyyy-MM-dd HH:mm}Z)", Source, Authenticated ? " [authenticated]" : string.Empty, Detail, e.UtcDateTime)
            : string.Format(CultureInfo.InvariantCulture, "{0}{1}: {2}", Source, Authenticated ? " [authenticated]" : string.Empty, Detail);
}
