using System;
using System.Threading;

namespace LinkSecure.Exchange.Simulator;

/// <summary>
/// The simulator's wall clock: it stands still unless told to move (<see cref="Advance"/>, <see cref="AdvanceTo"/>),
/// which <see cref="TransportPipeline.RunUntilSettled"/> does to bring deferred items back. Give the agent the same
/// clock (the agent runtime takes a <c>TimeProvider</c>; wrap this clock in one) so that message ages agree. Thread-safe.
/// </summary>
public sealed class VirtualClock
{
    private long utcTicks;

    /// <summary>Initializes a new instance of the <see cref="VirtualClock"/> class at the current real time.</summary>
    public VirtualClock()
        : this(DateTimeOffset.UtcNow)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="VirtualClock"/> class.</summary>
    /// <param name="start">The starting time.</param>
    public VirtualClock(DateTimeOffset start)
    {
        utcTicks = start.UtcTicks;
    }

    /// <summary>Gets the current virtual time, in UTC.</summary>
    public DateTimeOffset UtcNow => new(Interlocked.Read(ref utcTicks), TimeSpan.Zero);

    /// <summary>Moves the clock forward.</summary>
    /// <param name="by">How far; not negative.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="by"/> is negative.</exception>
    public void Advance(TimeSpan by)
    {
        if (by < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(by), "The virtual clock does not go back.");
        }

        Interlocked.Add(ref utcTicks, by.Ticks);
    }

    /// <summary>Moves the clock forward to a time; a time in the past leaves it where it is.</summary>
    /// <param name="time">The time.</param>
    public void AdvanceTo(DateTimeOffset time)
    {
        var target = time.UtcTicks;
        while (true)
        {
            var now = Interlocked.Read(ref utcTicks);
            if (target <= now || Interlocked.CompareExchange(ref utcTicks, target, now) == now)
            {
                return;
            }
        }
    }
}
