namespace LinkSecure.Exchange.Simulator;

/// <summary>The type of an accepted domain (<c>New-AcceptedDomain -DomainType</c>).</summary>
public enum AcceptedDomainType
{
    /// <summary>Every recipient has a mailbox or mail user in the organization.</summary>
    Authoritative = 0,

    /// <summary>Some recipients are elsewhere (another forest, a hoster): mail for them leaves over a Send connector.
    /// Exchange still reports <c>IsInCorporation</c>, so an agent must not read it as "internal".</summary>
    InternalRelay = 1,

    /// <summary>Relayed for another organization; not in the corporation.</summary>
    ExternalRelay = 2,
}
