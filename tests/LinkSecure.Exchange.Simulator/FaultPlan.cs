using System;
using Microsoft.Exchange.Data.Transport;

namespace LinkSecure.Exchange.Simulator;

/// <summary>A fault plan made of delegates: a test says exactly which call fails.</summary>
public sealed class FaultPlan : IFaultPlan
{
    /// <summary>Gets or sets what makes a call throw: (call, item, occurrence) → exception or <see langword="null"/>.</summary>
    public Func<ExchangeCall, SimMailItem, int, Exception?>? Throw { get; set; }

    /// <summary>Gets or sets which removals are refused.</summary>
    public Func<SimMailItem, EnvelopeRecipient, bool>? RefuseRemove { get; set; }

    /// <summary>Gets or sets which header values are malformed.</summary>
    public Func<SimMailItem, string, bool>? Malformed { get; set; }

    /// <summary>A plan under which one call throws on its n-th occurrence on every item.</summary>
    /// <param name="call">The call.</param>
    /// <param name="occurrence">The occurrence (0 for the first call of that kind on an item).</param>
    /// <returns>The plan.</returns>
    public static FaultPlan ThrowOn(ExchangeCall call, int occurrence = 0) => new()
    {
        Throw = (c, item, n) => c == call && n == occurrence ? new InjectedFaultException($"injected: {call} #{n} on item {item.Id}") : null,
    };

    /// <inheritdoc />
    public Exception? GetFault(ExchangeCall call, SimMailItem item, int occurrence) => Throw?.Invoke(call, item, occurrence);

    /// <inheritdoc />
    public bool RefusesRemove(SimMailItem item, EnvelopeRecipient recipient) => RefuseRemove?.Invoke(item, recipient) == true;

    /// <inheritdoc />
    public bool IsMalformed(SimMailItem item, string headerName) => Malformed?.Invoke(item, headerName) == true;
}
