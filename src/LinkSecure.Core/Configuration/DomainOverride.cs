using System;
using System.Collections.Generic;
using LinkSecure.Core.Protocol;

namespace LinkSecure.Core.Configuration;

/// <summary>An administrator's override for one domain (JSON section <c>overrides</c>); it takes precedence over every source.</summary>
public sealed class DomainOverride
{
    /// <summary>Creates an override.</summary>
    /// <param name="domain">The normalised domain.</param>
    /// <param name="level">The forced level; <see cref="LinkSecurityLevel.None"/> with <paramref name="never"/> for "never link-secure".</param>
    /// <param name="never">Whether the domain is never link-secure, whatever the evidence says.</param>
    /// <param name="mxPatterns">The MX names the certificate must match (RFC 8461 §4.1 syntax); without them (and without
    /// a pinning database entry) the override gives no authenticated route, so tagged mail falls back.</param>
    public DomainOverride(string domain, LinkSecurityLevel level, bool never, IReadOnlyList<string>? mxPatterns = null)
    {
        Domain = domain;
        Level = never ? LinkSecurityLevel.None : level;
        Never = never;
        MxPatterns = mxPatterns ?? Array.Empty<string>();
    }

    /// <summary>Gets the MX names the administrator pins (may be empty).</summary>
    public IReadOnlyList<string> MxPatterns { get; }

    /// <summary>Gets the normalised domain.</summary>
    public string Domain { get; }

    /// <summary>Gets the forced level.</summary>
    public LinkSecurityLevel Level { get; }

    /// <summary>Gets a value indicating whether the domain is forced to "never link-secure".</summary>
    public bool Never { get; }
}
