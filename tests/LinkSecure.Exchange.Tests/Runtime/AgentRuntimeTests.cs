using System;
using System.IO;
using System.Linq;
using System.Threading;
using LinkSecure.Exchange.Simulator;
using LinkSecure.Exchange.Tests.Support;
using Xunit;

namespace LinkSecure.Exchange.Tests.Runtime;

/// <summary>Configuration load and reload: valid, invalid (last good kept, every error logged), deleted (defaults); what each
/// generation logs about the trust rule (DNSSEC self-test, resolver warnings, weakening opt-ins).</summary>
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

    private static string ResolverConfig(string server, string extra = "") =>
        "{ \"resolver\": { \"validatingDnsServers\": [\"" + server + "\"]" + extra + " } }";

    [Fact]
    public void Start_ValidatingResolver_SelfTestPassedLoggedWithResolverDescription()
    {
        // Arrange
        using var dns = new TinyDnsResponder(DnsResponderMode.Authenticated);

        // Act
        using var harness = new AgentHarness(ResolverConfig(dns.Server), createNetwork: true);
        var logged = WaitFor(() => harness.AgentLines.Any(l => l.Contains("[1004 DnssecSelfTestPassed]")));

        // Assert: Information, naming the test's result and the resolver whose AD bit is believed (RFC 7672 §2.1).
        Assert.True(logged, "no self-test event: " + string.Join(" | ", harness.AgentLines));
        var line = harness.AgentLines.Single(l => l.Contains("[1004 DnssecSelfTestPassed]"));
        Assert.StartsWith("Info ", line);
        Assert.Contains("DNSSEC self-test Ok", line);
        Assert.Contains("resolver: validating resolver " + dns.Server, line);
        Assert.DoesNotContain(harness.AgentLines, l => l.Contains("[2003 DnssecSelfTestFailed]"));
        Assert.True(dns.Queries >= 1);
    }

    [Fact]
    public void Start_ResolverWithoutAdBit_WarningSaysDaneAndSignedDeclarationsNotUsed()
    {
        // Arrange
        using var dns = new TinyDnsResponder(DnsResponderMode.Unauthenticated);

        // Act
        using var harness = new AgentHarness(ResolverConfig(dns.Server), createNetwork: true);
        var logged = WaitFor(() => harness.AgentLines.Any(l => l.Contains("[2003 DnssecSelfTestFailed]")));

        // Assert
        Assert.True(logged, "no self-test event: " + string.Join(" | ", harness.AgentLines));
        var line = harness.AgentLines.Single(l => l.Contains("[2003 DnssecSelfTestFailed]"));
        Assert.StartsWith("Warn ", line);
        Assert.Contains("NotValidating", line);
        Assert.Contains("resolver: validating resolver " + dns.Server, line);
        Assert.Contains("DANE and signed declarations will not be used", line);
    }

    [Fact]
    public void Start_SilentResolver_DoesNotWaitForSelfTest_TimeoutLoggedLater()
    {
        // Arrange: the resolver never answers, so the self-test cannot end before its 3 s bound.
        using var dns = new TinyDnsResponder(DnsResponderMode.Silent);
        var config = ResolverConfig(dns.Server, ", \"timeoutMilliseconds\": 10000, \"retries\": 0");

        // Act
        using var harness = new AgentHarness(config, createNetwork: true, selfTestTimeout: TimeSpan.FromSeconds(3));
        var atStart = harness.AgentLines;
        var logged = WaitFor(() => harness.AgentLines.Any(l => l.Contains("[2003 DnssecSelfTestFailed]")));

        // Assert: the runtime (built in the factory constructor, on Exchange's thread) returned before the result.
        Assert.DoesNotContain(atStart, l => l.Contains("DnssecSelfTest"));
        Assert.NotNull(harness.Runtime.Current.OwnedNetwork);
        Assert.True(logged, "no self-test event: " + string.Join(" | ", harness.AgentLines));
        var line = harness.AgentLines.Single(l => l.Contains("[2003 DnssecSelfTestFailed]"));
        Assert.StartsWith("Warn ", line);
        Assert.Contains("DANE and signed declarations will not be used.", line);
    }

    [Fact]
    public void Reload_NewNetworkSource_SelfTestLoggedAgain()
    {
        // Arrange
        using var dns = new TinyDnsResponder(DnsResponderMode.Authenticated);
        using var harness = new AgentHarness(ResolverConfig(dns.Server), createNetwork: true, watch: true);
        Assert.True(WaitFor(() => harness.AgentLines.Count(l => l.Contains("[1004 DnssecSelfTestPassed]")) == 1));
        var first = harness.Runtime.Current.OwnedNetwork;

        // Act
        File.WriteAllText(harness.ConfigPath, ResolverConfig(dns.Server, ", \"timeoutMilliseconds\": 1500"));
        var logged = WaitFor(() => harness.AgentLines.Count(l => l.Contains("[1004 DnssecSelfTestPassed]")) == 2);

        // Assert
        Assert.True(logged, "the new generation's self-test was not logged: " + string.Join(" | ", harness.AgentLines));
        Assert.NotSame(first, harness.Runtime.Current.OwnedNetwork);
    }

    [Fact]
    public void Start_ResolverWarningsAndOptIns_EachLoggedAsWarning()
    {
        // Arrange: plain servers beside a validating one are ignored (a resolver warning); both opt-ins on.
        using var dns = new TinyDnsResponder(DnsResponderMode.Authenticated);
        var config = "{ \"resolver\": { \"validatingDnsServers\": [\"" + dns.Server + "\"], \"dnsServers\": [\"127.0.0.1:9\"], \"acceptUnauthenticatedDeclarations\": true }, \"routing\": { \"allowUnauthenticatedRoutes\": true } }";

        // Act
        using var harness = new AgentHarness(config, createNetwork: true);

        // Assert
        var warning = Assert.Single(harness.AgentLines, l => l.Contains("[2004 ResolverWarning]"));
        Assert.StartsWith("Warn ", warning);
        Assert.Contains("resolver.dnsServers (127.0.0.1:9) are not used", warning);
        var optIns = harness.AgentLines.Where(l => l.Contains("[2005 UnauthenticatedOptIn]")).ToArray();
        Assert.Equal(2, optIns.Length);
        Assert.All(optIns, l => Assert.StartsWith("Warn ", l));
        Assert.Contains(optIns, l => l.Contains("resolver.acceptUnauthenticatedDeclarations is on: tagged mail is protected against passive eavesdroppers only"));
        Assert.Contains(optIns, l => l.Contains("routing.allowUnauthenticatedRoutes is on: tagged mail is protected against passive eavesdroppers only"));
    }

    [Fact]
    public void Defaults_NoOptInNoNetworkSource_NothingAnnounced()
    {
        // Arrange / Act: offline generation (no network source), default settings.
        using var harness = new AgentHarness();

        // Assert
        Assert.DoesNotContain(harness.AgentLines, l => l.Contains("[2005 UnauthenticatedOptIn]") || l.Contains("[2004 ResolverWarning]") || l.Contains("DnssecSelfTest"));
    }

    [Fact]
    public void Reload_OptInSwitchedOn_WarningLoggedForTheNewGeneration()
    {
        // Arrange
        using var harness = new AgentHarness(CustomRouting, watch: true);
        Assert.DoesNotContain(harness.AgentLines, l => l.Contains("[2005 UnauthenticatedOptIn]"));

        // Act
        File.WriteAllText(harness.ConfigPath, """{ "routing": { "allowUnauthenticatedRoutes": true } }""");
        var logged = WaitFor(() => harness.AgentLines.Any(l => l.Contains("[2005 UnauthenticatedOptIn]")));

        // Assert
        Assert.True(logged, "the opt-in was not reported");
        Assert.Contains(harness.AgentLines, l => l.StartsWith("Warn ", StringComparison.Ordinal) && l.Contains("routing.allowUnauthenticatedRoutes is on"));
    }
}
