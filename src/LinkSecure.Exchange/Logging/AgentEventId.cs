namespace LinkSecure.Exchange.Logging;

/// <summary>Event IDs written to the Windows Application log under the source "ExchangeLinkSecure" (docs/agent.md).</summary>
internal enum AgentEventId
{
    /// <summary>The agent started with the configuration named in the message.</summary>
    Started = 1000,

    /// <summary>A changed configuration file was loaded and is now in force.</summary>
    ConfigurationReloaded = 1001,

    /// <summary>The configuration file is absent: embedded defaults are in force.</summary>
    ConfigurationAbsent = 1002,

    /// <summary>The agent factory was closed (transport service stopping).</summary>
    Stopped = 1003,

    /// <summary>The DNSSEC self-test of a new network source passed: the trusted resolver validates (the message names it).</summary>
    DnssecSelfTestPassed = 1004,

    /// <summary>The configuration file is invalid: the last good settings stay in force; every error is listed.</summary>
    ConfigurationInvalid = 2001,

    /// <summary>The NLog configuration could not be loaded: decision logging is off.</summary>
    LoggingUnavailable = 2002,

    /// <summary>The DNSSEC self-test of a new network source did not pass (not validating, no validator, failed or timed
    /// out): DANE and signed declarations will not be used.</summary>
    DnssecSelfTestFailed = 2003,

    /// <summary>A warning about the resolver configuration of a new network source (one event per warning).</summary>
    ResolverWarning = 2004,

    /// <summary>An opt-in that weakens the trust rule is on (<c>resolver.acceptUnauthenticatedDeclarations</c> or
    /// <c>routing.allowUnauthenticatedRoutes</c>): tagged mail is protected against passive eavesdroppers only.</summary>
    UnauthenticatedOptIn = 2005,

    /// <summary>The assembly resolver refused a request for a name the agent ships (a higher version or another public key
    /// token than the agent's copy); once per name.</summary>
    DependencyRefused = 2006,

    /// <summary>The agent factory failed to start: the agent is inert (untagged mail passes untouched; mail that requests
    /// link security is deferred, event 3003 each).</summary>
    FactoryFailed = 3001,

    /// <summary>CreateAgent failed: an inert agent was returned for this mail item.</summary>
    CreateAgentFailed = 3002,

    /// <summary>The inert agent deferred a message that requests link security.</summary>
    InertDeferred = 3003,
}
