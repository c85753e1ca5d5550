using System;
using LinkSecure.Core.Protocol;
using Xunit;

namespace LinkSecure.Core.Tests.Protocol;

public class DeclaredRecordTests
{
    [Fact]
    public void TrySelect_SingleValidRecord_IsSelected()
    {
        // Arrange
        var txt = new[] { "v=spf1 -all", "v=LS1; level=3; max-age=86400", "google-site-verification=abc" };

        // Act
        var ok = DeclaredRecord.TrySelect(txt, out var record, out var problem);

        // Assert
        Assert.True(ok);
        Assert.Null(problem);
        Assert.Equal(LinkSecurityLevel.BounceInsecure, record!.Level);
        Assert.Equal(TimeSpan.FromDays(1), record.MaxAge);
    }

    [Fact]
    public void TrySelect_TwoCandidates_SelectsNone()
    {
        // Arrange: RFC 8461 §3.1 selection rule, applied to _linksecure
        var txt = new[] { "v=LS1; level=3; max-age=86400", "v=LS1; level=1; max-age=60" };

        // Act
        var ok = DeclaredRecord.TrySelect(txt, out var record, out var problem);

        // Assert
        Assert.False(ok);
        Assert.Null(record);
        Assert.Contains("exactly one", problem);
    }

    [Fact]
    public void TrySelect_NoCandidate_NoProblem()
    {
        // Act
        var ok = DeclaredRecord.TrySelect(new[] { "v=STSv1; id=1" , "v=LS10; level=1; max-age=1" }, out var record, out var problem);

        // Assert
        Assert.False(ok);
        Assert.Null(record);
        Assert.Null(problem);
    }

    [Theory]
    [InlineData("v=LS1; level=5; max-age=60", "level")]
    [InlineData("v=LS1; level=0; max-age=60", "level")]
    [InlineData("v=LS1; max-age=60", "no level")]
    [InlineData("v=LS1; level=2", "no max-age")]
    [InlineData("v=LS1; level=2; max-age=soon", "max-age")]
    [InlineData("v=LS1; level=2; max-age=-5", "max-age")]
    [InlineData("v=LS1; level", "name=value")]
    public void TryParse_InvalidRecords(string text, string expected)
    {
        // Act
        var ok = DeclaredRecord.TryParse(text, out var record, out var problem);

        // Assert
        Assert.False(ok);
        Assert.Null(record);
        Assert.Contains(expected, problem);
    }

    [Fact]
    public void TryParse_FirstOccurrenceWins_UnknownIgnored_MaxAgeCapped()
    {
        // Act
        var ok = DeclaredRecord.TryParse("v=LS1;level=2;LEVEL=4;ext=yes;max-age=9999999999", out var record, out _);

        // Assert
        Assert.True(ok);
        Assert.Equal(LinkSecurityLevel.ReadSecure, record!.Level);
        Assert.Equal(TimeSpan.FromSeconds(DeclaredRecord.MaxMaxAgeSeconds), record.MaxAge);
        Assert.Equal("v=LS1; level=2; max-age=31557600", record.ToString());
    }

    [Theory]
    [InlineData("LINKSECURE 3 86400", LinkSecurityLevel.BounceInsecure, 86400)]
    [InlineData("linksecure 1 60", LinkSecurityLevel.TransportSecure, 60)]
    public void EhloKeyword_Valid(string line, LinkSecurityLevel level, int seconds)
    {
        // Act
        var ok = EhloKeyword.TryParse(line, out var keyword);

        // Assert
        Assert.True(ok);
        Assert.Equal(level, keyword!.Level);
        Assert.Equal(TimeSpan.FromSeconds(seconds), keyword.MaxAge);
    }

    [Theory]
    [InlineData("LINKSECURE")]
    [InlineData("LINKSECURE 5 60")]
    [InlineData("LINKSECURE 0 60")]
    [InlineData("LINKSECURE 2")]
    [InlineData("LINKSECURE 2 60 extra")]
    [InlineData("LINKSECURE two 60")]
    [InlineData("REQUIRETLS")]
    [InlineData(null)]
    public void EhloKeyword_Invalid(string? line)
    {
        // Act
        var ok = EhloKeyword.TryParse(line, out var keyword);

        // Assert
        Assert.False(ok);
        Assert.Null(keyword);
    }
}
