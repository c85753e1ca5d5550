using System.IO;
using System.Linq;
using System.Text;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Database;
using Xunit;

namespace LinkSecure.Core.Tests.Configuration;

/// <summary><c>resolver.dnssecProbeName</c>: the name whose DNSKEY the DNSSEC self-test asks for.</summary>
public class DnssecProbeNameSettingsTests
{
    private static LinkSecureSettings Load(string resolverJson) =>
        LinkSecureSettings.Load(new MemoryStream(Encoding.UTF8.GetBytes("{ \"resolver\": " + resolverJson + " }")), "test");

    [Fact]
    public void Default_IsTheRoot()
    {
        // Act
        var settings = Load("{}").Resolver;

        // Assert
        Assert.Equal(".", settings.DnssecProbeName);
        Assert.Equal(".", ResolverSettings.Default.DnssecProbeName);
    }

    [Theory]
    [InlineData(".", ".")]
    [InlineData("dnssec.example", "dnssec.example")]
    [InlineData("Signed.Example.", "signed.example")]
    public void ValidNames_AreRead_Normalised(string value, string expected)
    {
        // Act
        var settings = Load("{ \"dnssecProbeName\": \"" + value + "\" }").Resolver;

        // Assert
        Assert.Equal(expected, settings.DnssecProbeName);
    }

    [Theory]
    [InlineData("\"not a name\"")]
    [InlineData("\"..\"")]
    [InlineData("\"-bad.example\"")]
    [InlineData("\"\"")]
    [InlineData("42")]
    public void InvalidValues_AreErrorsWithTheirPath(string value)
    {
        // Act
        var ex = Assert.Throws<DocumentException>(() => Load("{ \"dnssecProbeName\": " + value + " }"));

        // Assert
        Assert.Contains("$.resolver.dnssecProbeName", ex.Errors.Select(e => e.Path));
    }
}
