using System;
using System.Globalization;

namespace LinkSecure.Core.Handling;

/// <summary>How old a message is (since the host received it), or that nobody can tell.</summary>
/// <remarks>An unknown age never expires a deferral into the request's fallback: <see cref="MessageHandler"/> passes it
/// to the decision engine as zero, so the message is deferred until the host's own expiry rather than bounced or
/// downgraded early because of a clock or time-zone mistake.</remarks>
public readonly struct MessageAge : IEquatable<MessageAge>
{
    /// <summary>A receive time more than this far in the future is implausible (clock skew beyond it): unknown.</summary>
    internal static readonly TimeSpan MaxFuture = TimeSpan.FromMinutes(5);

    /// <summary>A receive time more than this far in the past is implausible (longer than any host keeps mail): unknown.</summary>
    internal static readonly TimeSpan MaxAge = TimeSpan.FromDays(30);

    private readonly TimeSpan value;
    private readonly bool known;

    private MessageAge(TimeSpan value)
    {
        this.value = value;
        known = true;
    }

    /// <summary>Gets the unknown age.</summary>
    public static MessageAge Unknown => default;

    /// <summary>Gets a value indicating whether the age is known.</summary>
    public bool IsKnown => known;

    /// <summary>Gets the age; <see cref="TimeSpan.Zero"/> when unknown.</summary>
    public TimeSpan Value => value;

    /// <summary>A known age.</summary>
    /// <param name="age">The age; not negative.</param>
    /// <returns>The age.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="age"/> is negative.</exception>
    public static MessageAge Known(TimeSpan age) =>
        age < TimeSpan.Zero ? throw new ArgumentOutOfRangeException(nameof(age), age, "An age is not negative.") : new MessageAge(age);

    /// <summary>
    /// The age of a message from a host timestamp of any <see cref="DateTimeKind"/>.
    /// </summary>
    /// <remarks>
    /// <para><see cref="DateTimeKind.Utc"/>: <c>now - received</c>. <see cref="DateTimeKind.Local"/>: converted from this
    /// machine's time zone first. <see cref="DateTimeKind.Unspecified"/> (whether Exchange's <c>DateTimeReceived</c> is
    /// UTC or local is not documented): read both as UTC and as local time, and take the <em>younger</em> plausible
    /// reading, so a time zone west of UTC never makes a fresh message look hours old (which would apply the fallback at
    /// the first temporary failure); east of UTC it can only defer longer.</para>
    /// <para><c>default(DateTime)</c>, a time more than 5 minutes in the future, or one more than 30 days ago is
    /// <see cref="Unknown"/>; a time slightly in the future (clock skew) is age zero.</para>
    /// </remarks>
    /// <param name="received">When the host received the message.</param>
    /// <param name="now">The current time.</param>
    /// <returns>The age.</returns>
    public static MessageAge FromReceived(DateTime received, DateTimeOffset now) => FromReceived(received, now, TimeZoneInfo.Local);

    /// <summary><see cref="FromReceived(DateTime, DateTimeOffset)"/> with the local time zone given (the test seam).</summary>
    /// <param name="received">When the host received the message.</param>
    /// <param name="now">The current time.</param>
    /// <param name="local">The time zone a local or unspecified time is read in.</param>
    /// <returns>The age.</returns>
    internal static MessageAge FromReceived(DateTime received, DateTimeOffset now, TimeZoneInfo local)
    {
        if (received == default)
        {
            return Unknown;
        }

        var nowUtc = now.UtcDateTime;
        switch (received.Kind)
        {
            case DateTimeKind.Utc:
                return FromReading(Plausible(nowUtc - received));
            case DateTimeKind.Local:
                return FromReading(LocalReading(received, nowUtc, local));
            default:
                var asUtc = Plausible(nowUtc - received);
                var asLocal = LocalReading(received, nowUtc, local);
                if (asUtc is { } u && asLocal is { } l)
                {
                    return new MessageAge(u < l ? u : l);
                }

                return FromReading(asUtc ?? asLocal);
        }
    }

    /// <summary>Compares two ages.</summary>
    /// <param name="left">The first age.</param>
    /// <param name="right">The second age.</param>
    /// <returns><see langword="true"/> when equal.</returns>
    public static bool operator ==(MessageAge left, MessageAge right) => left.Equals(right);

    /// <summary>Compares two ages.</summary>
    /// <param name="left">The first age.</param>
    /// <param name="right">The second age.</param>
    /// <returns><see langword="true"/> when different.</returns>
    public static bool operator !=(MessageAge left, MessageAge right) => !left.Equals(right);

    /// <inheritdoc />
    public bool Equals(MessageAge other) => known == other.known && value == other.value;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is MessageAge other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => known ? value.GetHashCode() : -1;

    /// <summary>Formats the age in whole minutes, <c>12 min</c>, or <c>unknown</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() =>
        known ? ((long)Math.Floor(value.TotalMinutes)).ToString(CultureInfo.InvariantCulture) + " min" : "unknown";

    private static MessageAge FromReading(TimeSpan? reading) => reading is { } age ? new MessageAge(age) : Unknown;

    private static TimeSpan? LocalReading(DateTime received, DateTime nowUtc, TimeZoneInfo local)
    {
        var wall = DateTime.SpecifyKind(received, DateTimeKind.Unspecified);
        try
        {
            // GetUtcOffset reads an unspecified time as a time in `local` (an invalid or ambiguous time gets the
            // zone's standard offset).
            var utc = wall - local.GetUtcOffset(wall);
            return Plausible(nowUtc - utc);
        }
        catch (ArgumentOutOfRangeException)
        {
            // Within a day of DateTime.MinValue or MaxValue: no plausible reading.
            return null;
        }
    }

    private static TimeSpan? Plausible(TimeSpan reading)
    {
        if (reading < -MaxFuture || reading > MaxAge)
        {
            return null;
        }

        return reading < TimeSpan.Zero ? TimeSpan.Zero : reading;
    }
}
