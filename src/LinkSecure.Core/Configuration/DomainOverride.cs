using LinkSecure.Core.Protocol;

namespace LinkSecure.Core.Configuration;

/// <summary>An administrator's override for one domain (JSON section <c>overrides</c>); it takes precedence over every source.</summary>
public sealed class DomainOverride
{
    /// <summary>Creates an override.</summary>
    /// <param name="domain">The normalised domain.</param>
    /// <param name="level">The forced level; <see cref="LinkSecurityLevel.None"/> with <paramref name="never"/> for "never link-secure".</param>
    /// <param name="never">Whether the domain is never link-secure, whatever the evidence says.</param>
    public DomainOverride(string domain, LinkSecurityLevel level, bool never)
    {
        Domain = domain;
        Level = never ? LinkSecurityLevel.None : level;
        Never = never;
    }

    /// <summary>Gets the normalised domain.</summary>
    public string Domain { get; }

    /// <summary>Gets the forced level.</summary>
    public LinkSecurityLevel Level { get; }

    /// <summary>Gets a value indicating whether the domain is forced to "never link-secure".</summary>
    public bool Never { get; }
}
