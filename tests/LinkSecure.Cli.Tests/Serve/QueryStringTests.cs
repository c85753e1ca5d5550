using System;
using System.Linq;
using LinkSecure.Cli.Serve;
using Xunit;

namespace LinkSecure.Cli.Tests.Serve;

public sealed class QueryStringTests
{
    [Fact]
    public void Parse_DecodesPlusPercentAndUtf8_InOrder()
    {
        // Act
        var pairs = QueryString.Parse("?level=1&address=a%40b%C3%BCcher.test&address=+x+&flag&&empty=");

        // Assert
        Assert.Equal(new[] { "level", "address", "address", "flag", "empty" }, pairs.Select(p => p.Key));
        Assert.Equal(new[] { "1", "a@bücher.test", " x ", string.Empty, string.Empty }, pairs.Select(p => p.Value));
    }

    [Theory]
    [InlineData("a=%FF")]
    [InlineData("a=%C3")]
    [InlineData("a=%ED%A0%80")]
    [InlineData("a=%4")]
    [InlineData("a=%G0")]
    [InlineData("%zz=1")]
    public void Parse_MalformedOrNotUtf8_Throws(string query)
    {
        // Act & Assert
        Assert.Throws<FormatException>(() => QueryString.Parse(query));
    }

    [Fact]
    public void Parse_NullOrEmpty_IsNoPairs()
    {
        // Act & Assert
        Assert.Empty(QueryString.Parse(null));
        Assert.Empty(QueryString.Parse("?"));
    }
}
