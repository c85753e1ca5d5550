namespace LinkSecure.Core.Configuration;

/// <summary>How a host steers recipients that must be delivered over TLS.</summary>
public enum RoutingMode
{
    /// <summary>DNS-routing Send connectors, one per TLS treatment, selected by a routing domain (docs/agent.md).</summary>
    Connector = 0,

    /// <summary>A relay (smart host) that enforces MTA-STS, DANE and REQUIRETLS itself.</summary>
    SmartHost = 1,
}
