namespace LinkSecure.Exchange.Simulator;

/// <summary>Where a recipient ended.</summary>
public enum OutcomeKind
{
    /// <summary>Delivered by one copy (with that copy's route, TLS domain and MIME).</summary>
    Delivered = 0,

    /// <summary>Removed with a DSN: an NDR.</summary>
    Bounced = 1,

    /// <summary>In a deferred copy that is still waiting.</summary>
    Deferred = 2,

    /// <summary>Routed to a routing domain no Send connector serves (<see cref="TransportPipeline.ServedRoutingDomains"/>):
    /// the recipient waits in the Unreachable queue until the message expires; never delivered.</summary>
    Unreachable = 3,
}
