namespace LinkSecure.Exchange.Simulator;

/// <summary>
/// Which event the second copy of a <c>Fork</c> is raised: the two readings nobody has verified on a lab server
/// (shared/reference/exchange-transport.md §3). Tests run the agent in both.
/// </summary>
public enum ForkMode
{
    /// <summary>The clone runs the forking event again at the forking agent's position, after the first copy finished,
    /// then the later events (the reference's reading of decompiled Exchange 2013 code; unverified).</summary>
    ReentersSameEvent = 0,

    /// <summary>The clone is raised only the events after the forking one (API reference, <c>Fork</c>, aa563120: "Agents
    /// receive an OnRoutedMessage event invocation for this second copy after the processing of the first copy is
    /// finished"): a fork at <c>OnResolvedMessage</c> gives the clone <c>OnRoutedMessage</c> and
    /// <c>OnCategorizedMessage</c>, a fork at <c>OnRoutedMessage</c> gives it <c>OnCategorizedMessage</c>, and a fork at
    /// <c>OnCategorizedMessage</c> sends it straight to delivery with no event at all (recorded as a violation).</summary>
    LaterEventsOnly = 1,
}
