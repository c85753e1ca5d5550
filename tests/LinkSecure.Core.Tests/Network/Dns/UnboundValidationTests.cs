using System.IO;
using System.Net;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using DnsClient;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Network;
using LinkSecure.Core.Profiles;
using LinkSecure.Core.Protocol;
using LinkSecure.TestSupport.Network;
using Xunit;

namespace LinkSecure.Core.Tests.Network;

/// <summary>DANE through a real validating resolver (unbound) over a zone signed with dnssec-signzone and served by NSD.</summary>
public class UnboundValidationTests : IClassFixture<UnboundFixture>
{
    private readonly UnboundFixture unbound;

    public UnboundValidationTests(UnboundFixture unbound)
    {
        this.unbound = unbound;
    }

    private LinkSecureSettings Settings() => LinkSecureSettings.Load(
        new MemoryStream(Encoding.UTF8.GetBytes($"{{ \"resolver\": {{ \"dnsServers\": [\"{unbound.Address}\"], \"validatingDnsServers\": [\"{unbound.Address}\"], \"timeoutMilliseconds\": 3000, \"retries\": 1 }} }}")),
        "unbound test configuration");

    [Fact]
    public async Task SignedTlsaAnswer_HasTheAdBit_OnlyFromTheValidatingLookup()
    {
        // Arrange
        var validating = new DnsLookup(new[] { IPEndPoint.Parse(unbound.Address) }, Settings().Resolver, validating: true);
        var plain = new DnsLookup(new[] { IPEndPoint.Parse(unbound.Address) }, Settings().Resolver, validating: false);

        // Act
        var secure = await validating.QueryAsync("_25._tcp.mx1." + UnboundFixture.Zone, QueryType.TLSA, CancellationToken.None);
        var notBelieved = await plain.QueryAsync("_25._tcp.mx1." + UnboundFixture.Zone, QueryType.TLSA, CancellationToken.None);

        // Assert
        Assert.Equal(DnsOutcome.Records, secure.Outcome);
        Assert.True(secure.Authenticated, unbound.Log);
        Assert.Equal(DnsOutcome.Records, notBelieved.Outcome);
        Assert.False(notBelieved.Authenticated);
    }

    [Fact]
    public async Task SignedTlsa_RequiresDane()
    {
        // Arrange
        using var source = NetworkProfileSource.Create(Settings());

        // Act
        var profile = await source.GetProfileAsync("good." + UnboundFixture.Zone);

        // Assert
        Assert.True(profile.Status == ProfileStatus.Ok, profile.FailureReason + " | " + unbound.Log);
        Assert.Equal(TlsMode.Dane, profile.Tls.Mode);
        Assert.Equal(LinkSecurityLevel.TransportSecure, profile.Level);
        Assert.Contains("(DNSSEC-validated)", profile.DescribeEvidence());
        Assert.Contains("DNSSEC-validated TLSA at _25._tcp.mx1.dnssec.example (3 1 1)", profile.DescribeEvidence());
    }

    [Fact]
    public async Task TamperedTlsa_IsBogus_AndDefers()
    {
        // Arrange
        using var source = NetworkProfileSource.Create(Settings());

        // Act
        var profile = await source.GetProfileAsync("bad." + UnboundFixture.Zone);

        // Assert
        Assert.Equal(ProfileStatus.TemporaryFailure, profile.Status);
        Assert.Equal(TemporaryFailureKind.Dnssec, profile.FailureKind);
        Assert.Contains("TLSA lookup for _25._tcp.mx2.dnssec.example returned SERVFAIL", profile.FailureReason);
    }
}
