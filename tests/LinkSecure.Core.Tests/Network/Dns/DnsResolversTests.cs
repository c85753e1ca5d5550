using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Network;
using Xunit;

namespace LinkSecure.Core.Tests.Network;

/// <summary>Which resolver's AD bit is believed (RFC 7672 §2.1), decided by <see cref="DnsResolvers"/> without any
/// network traffic: the system's name servers are injected.</summary>
public class DnsResolversTests
{
    private static ResolverSettings Settings(string resolverJson = "{}") =>
        LinkSecureSettings.Load(new MemoryStream(Encoding.UTF8.GetBytes("{ \"resolver\": " + resolverJson + " }")), "test").Resolver;

    private static Func<IReadOnlyList<IPEndPoint>> System(params string[] servers) =>
        () => servers.Select(s => new IPEndPoint(IPAddress.Parse(s), 53)).ToArray();

    private static Func<IReadOnlyList<IPEndPoint>> NotAsked() =>
        () => throw new InvalidOperationException("the system's name servers must not be consulted");

    [Fact]
    public void SystemResolver_AllOnLoopback_IsValidating()
    {
        // Act
        var resolvers = DnsResolvers.Create(Settings(), System("127.0.0.1"));

        // Assert
        Assert.True(resolvers.IsValidating);
        Assert.True(resolvers.Lookup.IsValidating);
        Assert.Equal("validating resolver 127.0.0.1:53 (system resolver on loopback)", resolvers.Description);
        Assert.Empty(resolvers.Warnings);
    }

    [Fact]
    public void SystemResolvers_Ipv4AndIpv6Loopback_AreValidating()
    {
        // Act
        var resolvers = DnsResolvers.Create(Settings(), System("127.0.0.53", "::1"));

        // Assert
        Assert.True(resolvers.IsValidating);
        Assert.Equal("validating resolvers 127.0.0.53:53, [::1]:53 (system resolvers on loopback)", resolvers.Description);
        Assert.Contains("systemd-resolved", Assert.Single(resolvers.Warnings));
    }

    [Fact]
    public void SystemResolver_KnownLoopbackForwarder_GetsAWarning()
    {
        // Act: systemd-resolved's stub address; the rule still believes it, but says what to check.
        var resolvers = DnsResolvers.Create(Settings(), System("127.0.0.53"));

        // Assert
        Assert.True(resolvers.IsValidating);
        var warning = Assert.Single(resolvers.Warnings);
        Assert.Contains("systemd-resolved", warning);
        Assert.Contains("resolver.validatingDnsServers", warning);
    }

    [Fact]
    public void SystemResolvers_OneNotOnLoopback_AreNotValidating()
    {
        // Act
        var resolvers = DnsResolvers.Create(Settings(), System("127.0.0.1", "10.0.0.2"));

        // Assert
        Assert.False(resolvers.IsValidating);
        Assert.False(resolvers.Lookup.IsValidating);
        Assert.StartsWith("non-validating resolvers 127.0.0.1:53, 10.0.0.2:53 (system resolvers, not all on loopback; DNSSEC status unknown", resolvers.Description);
    }

    [Fact]
    public void ExplicitDnsServers_AreNeverValidating_EvenOnLoopback()
    {
        // Act
        var resolvers = DnsResolvers.Create(Settings("{ \"dnsServers\": [\"127.0.0.1\"] }"), NotAsked());

        // Assert
        Assert.False(resolvers.IsValidating);
        Assert.Equal("non-validating resolver 127.0.0.1:53 (DNSSEC status unknown: DANE and signed declarations cannot be used)", resolvers.Description);
    }

    [Fact]
    public void ExplicitRemoteDnsServers_AreDescribedAsNonValidating()
    {
        // Act
        var resolvers = DnsResolvers.Create(Settings("{ \"dnsServers\": [\"192.0.2.1\"] }"), NotAsked());

        // Assert
        Assert.False(resolvers.IsValidating);
        Assert.Equal("non-validating resolver 192.0.2.1:53 (DNSSEC status unknown: DANE and signed declarations cannot be used)", resolvers.Description);
        Assert.Empty(resolvers.Warnings);
    }

