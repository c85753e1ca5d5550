using System;
using System.Collections.Generic;
using LinkSecure.Core.Protocol;

namespace LinkSecure.Core.Database;

/// <summary>One domain in the known-domain database (docs/known-domains.md describes the file format).</summary>
public sealed class KnownDomainEntry
{
    /// <summary>Gets the normalised domain (A-labels, lower case, no trailing dot).</summary>
    public string Domain { get; init; } = string.Empty;

    /// <summary>Gets the level recorded for the domain; 0 records "never link-secure".</summary>
    public LinkSecurityLevel Level { get; init; }

    /// <summary>Gets the MX host patterns (RFC 8461 §4.1 syntax) whose certificates a sender must verify.</summary>
    public IReadOnlyList<string> MxPatterns { get; init; } = Array.Empty<string>();

    /// <summary>Gets where the entry came from (a URL, "EFF policy list", "admin").</summary>
    public string Source { get; init; } = string.Empty;

    /// <summary>Gets when the entry was last verified; <see langword="null"/> when never.</summary>
    public DateTimeOffset? Verified { get; init; }

    /// <summary>Gets when the entry expires; after that it is ignored.</summary>
    public DateTimeOffset? Expires { get; init; }

    /// <summary>Gets a value indicating whether the entry is a public observation that has not been re-verified.
    /// Such entries count for level 1 at most.</summary>
    public bool Unverified { get; init; }

    /// <summary>Gets free-text notes.</summary>
    public string? Notes { get; init; }

    /// <summary>Gets the level the entry is allowed to support: <see cref="Level"/>, capped at 1 when <see cref="Unverified"/>.</summary>
    public LinkSecurityLevel EffectiveLevel =>
        Unverified && Level > LinkSecurityLevel.TransportSecure ? LinkSecurityLevel.TransportSecure : Level;
}
