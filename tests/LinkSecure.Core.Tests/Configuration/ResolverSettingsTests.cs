using System;
using System.IO;
using System.Linq;
using System.Text;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Database;
using Xunit;

namespace LinkSecure.Core.Tests.Configuration;

public class ResolverSettingsTests
{
    private static LinkSecureSettings Load(string resolverJson) =>
        LinkSecureSettings.Load(new MemoryStream(Encoding.UTF8.GetBytes("{ \"resolver\": " + resolverJson + " }")), "test");

    [Fact]
    public void Defaults_AreDocumentedValues()
    {
        // Act
        var settings = ResolverSettings.Default;

        // Assert
        Assert.Empty(settings.DnsServers);
        Assert.Empty(settings.ValidatingDnsServers);
        Assert.Equal(TimeSpan.FromSeconds(10), settings.Budget);
        Assert.Equal(TimeSpan.FromSeconds(8), settings.HttpsTimeout);
        Assert.Equal(443, settings.HttpsPort);
        Assert.Equal(TimeSpan.FromSeconds(60), settings.MinTtl);
        Assert.Equal(TimeSpan.FromHours(1), settings.MaxTtl);
        Assert.Equal(TimeSpan.FromMinutes(5), settings.NegativeTtl);
        Assert.Equal(TimeSpan.FromHours(1), settings.StaleIfError);
        Assert.Equal(TimeSpan.FromDays(7), settings.LearnedDefaultTtl);
    }

    [Fact]
    public void NewKeys_AreRead()
    {
        // Act
        var settings = Load("{ \"dnsServers\": [\"192.0.2.53\", \"[2001:db8::53]:5353\"], \"validatingDnsServers\": [\"127.0.0.1:5353\"], \"budgetMilliseconds\": 2500, \"httpsTimeoutMilliseconds\": 1500, \"httpsPort\": 8443, \"minTtlSeconds\": 10, \"maxTtlSeconds\": 600, \"negativeTtlSeconds\": 30, \"staleIfErrorSeconds\": 0, \"learnedDefaultTtlSeconds\": 3600 }").Resolver;

        // Assert
        Assert.Equal(2, settings.DnsServers.Count);
        Assert.Equal(TimeSpan.FromMilliseconds(2500), settings.Budget);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), settings.HttpsTimeout);
        Assert.Equal(8443, settings.HttpsPort);
        Assert.Equal(TimeSpan.FromSeconds(10), settings.MinTtl);
        Assert.Equal(TimeSpan.FromSeconds(600), settings.MaxTtl);
        Assert.Equal(TimeSpan.FromSeconds(30), settings.NegativeTtl);
        Assert.Equal(TimeSpan.Zero, settings.StaleIfError);
        Assert.Equal(TimeSpan.FromHours(1), settings.LearnedDefaultTtl);
    }

    [Fact]
    public void InvalidValues_AreAllReportedWithTheirJsonPaths()
    {
        // Act
        var ex = Assert.Throws<DocumentException>(() => Load("{ \"dnsServers\": [\"dns.example.com\"], \"validatingDnsServers\": [\"127.0.0.1:99999\"], \"httpsPort\": 0, \"minTtlSeconds\": 700, \"maxTtlSeconds\": 600, \"staleIfError\": 1 }"));

        // Assert
        var paths = ex.Errors.Select(e => e.Path).ToList();
        Assert.Contains("$.resolver.dnsServers[0]", paths);
        Assert.Contains("$.resolver.validatingDnsServers[0]", paths);
        Assert.Contains("$.resolver.httpsPort", paths);
        Assert.Contains("$.resolver.minTtlSeconds", paths);
        Assert.Contains("$.resolver.staleIfError", paths);
    }

    [Theory]
    [InlineData("192.0.2.53", "192.0.2.53:53")]
    [InlineData("192.0.2.53:5353", "192.0.2.53:5353")]
    [InlineData("2001:db8::53", "[2001:db8::53]:53")]
    [InlineData("[2001:db8::53]:5353", "[2001:db8::53]:5353")]
    public void TryParseServer_AcceptsAddressesWithOptionalPort(string text, string expected)
    {
        // Act
        var ok = ResolverSettings.TryParseServer(text, out var endpoint);

        // Assert
        Assert.True(ok);
        Assert.Equal(expected, endpoint!.ToString());
    }
}
