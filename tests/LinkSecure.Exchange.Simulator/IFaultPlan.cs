using System;
using Microsoft.Exchange.Data.Transport;

namespace LinkSecure.Exchange.Simulator;

/// <summary>
/// Faults the simulator injects into the Exchange surface the agent sees. Asked only while one of the agent's handlers
/// (or its asynchronous continuation) runs for the item; the pipeline's own reads are never faulted. Implementations
/// must be thread-safe and should be deterministic for a given item lineage, so that a seeded run repeats.
/// </summary>
public interface IFaultPlan
{
    /// <summary>Tells whether an Exchange call throws, and what.</summary>
    /// <param name="call">The call.</param>
    /// <param name="item">The mail item it is made on (or whose event source it is made on).</param>
    /// <param name="occurrence">How many calls of this kind were made on this item before (0 for the first).</param>
    /// <returns>The exception to throw, or <see langword="null"/> to let the call go through.</returns>
    Exception? GetFault(ExchangeCall call, SimMailItem item, int occurrence);

    /// <summary>Tells whether <c>Recipients.Remove(recipient, dsnType, response)</c> returns <see langword="false"/>
    /// without removing the recipient (nothing in the SDK documentation says when it does).</summary>
    /// <param name="item">The mail item.</param>
    /// <param name="recipient">The recipient being removed.</param>
    /// <returns><see langword="true"/> to refuse the removal.</returns>
    bool RefusesRemove(SimMailItem item, EnvelopeRecipient recipient);

    /// <summary>Tells whether a top-level header's value is malformed in the item's header DOM: its <c>Value</c> getter
    /// throws <see cref="FormatException"/> and <c>TryGetValue</c> returns <see langword="false"/> (the facade's
    /// stand-in for a value Exchange's decoder rejects). The MIME bytes are unchanged.</summary>
    /// <param name="item">The mail item.</param>
    /// <param name="headerName">The header field name.</param>
    /// <returns><see langword="true"/> to make the value malformed.</returns>
    bool IsMalformed(SimMailItem item, string headerName);
}
