using System.Linq;
using System.Threading.Tasks;
using LinkSecure.Core.Profiles;
using LinkSecure.Core.Protocol;
using LinkSecure.TestSupport.Network;
using Xunit;

namespace LinkSecure.Core.Tests.Network;

/// <summary>MX resolution against the loopback DNS server: RFC 5321 §5.1, RFC 7505, and DNS faults.</summary>
[Collection(NetworkCollection.Name)]
public class MxResolutionTests
{
    private readonly NetworkFixture fixture;

    public MxResolutionTests(NetworkFixture fixture)
    {
        this.fixture = fixture;
    }

    [Fact]
    public async Task MxRecords_AreListedInPreferenceOrder_LevelZeroWithoutOtherEvidence()
    {
        // Arrange
        var domain = fixture.NewDomain("mx");
        fixture.Dns.AddMx(domain, 20, "mx2." + domain);
        fixture.Dns.AddMx(domain, 10, "mx1." + domain);
        using var source = fixture.CreateSource();

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.Equal(ProfileStatus.Ok, profile.Status);
        Assert.Equal(LinkSecurityLevel.None, profile.Level);
        var mx = Assert.Single(profile.Evidence, e => e.Source == EvidenceSource.Mx);
        Assert.Equal($"MX mx1.{domain} (10), mx2.{domain} (20)", mx.Detail);
        Assert.Contains(profile.Evidence, e => e.Source == EvidenceSource.Dane && e.Detail.Contains("no trusted validating resolver"));
    }

    [Fact]
    public async Task NullMx_IsNoMail()
    {
        // Arrange
        var domain = fixture.NewDomain("nullmx");
        fixture.Dns.AddMx(domain, 0, ".");
        using var source = fixture.CreateSource();

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.Equal(ProfileStatus.NoMail, profile.Status);
        Assert.Contains("RFC 7505", profile.DescribeEvidence());
    }

    [Fact]
    public async Task NoMxRecords_DomainIsItsOwnImplicitMx()
    {
        // Arrange
        var domain = fixture.NewDomain("implicit");
        fixture.Dns.AddA(domain);
        using var source = fixture.CreateSource();

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.Equal(ProfileStatus.Ok, profile.Status);
        Assert.Contains(profile.Evidence, e => e.Source == EvidenceSource.Mx && e.Detail.Contains("implicit MX (RFC 5321 §5.1)"));
    }

    [Fact]
    public async Task NxDomain_IsLevelZeroVerdictWithReason()
    {
        // Arrange
        var domain = fixture.NewDomain("nx");
        using var source = fixture.CreateSource();

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.Equal(ProfileStatus.Ok, profile.Status);
        Assert.Equal(LinkSecurityLevel.None, profile.Level);
        Assert.Contains("does not exist (NXDOMAIN)", profile.DescribeEvidence());
    }

    [Fact]
    public async Task MxServFail_IsTemporaryFailureNamingTheLookup()
    {
        // Arrange
        var domain = fixture.NewDomain("servfail");
        fixture.Dns.SetFault(domain, DnsFault.ServFail, 15);
        using var source = fixture.CreateSource();

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.Equal(ProfileStatus.TemporaryFailure, profile.Status);
        Assert.Equal(TemporaryFailureKind.Lookup, profile.FailureKind);
        Assert.Contains($"MX lookup for {domain} returned SERVFAIL", profile.FailureReason);
    }

    [Fact]
    public async Task MxTimeout_IsTemporaryFailure()
    {
        // Arrange
        var domain = fixture.NewDomain("timeout");
        fixture.Dns.SetFault(domain, DnsFault.Timeout, 15);
        using var source = fixture.CreateSource(extra: "\"timeoutMilliseconds\": 300, \"retries\": 0");

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.Equal(ProfileStatus.TemporaryFailure, profile.Status);
        Assert.Equal(TemporaryFailureKind.Timeout, profile.FailureKind);
        Assert.Contains($"MX lookup for {domain} timed out", profile.FailureReason);
    }

    [Fact]
    public async Task TruncatedUdpAnswer_IsRetriedOverTcp()
    {
        // Arrange
        var domain = fixture.NewDomain("tc");
        fixture.PublishMx(domain, "mx1." + domain);
        fixture.Dns.SetFault(domain, DnsFault.Truncate, 15);
        using var source = fixture.CreateSource();

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.Equal(ProfileStatus.Ok, profile.Status);
        Assert.Contains($"MX mx1.{domain} (10)", profile.DescribeEvidence());
        Assert.Equal(1, fixture.Dns.TcpQueryCount(domain, 15));
    }

    [Fact]
    public async Task TruncatedUdpAnswer_WithTcpFallbackOff_IsTemporaryFailure()
    {
        // Arrange
        var domain = fixture.NewDomain("tcoff");
        fixture.PublishMx(domain, "mx1." + domain);
        fixture.Dns.SetFault(domain, DnsFault.Truncate, 15);
        using var source = fixture.CreateSource(extra: "\"tcpFallback\": false");

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.Equal(ProfileStatus.TemporaryFailure, profile.Status);
        Assert.Contains("truncated", profile.FailureReason);
        Assert.Equal(0, fixture.Dns.TcpQueryCount(domain, 15));
    }
}
