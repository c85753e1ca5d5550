using System;
using LinkSecure.Exchange.Simulator;

namespace LinkSecure.Exchange.Tests.Support;

/// <summary>
/// The simulator's <see cref="VirtualClock"/> as the agent's <see cref="TimeProvider"/>: the wall clock (message age,
/// cache expiry) is virtual, while timers and timestamps stay real, so lookup budgets still run out in real time.
/// </summary>
internal sealed class VirtualTimeProvider : TimeProvider
{
    private readonly VirtualClock clock;

    public VirtualTimeProvider(VirtualClock clock)
    {
        this.clock = clock;
    }

    public override DateTimeOffset GetUtcNow() => clock.UtcNow;
}
