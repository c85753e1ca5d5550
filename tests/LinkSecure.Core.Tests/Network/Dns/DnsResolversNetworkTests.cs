using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using DnsClient;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Network;
using LinkSecure.TestSupport.Network;
using Xunit;

namespace LinkSecure.Core.Tests.Network;

/// <summary><see cref="DnsResolvers"/> against loopback DNS servers on 127.0.0.1 and free ports: a validator's SERVFAIL is
/// final (RFC 7672 §2.1.1), and the DNSSEC self-test.</summary>
public class DnsResolversNetworkTests
{
    private const ushort A = 1;
    private const ushort Dnskey = 48;

    private static ResolverSettings Settings(string resolverJson) =>
        LinkSecureSettings.Load(new MemoryStream(Encoding.UTF8.GetBytes("{ \"resolver\": " + resolverJson + " }")), "test").Resolver;

    private static string List(params TestDnsServer[] servers) => string.Join(", ", servers.Select(s => "\"" + s.Address + "\""));

    /// <summary>A DNSKEY RDATA (RFC 4034 §2.1): flags 257 (zone key, SEP), protocol 3, algorithm 13, a 64-byte key.</summary>
    private static byte[] DnskeyData() => new byte[] { 0x01, 0x01, 3, 13 }.Concat(Enumerable.Range(1, 64).Select(i => (byte)i)).ToArray();

    private static CancellationTokenSource Bound() => new(TimeSpan.FromSeconds(10));

    [Fact]
    public async Task ValidatorServfail_IsReported_NotReplacedByTheNextServersNoError()
    {
        // Arrange: the first validator says SERVFAIL (bogus), the second would answer NOERROR with a record.
        using var first = new TestDnsServer();
        using var second = new TestDnsServer();
        const string name = "bogus.example";
        first.SetFault(name, DnsFault.ServFail);
        second.AddA(name, "192.0.2.1");
        var resolvers = DnsResolvers.Create(Settings("{ \"validatingDnsServers\": [" + List(first, second) + "], \"timeoutMilliseconds\": 1000, \"retries\": 0 }"));
        using var cts = Bound();

        // Act
        var answer = await resolvers.Lookup.QueryAsync(name, QueryType.A, cts.Token);

        // Assert
        Assert.Equal(DnsOutcome.ServerFailure, answer.Outcome);
        Assert.Equal("SERVFAIL", answer.Detail);
        Assert.False(answer.Authenticated);
        Assert.Equal(first.Address, answer.Server);
        Assert.Equal(1, first.QueryCount(name, A));
        Assert.Equal(0, second.QueryCount(name, A));
    }

    [Fact]
    public async Task PlainServers_MoveOnAfterServfail_AsDnsClientDoesByDefault()
    {
        // Arrange: the control for the test above: DnsClient's ContinueOnDnsError = true asks the next server.
        using var first = new TestDnsServer();
        using var second = new TestDnsServer();
        const string name = "flaky.example";
        first.SetFault(name, DnsFault.ServFail);
        second.AddA(name, "192.0.2.1");
        var resolvers = DnsResolvers.Create(Settings("{ \"dnsServers\": [" + List(first, second) + "], \"timeoutMilliseconds\": 1000, \"retries\": 0 }"));
        using var cts = Bound();

        // Act
        var answer = await resolvers.Lookup.QueryAsync(name, QueryType.A, cts.Token);

        // Assert
        Assert.False(resolvers.IsValidating);
        Assert.Equal(DnsOutcome.Records, answer.Outcome);
        Assert.Equal(second.Address, answer.Server);
        Assert.Equal(1, second.QueryCount(name, A));
    }

    [Fact]
    public async Task SelfTest_RootDnskeyWithAdBit_IsOk()
    {
        // Arrange: the default probe is ". DNSKEY".
        using var server = new TestDnsServer();
        server.Add(".", Dnskey, DnskeyData());
        server.MarkSecure(".");
        var resolvers = DnsResolvers.Create(Settings("{ \"validatingDnsServers\": [" + List(server) + "], \"timeoutMilliseconds\": 1000, \"retries\": 0 }"));
        using var cts = Bound();

        // Act
        var result = await resolvers.SelfTestAsync(cts.Token);

        // Assert
        Assert.Equal(DnssecSelfTestStatus.Ok, result.Status);
        Assert.True(result.IsOk);
        Assert.Equal(".", result.ProbeName);
        Assert.Equal(server.Address, result.Server);
        Assert.Equal(1, server.QueryCount(string.Empty, Dnskey));
    }