    [Fact]
    public void NamedLoopbackValidator_IsValidating_AndCarriesEveryQuery()
    {
        // Act
        var resolvers = DnsResolvers.Create(Settings("{ \"dnsServers\": [\"192.0.2.1\"], \"validatingDnsServers\": [\"127.0.0.1:5353\"] }"), NotAsked());

        // Assert
        Assert.True(resolvers.IsValidating);
        Assert.Equal(new[] { new IPEndPoint(IPAddress.Loopback, 5353) }, resolvers.Lookup.ServerEndpoints);
        Assert.Equal("validating resolver 127.0.0.1:5353 (resolver.validatingDnsServers)", resolvers.Description);
        var warning = Assert.Single(resolvers.Warnings);
        Assert.Contains("resolver.dnsServers (192.0.2.1:53) are not used", warning);
    }

    [Fact]
    public void NamedRemoteValidator_IsValidating_WithAWarning()
    {
        // Act
        var resolvers = DnsResolvers.Create(Settings("{ \"validatingDnsServers\": [\"192.0.2.53\", \"[::1]:53\"] }"), NotAsked());

        // Assert
        Assert.True(resolvers.IsValidating);
        Assert.Contains("AD bit is trusted over an unprotected network path", resolvers.Description);
        var warning = Assert.Single(resolvers.Warnings);
        Assert.Contains("192.0.2.53:53 is not a loopback address", warning);
        Assert.Contains("RFC 7672 §2.1", warning);
    }

    [Fact]
    public void Ipv4MappedLoopback_IsLoopback()
    {
        // Act
        var mapped = DnsResolvers.IsLoopback(IPAddress.Parse("::ffff:127.0.0.1"));
        var other = DnsResolvers.IsLoopback(IPAddress.Parse("::ffff:192.0.2.1"));

        // Assert
        Assert.True(mapped);
        Assert.False(other);
    }

    [Fact]
    public void NoServerAnywhere_ThrowsNoNameServerException()
    {
        // Act
        var ex = Assert.Throws<NoNameServerException>(() => DnsResolvers.Create(Settings(), System()));

        // Assert
        Assert.Equal("No DNS server found: the system lists none (/etc/resolv.conf has no nameserver line) and resolver.dnsServers / resolver.validatingDnsServers are empty. Configure one, or pass --dns-server.", ex.Message);
    }

    [Fact]
    public void PlatformWithoutServers_FallsBackToResolvConf()
    {
        // Arrange: DnsClient skips the loopback interface, so a container with only "lo" lists nothing.
        var path = Path.Combine(Path.GetTempPath(), "linksecure-resolv-" + Guid.NewGuid().ToString("N") + ".conf");
        File.WriteAllText(path, "# container\nnameserver 127.0.0.11\n");
        try
        {
            // Act
            var empty = DnsResolvers.SystemServers(() => Array.Empty<IPEndPoint>(), path);
            var throwing = DnsResolvers.SystemServers(() => throw new ArgumentOutOfRangeException("servers", "List of configured name servers must not be empty."), path);
            var platform = DnsResolvers.SystemServers(() => new[] { new IPEndPoint(IPAddress.Parse("192.0.2.1"), 53) }, path);

            // Assert
            Assert.Equal(new[] { new IPEndPoint(IPAddress.Parse("127.0.0.11"), 53) }, empty);
            Assert.Equal(empty, throwing);
            Assert.Equal(new[] { new IPEndPoint(IPAddress.Parse("192.0.2.1"), 53) }, platform);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void PlatformAndResolvConfWithoutServers_ThrowNoNameServerException()
    {
        // Arrange
        var path = Path.Combine(Path.GetTempPath(), "linksecure-resolv-" + Guid.NewGuid().ToString("N") + ".conf");
        File.WriteAllText(path, "search example.com\n");
        try
        {
            // Act
            var ex = Assert.Throws<NoNameServerException>(() => DnsResolvers.Create(Settings(), () => DnsResolvers.SystemServers(() => Array.Empty<IPEndPoint>(), path)));

            // Assert
            Assert.Contains("Configure one, or pass --dns-server.", ex.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task SelfTest_WithoutValidator_IsNoValidator_AndSendsNothing()
    {
        // Arrange: 192.0.2.1 (TEST-NET-1) is never asked: there is no validator to test.
        var resolvers = DnsResolvers.Create(Settings("{ \"dnsServers\": [\"192.0.2.1\"] }"), NotAsked());

        // Act
        var result = await resolvers.SelfTestAsync(CancellationToken.None);

        // Assert
        Assert.Equal(DnssecSelfTestStatus.NoValidator, result.Status);
        Assert.Equal("192.0.2.1:53", result.Server);
        Assert.Equal(".", result.ProbeName);
    }
}
