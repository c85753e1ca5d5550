using System;
using LinkSecure.Core.Handling;
using Xunit;

namespace LinkSecure.Core.Tests.Handling;

public class MessageAgeTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeZoneInfo West = TimeZoneInfo.CreateCustomTimeZone("LinkSecure/Test-West", TimeSpan.FromHours(-5), "UTC-5 (test)", "UTC-5 (test)");
    private static readonly TimeZoneInfo East = TimeZoneInfo.CreateCustomTimeZone("LinkSecure/Test-East", TimeSpan.FromHours(5.5), "UTC+5:30 (test)", "UTC+5:30 (test)");

    /// <summary>The wall-clock time a host in <paramref name="zone"/> shows for a UTC instant, with the given kind.</summary>
    private static DateTime Wall(DateTime utc, TimeZoneInfo zone, DateTimeKind kind) => DateTime.SpecifyKind(utc + zone.BaseUtcOffset, kind);

    [Fact]
    public void Unknown_HasZeroValueAndSaysUnknown()
    {
        // Act
        var unknown = MessageAge.Unknown;

        // Assert
        Assert.False(unknown.IsKnown);
        Assert.Equal(TimeSpan.Zero, unknown.Value);
        Assert.Equal("unknown", unknown.ToString());
        Assert.Equal(default, unknown);
        Assert.NotEqual(MessageAge.Known(TimeSpan.Zero), unknown);
    }

    [Fact]
    public void Known_FormatsWholeMinutes_AndRejectsNegative()
    {
        // Act
        var age = MessageAge.Known(TimeSpan.FromSeconds(12 * 60 + 59));

        // Assert
        Assert.True(age.IsKnown);
        Assert.Equal("12 min", age.ToString());
        Assert.Equal(MessageAge.Known(TimeSpan.FromSeconds(779)), age);
        Assert.Throws<ArgumentOutOfRangeException>(() => MessageAge.Known(TimeSpan.FromTicks(-1)));
    }

    [Theory]
    [InlineData(DateTimeKind.Utc)]
    [InlineData(DateTimeKind.Local)]
    [InlineData(DateTimeKind.Unspecified)]
    public void DefaultDateTime_IsUnknown(DateTimeKind kind)
    {
        // Act
        var age = MessageAge.FromReceived(DateTime.SpecifyKind(default, kind), Now, West);

        // Assert
        Assert.False(age.IsKnown);
    }

    [Fact]
    public void Utc_IsNowMinusReceived()
    {
        // Act
        var age = MessageAge.FromReceived(Now.UtcDateTime.AddMinutes(-12), Now);

        // Assert
        Assert.Equal(MessageAge.Known(TimeSpan.FromMinutes(12)), age);
    }

    [Theory]
    [InlineData(-2, 0)] // slightly in the future (clock skew): zero
    [InlineData(-5, 0)]
    [InlineData(29 * 24 * 60, 29 * 24 * 60)]
    public void Utc_PlausibleEdges_AreKnown(int minutesAgo, int expectedMinutes)
    {
        // Act
        var age = MessageAge.FromReceived(Now.UtcDateTime.AddMinutes(-minutesAgo), Now);

        // Assert
        Assert.Equal(MessageAge.Known(TimeSpan.FromMinutes(expectedMinutes)), age);
    }

    [Theory]
    [InlineData(-6)] // more than 5 minutes in the future
    [InlineData(-600)]
    [InlineData(31 * 24 * 60)] // older than 30 days
    public void Utc_Implausible_IsUnknown(int minutesAgo)
    {
        // Act
        var age = MessageAge.FromReceived(Now.UtcDateTime.AddMinutes(-minutesAgo), Now);

        // Assert
        Assert.False(age.IsKnown);
    }

    [Fact]
    public void Local_IsConvertedFromTheLocalZone_WestAndEast()
    {
        // Arrange: the message arrived 12 minutes ago; the host shows local wall-clock time marked Local.
        var arrived = Now.UtcDateTime.AddMinutes(-12);

        // Act
        var west = MessageAge.FromReceived(Wall(arrived, West, DateTimeKind.Local), Now, West);
        var east = MessageAge.FromReceived(Wall(arrived, East, DateTimeKind.Local), Now, East);

        // Assert
        Assert.Equal(MessageAge.Known(TimeSpan.FromMinutes(12)), west);
        Assert.Equal(MessageAge.Known(TimeSpan.FromMinutes(12)), east);
    }

    [Fact]
    public void Unspecified_LocalWallClockWestOfUtc_IsNotReadAsHoursOld()
    {
        // Arrange: UTC-5 wall-clock time, kind Unspecified. Read as UTC it would be 5 h 12 min old (past a 4 h
        // maxDefer: the fallback at the first temporary failure); read as local it is 12 minutes old.
        var received = Wall(Now.UtcDateTime.AddMinutes(-12), West, DateTimeKind.Unspecified);

        // Act
        var age = MessageAge.FromReceived(received, Now, West);

        // Assert: the younger reading.
        Assert.Equal(MessageAge.Known(TimeSpan.FromMinutes(12)), age);
    }

    [Fact]
    public void Unspecified_LocalWallClockEastOfUtc_IgnoresTheFutureReading()
    {
        // Arrange: UTC+5:30 wall-clock time, kind Unspecified. Read as UTC it lies 5 h 18 min in the future.
        var received = Wall(Now.UtcDateTime.AddMinutes(-12), East, DateTimeKind.Unspecified);

        // Act
        var age = MessageAge.FromReceived(received, Now, East);

        // Assert
        Assert.Equal(MessageAge.Known(TimeSpan.FromMinutes(12)), age);
    }

    [Fact]
    public void Unspecified_ThatIsReallyUtc_IsRightInBothZones()
    {
        // Arrange: a UTC time marked Unspecified, on hosts west and east of UTC.
        var received = DateTime.SpecifyKind(Now.UtcDateTime.AddMinutes(-12), DateTimeKind.Unspecified);

        // Act
        var west = MessageAge.FromReceived(received, Now, West);
        var east = MessageAge.FromReceived(received, Now, East);

        // Assert: west, the local reading lies in the future and is ignored; east, it is older and the younger wins.
        Assert.Equal(MessageAge.Known(TimeSpan.FromMinutes(12)), west);
        Assert.Equal(MessageAge.Known(TimeSpan.FromMinutes(12)), east);
    }

    [Fact]
    public void Unspecified_BothReadingsImplausible_IsUnknown()
    {
        // Arrange
        var old = DateTime.SpecifyKind(Now.UtcDateTime.AddDays(-40), DateTimeKind.Unspecified);
        var future = DateTime.SpecifyKind(Now.UtcDateTime.AddDays(2), DateTimeKind.Unspecified);

        // Act
        var oldAge = MessageAge.FromReceived(old, Now, East);
        var futureAge = MessageAge.FromReceived(future, Now, West);

        // Assert
        Assert.False(oldAge.IsKnown);
        Assert.False(futureAge.IsKnown);
    }

    [Fact]
    public void NearMinValue_HasNoPlausibleLocalReading_AndDoesNotThrow()
    {
        // Act
        var age = MessageAge.FromReceived(DateTime.MinValue.AddHours(1), Now, East);

        // Assert
        Assert.False(age.IsKnown);
    }
}
