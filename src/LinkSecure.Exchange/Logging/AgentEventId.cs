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

    /// <summary>The configuration file is invalid: the last good settings stay in force; every error is listed.</summary>
    ConfigurationInvalid = 2001,

    /// <summary>The NLog configuration could not be loaded: decision logging is off.</summary>
    LoggingUnavailable = 2002,

    /// <summary>The agent factory failed to start: the agent is inert and lets mail pass untouched.</summary>
    FactoryFailed = 3001,

    /// <summary>CreateAgent failed: an inert agent was returned for this mail item.</summary>
    CreateAgentFailed = 3002,
}
