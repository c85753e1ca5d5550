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

    /// <summary>Gets a value indicating whether recipient lookup in the address book is on (<c>AddressBookEnabled</c>):
    /// Exchange's default is on for authoritative domains and off for relay domains; settable to model an
    /// administrator who changed it.</summary>
    public bool AddressBookEnabled { get; init; } = true;

    /// <inheritdoc />
    public override bool UseAddressBook => Type == AcceptedDomainType.Authoritative ? AddressBookEnabled : AddressBookEnabled && ExplicitAddressBook;

    /// <summary>Gets a value indicating whether the address book was turned on explicitly for a relay domain.</summary>
    public bool ExplicitAddressBook { get; init; }

    /// <inheritdoc />
    public override string NameSpecification { get; }
}
