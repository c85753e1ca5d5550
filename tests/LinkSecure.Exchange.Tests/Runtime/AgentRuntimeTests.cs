using System;
using System.IO;
using System.Linq;
using System.Threading;
using LinkSecure.Exchange.Tests.Simulator;
using LinkSecure.Exchange.Tests.Support;
using Xunit;

namespace LinkSecure.Exchange.Tests.Runtime;

/// <summary>Configuration load and reload: valid, invalid (last good kept, every error logged), deleted (defaults).</summary>
public class AgentRuntimeTests
{
    private const string CustomRouting = """{ "routing": { "domainValidationDomain": "dv.custom.invalid" } }""";

    /// <summary>The routing domain a Secure recipient gets: the domain pins its MX names, so the authenticating
    /// DomainValidation route carries it (docs/protocol.md §5), and the route shows which settings are in force.</summary>
    private static string RouteFor(AgentHarness harness)
    {
        harness.Profiles.WithCached("partner.example", 1, "mx.partner.example");
        harness.Pipeline.Outcomes.Clear();
        harness.Pipeline.Submit(new SimMailItem(Messages.Create("level=1"), new[] { new SimRecipient("bob@partner.example") }));
        return harness.Pipeline.Outcomes.Single().Override!.RoutingDomain.Domain;
    }

    private static bool WaitFor(Func<bool> condition)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < until)
        {
            if (condition())
            {
                return true;
            }

            Thread.Sleep(50);
        }

        return false;
    }

    [Fact]
    public void NoFile_EmbeddedDefaults()
    {
        // Arrange
        using var harness = new AgentHarness();

        // Act
        var route = RouteFor(harness);

        // Assert
        Assert.Equal("embedded defaults", harness.Runtime.Current.Origin);
        Assert.Equal("linksecure-dv.invalid", route);
    }

    [Fact]
    public void ValidFile_Loaded()
    {
        // Arrange
        using var harness = new AgentHarness(CustomRouting);

        // Act
        var route = RouteFor(harness);

        // Assert
        Assert.Equal(harness.ConfigPath, harness.Runtime.Current.Origin);
        Assert.Equal("dv.custom.invalid", route);
    }

    [Fact]
    public void InvalidFileAtStart_DefaultsAndEveryErrorLogged()
    {
        // Arrange
        var invalid = """{ "defer": { "retryMinutes": 0 }, "routing": { "mode": "carrier-pigeon" } }""";

        // Act
        using var harness = new AgentHarness(invalid);

        // Assert
        Assert.Equal("embedded defaults", harness.Runtime.Current.Origin);
        var error = Assert.Single(harness.AgentLines, l => l.Contains("is invalid"));
        Assert.Contains("$.defer.retryMinutes", error);
        Assert.Contains("$.routing.mode", error);
    }

    [Fact]
    public void Reload_ValidChange_SwappedAtomically()
    {
        // Arrange
        using var harness = new AgentHarness(watch: true);
        var before = harness.Runtime.Current;

        // Act
        File.WriteAllText(harness.ConfigPath, CustomRouting);
        var reloaded = WaitFor(() => !ReferenceEquals(harness.Runtime.Current, before));

        // Assert
        Assert.True(reloaded, "the watcher did not reload the configuration");
        Assert.Equal("dv.custom.invalid", RouteFor(harness));
    }

    [Fact]
    public void Reload_InvalidChange_KeepsLastGood()
    {
        // Arrange
        using var harness = new AgentHarness(CustomRouting, watch: true);
        var good = harness.Runtime.Current;

        // Act
        File.WriteAllText(harness.ConfigPath, """{ "routing": { "encryptionOnlyDomain": "not a domain" }, "bogus": 1 }""");
        var logged = WaitFor(() => harness.AgentLines.Any(l => l.Contains("is invalid")));

        // Assert
        Assert.True(logged, "the invalid file was not reported");
        Assert.Same(good, harness.Runtime.Current);
        var error = harness.AgentLines.First(l => l.Contains("is invalid"));
        Assert.Contains("$.routing.encryptionOnlyDomain", error);
        Assert.Contains("$.bogus", error);
        Assert.Equal("dv.custom.invalid", RouteFor(harness));
    }

    [Fact]
    public void Reload_FileDeleted_BackToDefaults()
    {
        // Arrange
        using var harness = new AgentHarness(CustomRouting, watch: true);

        // Act
        File.Delete(harness.ConfigPath);
        var reverted = WaitFor(() => harness.Runtime.Current.Origin == "embedded defaults");

        // Assert
        Assert.True(reverted, "deleting the file did not restore the defaults");
        Assert.Equal("linksecure-dv.invalid", RouteFor(harness));
    }

    [Fact]
    public void Reload_Debounced_BurstOfWritesLoadsOnce()
    {
        // Arrange
        using var harness = new AgentHarness(watch: true);
        var generation = harness.Runtime.Generation;

        // Act
        for (var i = 0; i < 5; i++)
        {
            File.WriteAllText(harness.ConfigPath, CustomRouting);
            Thread.Sleep(10);
        }

        WaitFor(() => harness.Runtime.Generation > generation);
        Thread.Sleep(500);

        // Assert
        Assert.InRange(harness.Runtime.Generation - generation, 1, 2);
    }
}