    [Fact]
    public async Task SelfTest_AnswerWithoutAdBit_IsNotValidating()
    {
        // Arrange: the plain test server never sets AD for this name.
        using var server = new TestDnsServer();
        server.Add("probe.test", Dnskey, DnskeyData());
        var resolvers = DnsResolvers.Create(Settings("{ \"validatingDnsServers\": [" + List(server) + "], \"dnssecProbeName\": \"probe.test\", \"timeoutMilliseconds\": 1000, \"retries\": 0 }"));
        using var cts = Bound();

        // Act
        var result = await resolvers.SelfTestAsync(cts.Token);

        // Assert
        Assert.Equal(DnssecSelfTestStatus.NotValidating, result.Status);
        Assert.StartsWith("resolver " + server.Address + " does not validate DNSSEC; DANE and signed declarations will not be used", result.Detail);
        Assert.Contains("probe.test DNSKEY", result.Detail);
        Assert.Equal(1, server.QueryCount("probe.test", Dnskey));
    }

    [Fact]
    public async Task SelfTest_Timeout_IsFailed_WithinBoundedTime()
    {
        // Arrange
        using var server = new TestDnsServer();
        server.SetFault("probe.test", DnsFault.Timeout);
        var resolvers = DnsResolvers.Create(Settings("{ \"validatingDnsServers\": [" + List(server) + "], \"dnssecProbeName\": \"probe.test\", \"timeoutMilliseconds\": 200, \"retries\": 0 }"));
        using var cts = Bound();
        var clock = Stopwatch.StartNew();

        // Act
        var result = await resolvers.SelfTestAsync(cts.Token);

        // Assert
        Assert.Equal(DnssecSelfTestStatus.Failed, result.Status);
        Assert.Contains("timed out", result.Detail);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), clock.Elapsed.ToString());
    }

    [Fact]
    public async Task SelfTest_Servfail_IsFailed_WithTheDetail()
    {
        // Arrange
        using var server = new TestDnsServer();
        server.SetFault("probe.test", DnsFault.ServFail);
        var resolvers = DnsResolvers.Create(Settings("{ \"validatingDnsServers\": [" + List(server) + "], \"dnssecProbeName\": \"probe.test\", \"timeoutMilliseconds\": 1000, \"retries\": 0 }"));
        using var cts = Bound();

        // Act
        var result = await resolvers.SelfTestAsync(cts.Token);

        // Assert
        Assert.Equal(DnssecSelfTestStatus.Failed, result.Status);
        Assert.Contains("DNSKEY lookup for probe.test returned SERVFAIL", result.Detail);
        Assert.Contains("RFC 7672 §2.1.1", result.Detail);
    }
}

/// <summary><see cref="DnsResolvers"/> against the suite's real validating resolver (unbound with a private trust anchor
/// over an NSD-served signed zone).</summary>
public class DnsResolversUnboundTests : IClassFixture<UnboundFixture>
{
    private readonly UnboundFixture unbound;

    public DnsResolversUnboundTests(UnboundFixture unbound)
    {
        this.unbound = unbound;
    }

    private static ResolverSettings Settings(string resolverJson) =>
        LinkSecureSettings.Load(new MemoryStream(Encoding.UTF8.GetBytes("{ \"resolver\": " + resolverJson + " }")), "test").Resolver;

    [Fact]
    public async Task SelfTest_AgainstValidatingUnbound_AtTheSignedZoneApex_IsOk()
    {
        // Arrange
        var resolvers = DnsResolvers.Create(Settings("{ \"validatingDnsServers\": [\"" + unbound.Address + "\"], \"dnssecProbeName\": \"" + UnboundFixture.Zone + "\", \"timeoutMilliseconds\": 3000, \"retries\": 1 }"));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));

        // Act
        var result = await resolvers.SelfTestAsync(cts.Token);

        // Assert
        Assert.True(result.Status == DnssecSelfTestStatus.Ok, result.Detail + " | " + unbound.Log);
        Assert.Equal(UnboundFixture.Zone, result.ProbeName);
        Assert.Contains("validates DNSSEC", result.Detail);
    }

    [Fact]
    public async Task BogusTlsa_FromUnbound_StaysServfail_ThoughAnotherServerHasTheRecord()
    {
        // Arrange: unbound answers SERVFAIL for the tampered RRset; a second listed server would answer it unsigned.
        using var other = new TestDnsServer();
        var name = "_25._tcp.mx2." + UnboundFixture.Zone;
        other.AddTlsa(name, 3, 1, 1, new byte[32]);
        var resolvers = DnsResolvers.Create(Settings("{ \"validatingDnsServers\": [\"" + unbound.Address + "\", \"" + other.Address + "\"], \"timeoutMilliseconds\": 3000, \"retries\": 0 }"));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));

        // Act
        var answer = await resolvers.Lookup.QueryAsync(name, QueryType.TLSA, cts.Token);

        // Assert
        Assert.True(answer.Outcome == DnsOutcome.ServerFailure, answer.Describe() + " | " + unbound.Log);
        Assert.Equal(0, other.QueryCount(name, 52));
    }
}
