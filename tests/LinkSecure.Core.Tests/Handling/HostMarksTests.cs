using System;
using System.Collections.Generic;
using LinkSecure.Core.Handling;
using Xunit;

namespace LinkSecure.Core.Tests.Handling;

public class HostMarksTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Write_ThenRead_RoundTripsEveryField_AndIsFresh()
    {
        // Arrange
        var bag = new Dictionary<string, object>();

        // Act
        HostMarks.Write(bag, MarkKind.SecureApplied, Now, "linksecure-dv.invalid", useOverrideQueue: true, tlsDomain: "mx.example.com");
        var mark = HostMarks.Read(bag, Now.AddSeconds(5));

        // Assert
        Assert.Equal(MarkKind.SecureApplied, mark.Kind);
        Assert.True(mark.IsFresh);
        Assert.Equal("linksecure-dv.invalid", mark.RoutingDomain);
        Assert.True(mark.UseOverrideQueue);
        Assert.Equal("mx.example.com", mark.TlsDomain);
        Assert.All(bag.Values, v => Assert.True(v is string or int));
    }

    [Fact]
    public void Rewrite_DropsTheEarlierRoute_AndOldMarksAreNotFresh()
    {
        // Arrange
        var bag = new Dictionary<string, object>();
        HostMarks.Write(bag, MarkKind.SecureApplied, Now, "linksecure-dv.invalid", tlsDomain: "mx.example.com");

        // Act
        HostMarks.Write(bag, MarkKind.PassApplied, Now);
        var later = HostMarks.Read(bag, Now + HostMarks.FreshFor + TimeSpan.FromSeconds(1));
        var future = HostMarks.Read(bag, Now - TimeSpan.FromMinutes(5));

        // Assert
        Assert.Equal(MarkKind.PassApplied, later.Kind);
        Assert.Null(later.RoutingDomain);
        Assert.Null(later.TlsDomain);
        Assert.False(later.IsFresh);
        Assert.False(future.IsFresh);
    }

    [Theory]
    [InlineData("nonsense")]
    [InlineData("")]
    [InlineData(7)]
    public void Read_UnknownOrForeignValues_IsNoMark(object value)
    {
        // Arrange
        var bag = new Dictionary<string, object> { ["LinkSecure.Mark"] = value, ["LinkSecure.MarkedAt"] = "not ticks" };

        // Act
        var mark = HostMarks.Read(bag, Now);

        // Assert
        Assert.Equal(MarkKind.None, mark.Kind);
        Assert.Equal(MarkKind.None, HostMarks.Read(null, Now).Kind);
    }

    [Fact]
    public void ChangedAndDowngraded_AreReadBack_ChangedExpiresAfterAnHour()
    {
        // Arrange
        var bag = new Dictionary<string, object>();

        // Act
        HostMarks.SetChanged(bag, Now);
        HostMarks.SetDowngraded(bag);

        // Assert
        Assert.True(HostMarks.WasChanged(bag, Now.AddMinutes(59)));
        Assert.False(HostMarks.WasChanged(bag, Now.AddMinutes(61)));
        Assert.False(HostMarks.WasChanged(null, Now));
        Assert.True(HostMarks.IsDowngraded(bag));
        Assert.False(HostMarks.IsDowngraded(new Dictionary<string, object>()));
    }
}
