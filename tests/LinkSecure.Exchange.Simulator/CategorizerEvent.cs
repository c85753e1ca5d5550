namespace LinkSecure.Exchange.Simulator;

/// <summary>The categorizer's events in order (Transport agents page), and delivery after them.</summary>
public enum CategorizerEvent
{
    /// <summary><c>OnSubmittedMessage</c>: the item arrived in the Submission queue, before the transport rules run.</summary>
    Submitted = 0,

    /// <summary><c>OnResolvedMessage</c>: recipients resolved; the Transport Rule agent runs first (priority 1).</summary>
    Resolved = 1,

    /// <summary><c>OnRoutedMessage</c>: after routing.</summary>
    Routed = 2,

    /// <summary><c>OnCategorizedMessage</c>: the last event before the delivery queue.</summary>
    Categorized = 3,

    /// <summary>Delivery: the simulator records each remaining recipient's outcome.</summary>
    Delivery = 4,
}
