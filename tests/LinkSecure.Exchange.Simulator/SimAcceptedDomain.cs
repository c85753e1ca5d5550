using Microsoft.Exchange.Data.Transport;

namespace LinkSecure.Exchange.Simulator;

/// <summary>An accepted domain. <see cref="IsInCorporation"/> is true for authoritative and internal-relay domains, as in Exchange.</summary>
public sealed class SimAcceptedDomain : AcceptedDomain
{
    /// <summary>Initializes a new instance of the <see cref="SimAcceptedDomain"/> class.</summary>
    /// <param name="name">The name, or <c>*.name</c> for it and its subdomains.</param>
    /// <param name="type">The domain type.</param>
    public SimAcceptedDomain(string name, AcceptedDomainType type = AcceptedDomainType.Authoritative)
    {
        NameSpecification = name;
        Type = type;
    }

    /// <summary>Gets the domain type.</summary>
    public AcceptedDomainType Type { get; }

    /// <inheritdoc />
    public override bool IsInCorporation => Type != AcceptedDomainType.ExternalRelay;

    /// <inheritdoc />
    public override string NameSpecification { get; }
}
