using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.Exchange.Data.Transport;

namespace LinkSecure.Exchange.Simulator;

/// <summary>The accepted domains of the simulated organization.</summary>
public sealed class SimAcceptedDomains : AcceptedDomainCollection
{
    private readonly List<SimAcceptedDomain> domains = new();

    /// <summary>Gets the domains.</summary>
    public IReadOnlyList<SimAcceptedDomain> Domains => domains;

    /// <summary>Adds a domain.</summary>
    /// <param name="domain">The domain.</param>
    public void Add(SimAcceptedDomain domain) => domains.Add(domain ?? throw new ArgumentNullException(nameof(domain)));

    /// <inheritdoc />
    /// <remarks>An exact name wins over a <c>*.</c> pattern; <see langword="null"/> when none matches.</remarks>
    public override AcceptedDomain Find(string domainName)
    {
        if (string.IsNullOrEmpty(domainName))
        {
            return null!;
        }

        return domains.FirstOrDefault(d => string.Equals(d.NameSpecification, domainName, StringComparison.OrdinalIgnoreCase))
            ?? domains.FirstOrDefault(d => d.NameSpecification.StartsWith("*.", StringComparison.Ordinal)
                && (domainName.EndsWith(d.NameSpecification.Substring(1), StringComparison.OrdinalIgnoreCase)
                    || string.Equals(domainName, d.NameSpecification.Substring(2), StringComparison.OrdinalIgnoreCase)))!;
    }

    /// <inheritdoc />
    public override IEnumerator<AcceptedDomain> GetEnumerator() => domains.GetEnumerator();
}
