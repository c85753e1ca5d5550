using System;
using System.IO;
using System.Linq;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Network;
using Xunit;

namespace LinkSecure.Core.Tests.Network;

/// <summary><see cref="NetworkProfileSource.CanServe"/>: a host keeps its source, and the caches in it, across a
/// configuration reload exactly when nothing the source was built from changed. No lookup is made.</summary>
public sealed class NetworkProfileSourceGenerationTests : IDisposable
{
    private const string Base = """
        "dnsServers": [ "127.0.0.1:5353" ], "caFiles": [ "ca.pem" ], "learnedStorePath": "learned.json"
        """;

    private readonly DirectoryInfo folder = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "linksecure-generations-" + Guid.NewGuid().ToString("N")));

    public NetworkProfileSourceGenerationTests()
    {
        // A PEM file without certificates is a valid (empty) trust-anchor file.
        File.WriteAllText(Path.Combine(folder.FullName, "ca.pem"), "# no certificates\n");
    }

    // One variant per resolver setting: each changes that setting alone.
    public static TheoryData<string, string> EveryResolverSetting() => new()
    {
        { "enabled", "\"enabled\": false" },
        { "dnsServers", "\"dnsServers\": [ \"127.0.0.2:5353\" ]" },
        { "validatingDnsServers", "\"validatingDnsServers\": [ \"127.0.0.1:5354\" ]" },
        { "timeoutMilliseconds", "\"timeoutMilliseconds\": 1999" },
        { "retries", "\"retries\": 2" },
        { "tcpFallback", "\"tcpFallback\": false" },
        { "caFiles", "\"caFiles\": [ \"ca.pem\", \"ca.pem\" ]" },
        { "learnedStorePath", "\"learnedStorePath\": \"other/learned.json\"" },
        { "cacheSize", "\"cacheSize\": 9999" },
        { "budgetMilliseconds", "\"budgetMilliseconds\": 9999" },
        { "httpsTimeoutMilliseconds", "\"httpsTimeoutMilliseconds\": 7999" },
        { "httpsPort", "\"httpsPort\": 8443" },
        { "minTtlSeconds", "\"minTtlSeconds\": 61" },
        { "maxTtlSeconds", "\"maxTtlSeconds\": 3601" },
        { "negativeTtlSeconds", "\"negativeTtlSeconds\": 301" },
        { "staleIfErrorSeconds", "\"staleIfErrorSeconds\": 3601" },
        { "learnedDefaultTtlSeconds", "\"learnedDefaultTtlSeconds\": 86400" },
        { "acceptUnauthenticatedDeclarations", "\"acceptUnauthenticatedDeclarations\": true" },
        { "dnssecProbeName", "\"dnssecProbeName\": \"example.com\"" },
        { "mtaStsCachePath", "\"mtaStsCachePath\": \"sts.json\"" },
    };

    public void Dispose()
    {
        try
        {
            folder.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary folder is harmless.
        }
    }

    private LinkSecureSettings Write(string name, string resolverBody, string rest = "", DirectoryInfo? at = null)
    {
        var path = Path.Combine((at ?? folder).FullName, name);
        File.WriteAllText(path, "{ " + rest + " \"resolver\": { " + resolverBody + " } }");
        return LinkSecureSettings.LoadFile(path);
    }

    [Fact]
    public void SameResolverSettings_InANewGeneration_CanBeServed_OtherSectionsDoNotMatter()
    {
        // Arrange
        var first = Write("a.json", Base);
        using var source = NetworkProfileSource.Create(first);

        // Act
        var same = source.CanServe(first);
        var reloaded = source.CanServe(Write("b.json", Base));
        var otherSections = source.CanServe(Write("c.json", Base, """
            "internalDomains": [ "contoso.example" ], "defer": { "maxDeferMinutes": 10 }, "agent": { "lookupBudgetMilliseconds": 500 },
            "overrides": [ { "domain": "partner.example", "level": 2 } ],
            """));

        // Assert
        Assert.True(same);
        Assert.True(reloaded);
        Assert.True(otherSections);
    }

    [Theory]
    [MemberData(nameof(EveryResolverSetting))]
    public void AnyResolverSettingChanged_CannotBeServed(string setting, string changed)
    {
        // Arrange
        using var source = NetworkProfileSource.Create(Write("a.json", Base));
        var body = Base;
        foreach (var replaced in new[] { "dnsServers", "caFiles", "learnedStorePath" }.Where(p => p == setting))
        {
            body = string.Join(",", body.Split(',').Where(part => !part.Contains("\"" + replaced + "\"")));
        }

        // Act
        var canServe = source.CanServe(Write("b.json", body + ", " + changed));

        // Assert
        Assert.False(canServe, setting);
    }

    [Fact]
    public void TheVariants_CoverEveryResolverSetting()
    {
        // Act
        var covered = EveryResolverSetting().Select(row => (string)row[0]).OrderBy(n => n, StringComparer.Ordinal);

        // Assert: a new resolver setting needs a variant above (CanServe compares it by reflection already).
        Assert.Equal(ResolverSettings.Properties.OrderBy(n => n, StringComparer.Ordinal), covered);
    }

    [Fact]
    public void SameRelativePaths_FromAnotherFolder_CannotBeServed()
    {
        // Arrange
        var other = folder.CreateSubdirectory("other");
        File.WriteAllText(Path.Combine(other.FullName, "ca.pem"), "# no certificates\n");
        using var source = NetworkProfileSource.Create(Write("a.json", Base));

        // Act
        var canServe = source.CanServe(Write("a.json", Base, at: other));

        // Assert
        Assert.False(canServe);
    }

    [Fact]
    public void CaFileReplaced_CannotBeServed()
    {
        // Arrange
        var settings = Write("a.json", Base);
        using var source = NetworkProfileSource.Create(settings);

        // Act
        File.WriteAllText(Path.Combine(folder.FullName, "ca.pem"), "# an enterprise CA was added here\n");
        var canServe = source.CanServe(settings);

        // Assert
        Assert.False(canServe);
    }

    [Fact]
    public void DisposedSource_CannotBeServed()
    {
        // Arrange
        var settings = Write("a.json", Base);
        var source = NetworkProfileSource.Create(settings);

        // Act
        source.Dispose();

        // Assert
        Assert.False(source.CanServe(settings));
        Assert.Throws<ArgumentNullException>(() => source.CanServe(null!));
    }
}
