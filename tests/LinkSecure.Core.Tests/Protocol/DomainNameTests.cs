using LinkSecure.Core.Protocol;
using Xunit;

namespace LinkSecure.Core.Tests.Protocol;

public class DomainNameTests
{
    [Theory]
    [InlineData("Example.COM", "example.com")]
    [InlineData("example.com.", "example.com")]
    [InlineData(" example.com ", "example.com")]
    [InlineData("bücher.example", "xn--bcher-kva.example")]
    [InlineData("XN--BCHER-KVA.example", "xn--bcher-kva.example")]
    [InlineData("_mta-sts.example.com", "_mta-sts.example.com")]
    public void TryNormalize_ValidNames(string input, string expected)
    {
        // Act
        var ok = DomainName.TryNormalize(input, out var normalized);

        // Assert
        Assert.True(ok);
        Assert.Equal(expected, normalized);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(".")]
    [InlineData("a..b")]
    [InlineData("-bad.example")]
    [InlineData("bad-.example")]
    [InlineData("exa mple.com")]
    [InlineData("exa$mple.com")]
    [InlineData(null)]
    public void TryNormalize_InvalidNames(string? input)
    {
        // Act
        var ok = DomainName.TryNormalize(input, out var normalized);

        // Assert
        Assert.False(ok);
        Assert.Null(normalized);
    }

    [Fact]
    public void TryNormalize_RejectsOverlongLabel()
    {
        // Act
        var ok = DomainName.TryNormalize(new string('a', 64) + ".example", out _);

        // Assert
        Assert.False(ok);
    }

    [Theory]
    [InlineData("alice@Gmail.COM", "gmail.com")]
    [InlineData("<bob@bücher.example>", "xn--bcher-kva.example")]
    [InlineData("\"odd@name\"@example.org", "example.org")]
    public void TryGetAddressDomain_ExtractsDomain(string address, string expected)
    {
        // Act
        var ok = DomainName.TryGetAddressDomain(address, out var domain);

        // Assert
        Assert.True(ok);
        Assert.Equal(expected, domain);
    }

    [Theory]
    [InlineData("no-at-sign")]
    [InlineData("user@")]
    [InlineData("user@[192.0.2.1]")]
    [InlineData("")]
    public void TryGetAddressDomain_NoDomain(string address)
    {
        // Act
        var ok = DomainName.TryGetAddressDomain(address, out _);

        // Assert
        Assert.False(ok);
    }
}
